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
DEFAULT_ROUTE = "$default"  # an HttpApi event without Path and Method

# Properties through which a resource names itself (else its local name is <stack>-<LogicalId>).
_NAME_PROPERTIES = (
    "TableName", "QueueName", "BucketName", "Name", "EventBusName", "LayerName", "FunctionName",
    "TopicName", "StreamName", "LogGroupName", "StateMachineName", "RoleName",
)  # fmt: skip

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


class _NoValue:
    """``!Ref AWS::NoValue``: the property (or list item) is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


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
    runtime: str = "python3.12"
    function_name: str = ""  # the FunctionName property, if the template sets one

    @property
    def name(self) -> str:
        return self.function_name or f"{STACK_NAME}-{self.logical_id}"

    def environment(self) -> dict[str, str]:
        """Template variables plus the ones the Lambda runtime sets for every function."""
        return {
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.runtime}",
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
        self.parameter_types = {
            name: str(spec.get("Type", "String"))
            for name, spec in document.get("Parameters", {}).items()
        }
        self.parameters = {
            name: _parameter_text(spec.get("Default", ""))
            for name, spec in document.get("Parameters", {}).items()
        }
        self.parameters.update({name: str(value) for name, value in (overrides or {}).items()})

    @classmethod
    def load(cls, path: Path, overrides: dict[str, str] | None = None) -> SamTemplate:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
        return cls(document, path.resolve().parent, overrides)

    # --- resources ---------------------------------------------------------------------------
    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        """Resources of these types that the template's Conditions let exist."""
        return {
            k: v for k, v in self.resources.items() if v.get("Type") in types and self.exists(k)
        }

    def exists(self, logical_id: str) -> bool:
        """False for a resource whose ``Condition`` is false with these parameters."""
        condition = self.resources[logical_id].get("Condition")
        return condition is None or self.condition(str(condition))

    def condition(self, name: str) -> bool:
        """The value of one of the template's Conditions."""
        conditions = self.document.get("Conditions", {})
        if name not in conditions:
            raise TemplateError(f"unknown condition {name!r}")
        return bool(self.resolve(conditions[name]))

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        properties = resource.get("Properties", {})
        for key in _NAME_PROPERTIES:
            if key in properties and self.resolve(properties[key]) is not NO_VALUE:
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

    def ref(self, logical_id: str) -> Any:
        """What ``!Ref`` gives: a parameter's value, or the resource's Ref value."""
        if logical_id in self.parameters:
            value = self.parameters[logical_id]
            kind = self.parameter_types.get(logical_id, "String")
            if kind == "CommaDelimitedList" or kind.startswith("List<"):
                return [item.strip() for item in value.split(",")] if value else []
            return value
        if logical_id == "AWS::NoValue":
            return NO_VALUE
        if logical_id == "AWS::NotificationARNs":
            return []
        pseudo = {
            "AWS::StackName": STACK_NAME,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
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
        properties = self.resources[logical_id].get("Properties", {})
        if attribute in properties:  # e.g. an SSM parameter's Value, a queue's FifoQueue
            return str(self.resolve(properties[attribute]))
        return f"{self.physical_name(logical_id)}.{attribute}"

    # --- intrinsic functions -----------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function CloudFormation would evaluate evaluated."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            handler = _INTRINSICS.get(key)
            if handler is not None:
                return handler(self, argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: str(self.resolve(v)) for name, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return values[name]
            if "." in name and name not in self.parameters:
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return _parameter_text(self.ref(name))

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
        own = resource.get("Properties", {})
        merged = {**self._globals(), **own}
        # As SAM merges Globals: maps key by key, lists global entries first.
        variables = self.resolve(
            {
                **self._globals().get("Environment", {}).get("Variables", {}),
                **own.get("Environment", {}).get("Variables", {}),
            }
        )
        layers = [*self._globals().get("Layers", []), *own.get("Layers", [])]
        if "CodeUri" not in merged or "Handler" not in merged:
            raise TemplateError(f"{logical_id}: the local runner needs CodeUri and Handler")
        name = self.resolve(own.get("FunctionName", NO_VALUE))
        return Function(
            logical_id=logical_id,
            code_dir=(self.root / str(self.resolve(merged["CodeUri"]))).resolve(),
            handler=str(self.resolve(merged["Handler"])),
            timeout=int(self.resolve(merged.get("Timeout", 3))),
            memory=int(self.resolve(merged.get("MemorySize", 128))),
            layer_dirs=self.resolve_layer_refs(layers),
            variables={key: _parameter_text(value) for key, value in variables.items()},
            runtime=str(self.resolve(merged.get("Runtime", "python3.12"))),
            function_name="" if name is NO_VALUE else str(name),
        )

    def resolve_layer_refs(self, layers: list[Any]) -> tuple[Path, ...]:
        """ContentUri folders of the template's own layers; external layer ARNs are skipped."""
        dirs: list[Path] = []
        for layer in layers:
            if isinstance(layer, dict) and "Ref" in layer and layer["Ref"] in self.resources:
                content = self.resources[layer["Ref"]].get("Properties", {}).get("ContentUri")
                if isinstance(content, str):  # a local folder, not an S3 location
                    folder = (self.root / content).resolve()
                    if folder not in dirs:
                        dirs.append(folder)
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
            logical_id: (resource.get("Properties") or {}).get("Auth", {}).get("DefaultAuthorizer")
            for logical_id, resource in self.of_type("AWS::Serverless::HttpApi").items()
        }
        implicit = self.document.get("Globals", {}).get("HttpApi", {})
        implicit_auth = implicit.get("Auth", {}).get("DefaultAuthorizer")
        found = []
        for function in self.of_type("AWS::Serverless::Function"):
            events = self.resources[function].get("Properties", {}).get("Events", {})
            for event in events.values():
                if event.get("Type") != "HttpApi":
                    continue
                properties = event.get("Properties") or {}
                api_id = properties.get("ApiId")
                # Without ApiId the route is on SAM's implicit API (ServerlessHttpApi).
                api = str(api_id.get("Ref")) if isinstance(api_id, dict) else "ServerlessHttpApi"
                default = api_auth.get(api) or implicit_auth
                authorizer = (properties.get("Auth") or {}).get("Authorizer", default)
                path = properties.get("Path")
                found.append(
                    Route(
                        # No Path and Method: the API's $default route, which takes anything.
                        method=str(properties.get("Method", "ANY")).upper(),
                        path=str(path) if path else DEFAULT_ROUTE,
                        function=function,
                        iam_auth=authorizer == "AWS_IAM",
                    )
                )
        return found


def _parameter_text(value: Any) -> str:
    """A parameter or variable value as the string CloudFormation makes of it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(_parameter_text(item) for item in value)
    return str(value)


def _join(template: SamTemplate, argument: list[Any]) -> str:
    separator, items = argument
    return str(separator).join(str(x) for x in template.resolve(items))


def _select(template: SamTemplate, argument: list[Any]) -> Any:
    index, items = argument
    return template.resolve(items)[int(template.resolve(index))]


def _if(template: SamTemplate, argument: list[Any]) -> Any:
    condition, when_true, when_false = argument
    return template.resolve(when_true if template.condition(condition) else when_false)


def _find_in_map(template: SamTemplate, argument: list[Any]) -> Any:
    name, top, second = (template.resolve(part) for part in argument[:3])
    try:
        return template.resolve(template.document["Mappings"][name][top][second])
    except KeyError:
        raise TemplateError(f"!FindInMap [{name}, {top}, {second}]: no such entry") from None


def _import_value(template: SamTemplate, argument: Any) -> Any:
    name = template.resolve(argument)
    raise TemplateError(f"!ImportValue {name}: another stack's outputs do not exist locally")


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
    "Fn::FindInMap": _find_in_map,
    "Fn::ImportValue": _import_value,
    "Condition": lambda t, a: t.condition(a),
}
