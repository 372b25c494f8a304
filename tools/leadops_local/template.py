"""template.yaml as the local runner sees it: functions, layers, routes, resources and the
values CloudFormation would substitute for intrinsic functions.

Local physical names are deterministic (``<stack>-<LogicalId>`` unless the resource names
itself), so the environment a function gets here matches the resources created in moto.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STACK_NAME = "leadops-local"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"

_TAGS = [
    "Ref", "Condition", "GetAtt", "Sub", "Join", "Select", "Split", "If", "Equals", "Not", "And",
    "Or", "FindInMap", "Base64", "ImportValue", "GetAZs", "Cidr", "Transform",
]  # fmt: skip


class _Loader(yaml.SafeLoader):
    """A YAML loader that reads CloudFormation short tags (!Ref X) as their long form."""


def _short_tag(tag: str) -> Any:
    key = "Ref" if tag in ("Ref", "Condition") else f"Fn::{tag}"
    if tag == "Condition":
        key = "Condition"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {key: value}

    return construct


for _tag in _TAGS:
    _Loader.add_constructor(f"!{_tag}", _short_tag(_tag))


class TemplateError(ValueError):
    """The template asks for something the local runner cannot provide."""


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # as in the template: /leads/{lead_id}, /{proxy+}
    function: str  # logical id
    iam_auth: bool


@dataclass(frozen=True)
class QueueTrigger:
    function: str  # logical id
    queue: str  # logical id of the AWS::SQS::Queue
    batch_size: int


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    timeout: int
    memory: int
    layer_dirs: tuple[Path, ...]
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{STACK_NAME}-{self.logical_id}"

    def environment(self) -> dict[str, str]:
        """Template variables plus the ones the Lambda runtime sets for every function."""
        return {
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "LAMBDA_TASK_ROOT": str(self.code_dir),
            "_HANDLER": self.handler,
            **self.variables,
        }


class SamTemplate:
    """A parsed template.yaml with intrinsic functions resolved for local use."""

    def __init__(
        self, document: dict[str, Any], root: Path, overrides: dict[str, str] | None = None
    ) -> None:
        self.document = document
        self.root = root
        self.resources: dict[str, dict[str, Any]] = document.get("Resources", {})
        self.parameters = {
            name: str(spec.get("Default", ""))
            for name, spec in document.get("Parameters", {}).items()
        }
        self.parameters.update(overrides or {})

    @classmethod
    def load(cls, path: Path, overrides: dict[str, str] | None = None) -> SamTemplate:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
        return cls(document, path.resolve().parent, overrides)

    # --- resources ---------------------------------------------------------------------------
    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") in types}

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        properties = resource.get("Properties", {})
        for key in ("TableName", "QueueName", "BucketName", "Name", "EventBusName", "LayerName"):
            if key in properties:
                return str(self.resolve(properties[key]))
        name = f"{STACK_NAME}-{logical_id}"
        if resource["Type"] == "AWS::S3::Bucket":
            name = name.lower()
        if resource["Type"] == "AWS::SQS::Queue" and properties.get("FifoQueue"):
            name += ".fifo"
        return name

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        service_arns = {
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}",
            "AWS::Serverless::SimpleTable": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::SecretsManager::Secret": (
                f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:{name}"
            ),
            "AWS::Events::EventBus": f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{name}",
            "AWS::SSM::Parameter": f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/{name}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
        }
        return service_arns.get(kind, f"arn:aws:local:{REGION}:{ACCOUNT_ID}:{name}")

    def ref(self, logical_id: str) -> str:
        """What ``!Ref`` gives: a parameter's value, or the resource's Ref value."""
        if logical_id in self.parameters:
            return self.parameters[logical_id]
        pseudo = {
            "AWS::StackName": STACK_NAME,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": "",
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/1",
        }
        if logical_id in pseudo:
            return pseudo[logical_id]
        if logical_id not in self.resources:
            raise TemplateError(f"!Ref to unknown parameter or resource {logical_id!r}")
        kind = self.resources[logical_id]["Type"]
        if kind == "AWS::SQS::Queue":
            return self.queue_url(logical_id)
        if kind in ("AWS::SecretsManager::Secret", "AWS::Serverless::LayerVersion"):
            return self.arn(logical_id)
        return self.physical_name(logical_id)

    def queue_url(self, logical_id: str, endpoint: str | None = None) -> str:
        base = endpoint or f"https://sqs.{REGION}.amazonaws.com"
        return f"{base}/{ACCOUNT_ID}/{self.physical_name(logical_id)}"

    def get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self.resources:
            raise TemplateError(f"!GetAtt on unknown resource {logical_id!r}")
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in ("QueueName", "Name", "TableName", "BucketName"):
            return self.physical_name(logical_id)
        if attribute == "QueueUrl":
            return self.queue_url(logical_id)
        if attribute == "StreamArn":
            return f"{self.arn(logical_id)}/stream/local"
        return f"{self.physical_name(logical_id)}.{attribute}"

    # --- intrinsic functions -----------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function CloudFormation would evaluate evaluated."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            handler = _INTRINSICS.get(key)
            if handler is not None:
                return handler(self, argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: str(self.resolve(v)) for name, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return values[name]
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    # --- functions, layers, routes -----------------------------------------------------------
    def _globals(self) -> dict[str, Any]:
        return dict(self.document.get("Globals", {}).get("Function", {}))

    def functions(self) -> list[Function]:
        return [
            self.function(logical_id) for logical_id in self.of_type("AWS::Serverless::Function")
        ]

    def function(self, logical_id: str) -> Function:
        resource = self.resources.get(logical_id)
        if resource is None or resource.get("Type") != "AWS::Serverless::Function":
            known = ", ".join(self.of_type("AWS::Serverless::Function")) or "none"
            raise TemplateError(f"no function {logical_id!r} in the template (functions: {known})")
        merged = {**self._globals(), **resource.get("Properties", {})}
        variables = {
            **self._globals().get("Environment", {}).get("Variables", {}),
            **resource.get("Properties", {}).get("Environment", {}).get("Variables", {}),
        }
        layers = self.resolve_layer_refs(merged.get("Layers", []))
        return Function(
            logical_id=logical_id,
            code_dir=(self.root / str(merged["CodeUri"])).resolve(),
            handler=str(merged["Handler"]),
            timeout=int(self.resolve(merged.get("Timeout", 3))),
            memory=int(self.resolve(merged.get("MemorySize", 128))),
            layer_dirs=layers,
            variables={name: str(self.resolve(v)) for name, v in variables.items()},
        )

    def resolve_layer_refs(self, layers: list[Any]) -> tuple[Path, ...]:
        """ContentUri folders of the template's own layers; external layer ARNs are skipped."""
        dirs = []
        for layer in layers:
            if isinstance(layer, dict) and "Ref" in layer and layer["Ref"] in self.resources:
                content = self.resources[layer["Ref"]]["Properties"]["ContentUri"]
                dirs.append((self.root / str(content)).resolve())
        return tuple(dirs)

    def queue_triggers(self) -> list[QueueTrigger]:
        """Functions triggered by an SQS queue of this template (event type SQS)."""
        found = []
        for function in self.of_type("AWS::Serverless::Function"):
            events = self.resources[function].get("Properties", {}).get("Events", {})
            for event in events.values():
                properties = event.get("Properties", {})
                queue = properties.get("Queue", {})
                if event.get("Type") == "SQS" and isinstance(queue, dict) and "Fn::GetAtt" in queue:
                    target = queue["Fn::GetAtt"]
                    logical_id = target[0] if isinstance(target, list) else target.split(".")[0]
                    batch = int(properties.get("BatchSize", 10))
                    found.append(QueueTrigger(function, logical_id, batch))
        return found

    def routes(self) -> list[Route]:
        api_auth = {
            logical_id: resource.get("Properties", {}).get("Auth", {}).get("DefaultAuthorizer")
            for logical_id, resource in self.of_type("AWS::Serverless::HttpApi").items()
        }
        found = []
        for function in self.of_type("AWS::Serverless::Function"):
            events = self.resources[function].get("Properties", {}).get("Events", {})
            for event in events.values():
                if event.get("Type") != "HttpApi":
                    continue
                properties = event.get("Properties", {})
                api = properties.get("ApiId", {}).get("Ref") if "ApiId" in properties else None
                authorizer = properties.get("Auth", {}).get("Authorizer", api_auth.get(api or ""))
                found.append(
                    Route(
                        method=str(properties.get("Method", "ANY")).upper(),
                        path=str(properties.get("Path", "/{proxy+}")),
                        function=function,
                        iam_auth=authorizer == "AWS_IAM",
                    )
                )
        return found


