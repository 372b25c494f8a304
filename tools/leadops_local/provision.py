"""Create every resource template.yaml declares in an AWS endpoint (moto's server locally).

One function per resource kind, chosen by ``Type``; kinds the runner does not know are reported
as skipped, never silently dropped.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import string
from collections.abc import Callable
from typing import Any

import boto3

from leadops_local.template import REGION, SamTemplate, TemplateError

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
    provisioned = props.get("BillingMode") != "PAY_PER_REQUEST" and "ProvisionedThroughput" in props
    if provisioned:
        request["ProvisionedThroughput"] = _throughput(props["ProvisionedThroughput"])
    else:
        request["BillingMode"] = "PAY_PER_REQUEST"
    # CloudFormation's index entries carry keys the API refuses (ContributorInsights...).
    for key, allowed in (
        ("GlobalSecondaryIndexes", ("IndexName", "KeySchema", "Projection")),
        ("LocalSecondaryIndexes", ("IndexName", "KeySchema", "Projection")),
    ):
        if props.get(key):
            request[key] = [
                {
                    **{name: index[name] for name in allowed if name in index},
                    **(
                        {"ProvisionedThroughput": _throughput(index["ProvisionedThroughput"])}
                        if provisioned and key == "GlobalSecondaryIndexes"
                        else {}
                    ),
                }
                for index in props[key]
            ]
    stream = props.get("StreamSpecification")
    if stream and stream.get("StreamViewType"):
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    client = _client("dynamodb", endpoint)
    client.create_table(**request)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    return name


def _throughput(spec: dict[str, Any]) -> dict[str, int]:
    return {
        "ReadCapacityUnits": int(spec.get("ReadCapacityUnits", 5)),
        "WriteCapacityUnits": int(spec.get("WriteCapacityUnits", 5)),
    }


def _simple_table(
    template: SamTemplate, logical_id: str, props: dict[str, Any], endpoint: str | None
) -> str:
    key = props.get("PrimaryKey", {"Name": "id", "Type": "String"})
    kind = {"String": "S", "Number": "N", "Binary": "B"}[key.get("Type", "String")]
    table: dict[str, Any] = {
        "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": kind}],
    }
    if "ProvisionedThroughput" in props:
        table["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    return _table(template, logical_id, table, endpoint)


_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
)


def _queue(
    template: SamTemplate, logical_id: str, props: dict[str, Any], endpoint: str | None
) -> str:
    attributes = {key: _attribute(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    for key in ("RedrivePolicy", "RedriveAllowPolicy"):
        if key in props:
            policy = props[key]
            attributes[key] = policy if isinstance(policy, str) else json.dumps(policy)
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
    alphabet = "".join(
        chars
        for chars, exclude in (
            (string.ascii_uppercase, "ExcludeUppercase"),
            (string.ascii_lowercase, "ExcludeLowercase"),
            (string.digits, "ExcludeNumbers"),
            (string.punctuation, "ExcludePunctuation"),
        )
        if not _true(spec.get(exclude))
    )
    alphabet += " " if _true(spec.get("IncludeSpace")) else ""
    alphabet = "".join(c for c in alphabet if c not in spec.get("ExcludeCharacters", ""))
    if not alphabet:
        raise TemplateError("GenerateSecretString excludes every character")
    generated = "".join(
        secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32)))
    )
    if "SecretStringTemplate" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec.get("GenerateStringKey", "password")] = generated
        return json.dumps(document)
    return generated


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


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


def _rule(
    template: SamTemplate, logical_id: str, props: dict[str, Any], endpoint: str | None
) -> str:
    """An EventBridge rule with its targets (moto delivers matching events to SQS targets)."""
    name = template.physical_name(logical_id)
    events = _client("events", endpoint)
    bus = props.get("EventBusName", "default")
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(props["EventPattern"]))
    targets = [{"Id": t["Id"], "Arn": t["Arn"]} for t in props.get("Targets", [])]
    if targets:
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
    return name


CREATORS: dict[str, Creator] = {
    "AWS::DynamoDB::Table": _table,
    "AWS::Serverless::SimpleTable": _simple_table,
    "AWS::SQS::Queue": _queue,
    "AWS::S3::Bucket": _bucket,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Events::EventBus": _event_bus,
    "AWS::SSM::Parameter": _parameter,
    "AWS::Events::Rule": _rule,
}
# Deployed by SAM itself or meaningless locally: not reported as skipped.
_NOT_RESOURCES = {
    "AWS::Serverless::Function",
    "AWS::Serverless::LayerVersion",
    "AWS::Serverless::HttpApi",
    "AWS::Logs::LogGroup",
    "AWS::SQS::QueuePolicy",  # moto does not enforce resource policies
    "AWS::IAM::Policy",
}


def _references(value: Any) -> set[str]:
    """Logical ids a property value refers to (Ref, GetAtt, Sub)."""
    if isinstance(value, list):
        return set().union(*(_references(item) for item in value))
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, argument in value.items():
        if key == "Ref" and isinstance(argument, str):
            found.add(argument)
        elif key == "Fn::GetAtt":
            found.add(argument.split(".")[0] if isinstance(argument, str) else argument[0])
        elif key == "Fn::Sub":
            text = argument if isinstance(argument, str) else argument[0]
            found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
            found |= _references(argument[1:] if isinstance(argument, list) else [])
        else:
            found |= _references(argument)
    return found


def creation_order(template: SamTemplate) -> list[str]:
    """Logical ids, each after the resources it refers to or DependsOn (a DLQ before the
    queue that redrives to it), else in template order."""
    resources = template.resources
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in ordered or logical_id in visiting:
            return  # done, or a cycle (CloudFormation would refuse it): template order
        visiting.add(logical_id)
        resource = resources[logical_id]
        depends = resource.get("DependsOn", [])
        needed = _references(resource.get("Properties", {})) | set(
            [depends] if isinstance(depends, str) else depends
        )
        for other in sorted(needed & resources.keys(), key=list(resources).index):
            visit(other)
        visiting.discard(logical_id)
        ordered.append(logical_id)

    for logical_id in resources:
        visit(logical_id)
    return ordered


def provision(template: SamTemplate, endpoint: str | None) -> tuple[list[str], list[str]]:
    """Create the template's resources; returns (created "Type LogicalId -> name", skipped)."""
    created, skipped = [], []
    for logical_id in creation_order(template):
        resource = template.resources[logical_id]
        kind = resource.get("Type", "")
        if not template.exists(logical_id):
            continue
        creator = CREATORS.get(kind)
        if creator is None:
            if kind not in _NOT_RESOURCES:
                skipped.append(f"{kind} {logical_id}")
            continue
        properties = template.resolve(resource.get("Properties", {}))
        name = creator(template, logical_id, properties, endpoint)
        created.append(f"{kind} {logical_id} -> {name}")
    return created, skipped
