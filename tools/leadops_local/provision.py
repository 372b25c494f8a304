"""Create every resource template.yaml declares in an AWS endpoint (moto's server locally).

One function per resource kind, chosen by ``Type``; kinds the runner does not know are reported
as skipped, never silently dropped.
"""

from __future__ import annotations

import json
import os
import secrets
import string
from collections.abc import Callable
from typing import Any

import boto3

from leadops_local.template import REGION, SamTemplate

# endpoint None: boto3's default (in-process moto in tests, or AWS_ENDPOINT_URL).
Creator = Callable[[SamTemplate, str, dict[str, Any], str | None], str]


def _client(service: str, endpoint: str | None) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", REGION)
    )


def _table(
    template: SamTemplate, logical_id: str, props: dict[str, Any], endpoint: str | None
) -> str:
    name = template.physical_name(logical_id)
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
    }
    if props.get("BillingMode") == "PAY_PER_REQUEST" or "ProvisionedThroughput" not in props:
        request["BillingMode"] = "PAY_PER_REQUEST"
    else:
        request["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification"):
        if key in props:
            request[key] = props[key]
    client = _client("dynamodb", endpoint)
    client.create_table(**request)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    return name


def _simple_table(
    template: SamTemplate, logical_id: str, props: dict[str, Any], endpoint: str | None
) -> str:
    key = props.get("PrimaryKey", {"Name": "id", "Type": "String"})
    kind = {"String": "S", "Number": "N", "Binary": "B"}[key.get("Type", "String")]
    return _table(
        template,
        logical_id,
        {
            "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": kind}],
        },
        endpoint,
    )


_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DelaySeconds",
    "FifoQueue",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
)


def _queue(
    template: SamTemplate, logical_id: str, props: dict[str, Any], endpoint: str | None
) -> str:
    attributes = {key: _attribute(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    name = template.physical_name(logical_id)
    _client("sqs", endpoint).create_queue(QueueName=name, Attributes=attributes)
    return name


def _attribute(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _bucket(
    template: SamTemplate, logical_id: str, props: dict[str, Any], endpoint: str | None
) -> str:
    name = template.physical_name(logical_id)
    _client("s3", endpoint).create_bucket(Bucket=name)
    return name


def _secret(
    template: SamTemplate, logical_id: str, props: dict[str, Any], endpoint: str | None
) -> str:
    name = template.physical_name(logical_id)
    value = os.environ.get(f"LEADOPS_LOCAL_SECRET_{logical_id}") or _secret_value(props)
    _client("secretsmanager", endpoint).create_secret(Name=name, SecretString=value)
    return name


def _secret_value(props: dict[str, Any]) -> str:
    if "SecretString" in props:
        return str(props["SecretString"])
    spec = props.get("GenerateSecretString", {})
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    alphabet = "".join(c for c in alphabet if c not in spec.get("ExcludeCharacters", ""))
    generated = "".join(
        secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32)))
    )
    if "SecretStringTemplate" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec.get("GenerateStringKey", "password")] = generated
        return json.dumps(document)
    return generated


def _event_bus(
    template: SamTemplate, logical_id: str, props: dict[str, Any], endpoint: str | None
) -> str:
    name = template.physical_name(logical_id)
    _client("events", endpoint).create_event_bus(Name=name)
    return name


def _parameter(
    template: SamTemplate, logical_id: str, props: dict[str, Any], endpoint: str | None
) -> str:
    name = template.physical_name(logical_id)
    _client("ssm", endpoint).put_parameter(
        Name=name, Value=str(props["Value"]), Type=props.get("Type", "String"), Overwrite=True
    )
    return name


CREATORS: dict[str, Creator] = {
    "AWS::DynamoDB::Table": _table,
    "AWS::Serverless::SimpleTable": _simple_table,
    "AWS::SQS::Queue": _queue,
    "AWS::S3::Bucket": _bucket,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Events::EventBus": _event_bus,
    "AWS::SSM::Parameter": _parameter,
}
# Deployed by SAM itself or meaningless locally: not reported as skipped.
_NOT_RESOURCES = {
    "AWS::Serverless::Function",
    "AWS::Serverless::LayerVersion",
    "AWS::Serverless::HttpApi",
    "AWS::Logs::LogGroup",
}


def provision(template: SamTemplate, endpoint: str | None) -> tuple[list[str], list[str]]:
    """Create the template's resources; returns (created "Type LogicalId -> name", skipped)."""
    created, skipped = [], []

    def order(item: tuple[str, dict[str, Any]]) -> int:
        # Queues that others send their failures to must exist before those others.
        return 1 if "RedrivePolicy" in item[1].get("Properties", {}) else 0

    for logical_id, resource in sorted(template.resources.items(), key=order):
        kind = resource.get("Type", "")
        creator = CREATORS.get(kind)
        if creator is None:
            if kind not in _NOT_RESOURCES:
                skipped.append(f"{kind} {logical_id}")
            continue
        properties = template.resolve(resource.get("Properties", {}))
        name = creator(template, logical_id, properties, endpoint)
        created.append(f"{kind} {logical_id} -> {name}")
    return created, skipped
