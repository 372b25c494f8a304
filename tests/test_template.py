"""template.yaml is valid CloudFormation, the SAM transform accepts it, and it stays
least-privilege. Both checks run offline (cfn-lint's specs and aws-sam-translator ship with them).
"""

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml_parse(TEMPLATE.read_text(encoding="utf-8"))


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_cfn_lint_passes() -> None:
    matches = lint_file(TEMPLATE, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert [str(match) for match in matches] == []


class _PolicyLoader:
    """The managed policies SAM attaches by name, without asking IAM."""

    def load(self) -> dict[str, str]:
        return {
            "AWSLambdaBasicExecutionRole": (
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
            )
        }


def test_sam_transform_accepts_the_template(template: dict[str, Any]) -> None:
    packaged = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    # `sam package` replaces local code paths with S3 locations before the transform runs.
    for resource in packaged["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = "s3://leadops-artifacts/code.zip"
    output = transform(packaged, {}, _PolicyLoader())
    kinds = {resource["Type"] for resource in output["Resources"].values()}
    assert {"AWS::Lambda::Function", "AWS::Lambda::LayerVersion", "AWS::ApiGatewayV2::Api"} <= kinds
    assert "AWS::Serverless::Function" not in kinds


def test_every_function_uses_the_shared_layer_and_has_an_app_module(
    template: dict[str, Any],
) -> None:
    assert template["Globals"]["Function"]["Layers"] == [{"Ref": "LeadopsLayer"}]
    for name, function in _resources(template, "AWS::Serverless::Function").items():
        properties = function["Properties"]
        assert properties["Handler"] == "app.lambda_handler", name
        assert (ROOT / properties["CodeUri"] / "app.py").is_file(), name


def _makefile_default(name: str) -> str:
    """A `NAME ?= value` default of the top-level Makefile."""
    found = re.search(
        rf"^{name} \?= (\S+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE
    )
    assert found, f"the Makefile sets no default for {name}"
    return found.group(1)


def test_layer_is_built_by_sam_from_its_requirements(template: dict[str, Any]) -> None:
    """sam build runs `make build-LeadopsLayer` from the top-level Makefile (ContextPath), which
    installs requirements.txt and compiles the layer's bytecode (tests/test_layer_build.py)."""
    layer = template["Resources"]["LeadopsLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Metadata"]["BuildArchitecture"] == "x86_64"
    assert (ROOT / layer["Metadata"]["ContextPath"] / "Makefile").is_file()
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^build-LeadopsLayer:", makefile, re.MULTILINE)
    content = ROOT / layer["Properties"]["ContentUri"]
    assert (content / "requirements.txt").is_file()
    assert (content / "leadops" / "__init__.py").is_file()


# Routes without IAM: each authenticates otherwise (a vendor's signature; the public router's
# origin allow-list, rate limits and signed booking links; the snippet is a public file).
# The webhooks authenticate their senders themselves (HMAC signatures; PostHog: a shared secret).
SIGNED_ROUTES = {"/webhooks/demo-request", "/webhooks/forms/{source_id}", "/webhooks/posthog"}
PUBLIC_ROUTES = {
    *SIGNED_ROUTES,
    "/router/forms/{source_id}/submit",
    "/router",
    "/router/book/{token}",
    "/leadops.js",
}


def test_http_routes_require_iam_auth(template: dict[str, Any]) -> None:
    api = template["Resources"]["LeadopsApi"]["Properties"]
    assert api["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    for name, function in _resources(template, "AWS::Serverless::Function").items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi" and event["Properties"]["Path"] not in PUBLIC_ROUTES:
                assert event["Properties"].get("Auth", {}).get("Authorizer") == "AWS_IAM", name


def test_score_function_may_only_read_the_live_rulebook(template: dict[str, Any]) -> None:
    """Scoring is stateless: beyond its own logs it reads the live rulebook, nothing else."""
    properties = template["Resources"]["ScoreFunction"]["Properties"]
    assert "Role" not in properties
    assert _statements(template["Resources"]["ScoreFunction"]) == [
        {
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": {"Fn::GetAtt": ["RulebookTable", "Arn"]},
        }
    ]


GUARDED = ("dynamodb", "sqs", "s3", "secretsmanager")


def _statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    """Every policy statement of a function, including those inside Fn::If branches."""
    found: list[dict[str, Any]] = []
    for policy in function["Properties"].get("Policies", []):
        branches = policy["Fn::If"][1:] if "Fn::If" in policy else [policy]
        for branch in branches:
            if isinstance(branch, dict):
                found.extend(branch.get("Statement", []))
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _referenced(value: Any) -> set[str]:
    """Logical ids a value refers to (Ref, GetAtt, or ${X} / ${X.Arn} inside Sub)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return {value["Ref"]}
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return {target[0] if isinstance(target, list) else target.split(".")[0]}
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            return {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
        return set().union(*(_referenced(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_referenced(v) for v in value)) if value else set()
    return set()


def test_no_function_has_wildcards_on_data_services(template: dict[str, Any]) -> None:
    for name, function in _resources(template, "AWS::Serverless::Function").items():
        for statement in _statements(function):
            actions = _as_list(statement["Action"])
            assert "*" not in actions, name
            guarded = [a for a in actions if a.split(":")[0] in GUARDED]
            assert not [a for a in guarded if a.endswith(":*")], (name, guarded)
            if guarded:
                assert "*" not in _as_list(statement["Resource"]), (name, statement)


def test_functions_touch_only_the_tables_they_are_given(template: dict[str, Any]) -> None:
    tables = set(_resources(template, "AWS::DynamoDB::Table"))
    for name, function in _resources(template, "AWS::Serverless::Function").items():
        given = _referenced(function["Properties"].get("Environment", {}))
        for statement in _statements(function):
            used = _referenced(statement["Resource"]) & tables
            assert used <= given, (name, used - given)


def test_the_iam_check_catches_a_wildcard(template: dict[str, Any]) -> None:
    broken = copy.deepcopy(template)
    statement = {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}
    broken["Resources"]["ScoreFunction"]["Properties"]["Policies"] = [{"Statement": [statement]}]
    with pytest.raises(AssertionError):
        test_no_function_has_wildcards_on_data_services(broken)


def test_the_layer_declares_only_the_runtime_it_is_built_for(template: dict[str, Any]) -> None:
    """pydantic_core ships a compiled module per Python version: a layer built for 3.12 fails to
    import on 3.13, so it must not claim 3.13 (issue 16, item 13). Its bytecode is per version
    too: the Makefile compiles it with the runtime's Python (LAYER_PYTHON_VERSION)."""
    layer = template["Resources"]["LeadopsLayer"]
    built_for = f"python{_makefile_default('LAYER_PYTHON_VERSION')}"
    assert layer["Properties"]["CompatibleRuntimes"] == [built_for]
    assert template["Globals"]["Function"]["Runtime"] == built_for
    # the wheels the Makefile asks pip for are the architecture's the layer claims
    assert layer["Properties"]["CompatibleArchitectures"] == ["x86_64"]
    assert _makefile_default("LAYER_PLATFORM").endswith("_x86_64")


def test_every_function_has_a_log_group_with_the_stack_retention(
    template: dict[str, Any],
) -> None:
    for name, function in _resources(template, "AWS::Serverless::Function").items():
        group = function["Properties"].get("LoggingConfig", {}).get("LogGroup", {}).get("Ref")
        assert group in template["Resources"], name
        resource = template["Resources"][group]
        assert resource["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        assert resource.get("Condition") == function.get("Condition"), name


def test_bedrock_may_be_a_model_id_or_a_cross_region_inference_profile(
    template: dict[str, Any],
) -> None:
    """A profile id (us.anthropic…) is invoked through its inference-profile ARN, which routes
    to the foundation model in several Regions: both must be allowed, the second only through
    the profile (AWS: "Prerequisites for inference profiles")."""
    bedrock = [
        statement
        for statement in _statements(template["Resources"]["WebhookFunction"])
        if statement["Action"] == "bedrock:InvokeModel"
    ]
    resources = [_as_list(statement["Resource"]) for statement in bedrock]
    texts = [[resource["Fn::Sub"] for resource in group] for group in resources]
    profile = (
        "arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}"
        ":inference-profile/${AiClassifierModelId}"
    )
    assert profile in texts[0]
    assert (
        "arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/${AiClassifierModelId}"
        in texts[0]
    )
    assert texts[1] == ["arn:${AWS::Partition}:bedrock:*::foundation-model/*"]
    condition = bedrock[1]["Condition"]["StringEquals"]["bedrock:InferenceProfileArn"]
    assert condition == {"Fn::Sub": profile}


def _http_functions(template: dict[str, Any]) -> set[str]:
    return {
        name
        for name, function in _resources(template, "AWS::Serverless::Function").items()
        if any(e["Type"] == "HttpApi" for e in function["Properties"].get("Events", {}).values())
    }


def test_snapstart_is_a_parameter_applied_to_the_http_functions_only(
    template: dict[str, Any],
) -> None:
    parameter = template["Parameters"]["SnapStart"]
    assert (parameter["Default"], sorted(parameter["AllowedValues"])) == (
        "None",
        ["None", "PublishedVersions"],
    )
    http = _http_functions(template)
    assert http == {
        "ScoreFunction",
        "WebhookFunction",
        "LeadsApiFunction",
        "AccountsApiFunction",
        "RulebookApiFunction",
        *("FormSourcesApiFunction", "FormWebhookFunction"),  # forms: issue 12
        "RouterFunction",
        "PostHogWebhookFunction",  # issue 15
        "PeopleApiFunction",
    }
    for name, function in _resources(template, "AWS::Serverless::Function").items():
        properties = function["Properties"]
        if name in http:
            assert properties["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}, name
            # snapshots are taken of published versions: the API must call one (the alias),
            # and a changed SnapStart setting must publish a new one
            assert properties["AutoPublishAlias"] == "live", name
            assert properties["AutoPublishAliasAllProperties"] is True, name
        else:
            assert "SnapStart" not in properties, name
            assert "AutoPublishAlias" not in properties, name


def test_with_snapstart_the_api_calls_a_published_snapshotted_version() -> None:
    packaged = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    for resource in packaged["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = "s3://leadops-artifacts/code.zip"
    output = transform(packaged, {"SnapStart": "PublishedVersions"}, _PolicyLoader())
    resources = output["Resources"]
    aliases = {
        r["Properties"]["FunctionName"]["Ref"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Alias" and r["Properties"]["Name"] == "live"
    }
    assert aliases == _http_functions(packaged)
    for name in aliases:
        assert resources[name]["Properties"]["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
    api_permissions = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission" and "LeadopsApi" in json.dumps(r["Properties"])
    ]
    invoked = {p["FunctionName"]["Ref"] for p in api_permissions}
    assert invoked == {f"{name}Aliaslive" for name in aliases}