def _join(template: SamTemplate, argument: list[Any]) -> str:
    separator, items = argument
    return str(separator).join(str(x) for x in template.resolve(items))


def _select(template: SamTemplate, argument: list[Any]) -> Any:
    index, items = argument
    return template.resolve(items)[int(template.resolve(index))]


def _if(template: SamTemplate, argument: list[Any]) -> Any:
    condition, when_true, when_false = argument
    conditions = template.document.get("Conditions", {})
    chosen = when_true if template.resolve(conditions.get(condition, False)) else when_false
    return template.resolve(chosen)


def _equals(template: SamTemplate, argument: list[Any]) -> bool:
    left, right = template.resolve(argument)
    return bool(str(left) == str(right))


_INTRINSICS: dict[str, Any] = {
    "Ref": lambda t, a: t.ref(a),
    "Fn::GetAtt": lambda t, a: t.get_att(*(a.split(".", 1) if isinstance(a, str) else a)),
    "Fn::Sub": lambda t, a: t._sub(a),
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": lambda t, a: str(t.resolve(a[1])).split(a[0]),
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": lambda t, a: not t.resolve(a[0]),
    "Fn::And": lambda t, a: all(t.resolve(a)),
    "Fn::Or": lambda t, a: any(t.resolve(a)),
    "Fn::Base64": lambda t, a: base64.b64encode(str(t.resolve(a)).encode()).decode(),
    "Fn::GetAZs": lambda t, a: [f"{REGION}a", f"{REGION}b", f"{REGION}c"],
    "Condition": lambda t, a: t.resolve(t.document.get("Conditions", {}).get(a, False)),
}
