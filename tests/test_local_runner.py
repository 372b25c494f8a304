"""The docker-free local runner: template reading, events, routing, provisioning in moto, and
`invoke` on every sample event in events/."""

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from pytest_httpserver import HTTPServer

from leadops.signature import sign
from leadops_local.__main__ import main
from leadops_local.apigw import build_event, match_route, to_http
from leadops_local.provision import provision
from leadops_local.runtime import LocalFunction
from leadops_local.server import moto_server
from leadops_local.template import ACCOUNT_ID, SamTemplate, TemplateError
from tests.helpers import ROOT, TEMPLATE, WEBHOOK_SECRET

FIXTURE = Path(__file__).parent / "fixtures" / "runner" / "template.yaml"
EVENTS = sorted((ROOT / "events").glob("*.json"))


@pytest.fixture(scope="module")
def fixture_template() -> SamTemplate:
    return SamTemplate.load(FIXTURE)


# --- template.yaml as the runner reads it ----------------------------------------------------
def test_environment_merges_globals_and_resolves_intrinsics(fixture_template: SamTemplate) -> None:
    env = fixture_template.function("EchoFunction").environment()
    assert env["STAGE"] == "dev"
    assert env["TABLE_NAME"] == "leadops-local-LeadsTable"
    assert env["QUEUE_URL"].endswith(f"/{ACCOUNT_ID}/leadops-local-TicketsQueue.fifo")
    assert env["QUEUE_ARN"] == (
        f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:leadops-local-TicketsQueue.fifo"
    )
    assert env["SECRET_ARN"].startswith("arn:aws:secretsmanager:us-east-1:")
    assert env["BUS_NAME"] == "leadops-local-bus"
    assert env["BUCKET"] == "leadops-local-importsbucket"
    assert env["JOINED"] == "dev/us-east-1"
    assert env["SUBBED"] == (
        "dev:leadops-local-LeadsTable:"
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/leadops-local-LeadsTable:{ACCOUNT_ID}"
    )
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"


def test_parameter_overrides_win_over_defaults() -> None:
    template = SamTemplate.load(FIXTURE, {"Stage": "prod"})
    assert template.function("EchoFunction").environment()["STAGE"] == "prod"


def test_product_functions_get_the_shared_layer(template: SamTemplate) -> None:
    for function in template.functions():
        assert ROOT / "layers" / "leadops" in function.layer_dirs
        assert function.environment()["POWERTOOLS_SERVICE_NAME"] == "leadops"


def test_an_unknown_function_names_the_known_ones(template: SamTemplate) -> None:
    with pytest.raises(TemplateError, match="ScoreFunction"):
        template.function("NoSuchFunction")


def test_an_unknown_ref_is_an_error(fixture_template: SamTemplate) -> None:
    with pytest.raises(TemplateError, match="Nowhere"):
        fixture_template.resolve({"Ref": "Nowhere"})


# --- API Gateway behaviour ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("GET", "/leads/l-1", "GET /leads/{lead_id}", {"lead_id": "l-1"}),
        ("POST", "/leads/l-1/disqualify", "POST /leads/{lead_id}/disqualify", {"lead_id": "l-1"}),
        ("POST", "/webhooks/demo-request", "POST /webhooks/demo-request", {}),
        ("DELETE", "/leads/l-1", "ANY /{proxy+}", {"proxy": "leads/l-1"}),
        ("GET", "/a/b/c", "ANY /{proxy+}", {"proxy": "a/b/c"}),
    ],
)
def test_routes_match_like_api_gateway(
    fixture_template: SamTemplate,
    method: str,
    path: str,
    route_key: str,
    parameters: dict[str, str],
) -> None:
    match = match_route(fixture_template.routes(), method, path)
    assert match is not None
    assert (match.route_key, match.path_parameters) == (route_key, parameters)


def test_no_route_no_match(template: SamTemplate) -> None:
    assert match_route(template.routes(), "GET", "/score") is None


def test_events_are_payload_v2(fixture_template: SamTemplate) -> None:
    match = match_route(fixture_template.routes(), "GET", "/leads/l-9")
    assert match is not None
    event = build_event(
        match,
        "GET",
        "/leads/l-9",
        "a=1&a=2&b=",
        [
            ("Content-Type", "application/json"),
            ("X-Dup", "1"),
            ("X-Dup", "2"),
            ("Cookie", "s=1; t=2"),
        ],
        b'{"k": "v"}',
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /leads/{lead_id}"
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"]["x-dup"] == "1,2"
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["pathParameters"] == {"lead_id": "l-9"}
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["authorizer"]["iam"]["accountId"] == ACCOUNT_ID
    assert (event["body"], event["isBase64Encoded"]) == ('{"k": "v"}', False)


def test_a_route_without_iam_auth_has_no_authorizer(fixture_template: SamTemplate) -> None:
    match = match_route(fixture_template.routes(), "POST", "/webhooks/demo-request")
    assert match is not None
    event = build_event(match, "POST", "/webhooks/demo-request", "", [], b"{}")
    assert "authorizer" not in event["requestContext"]


def test_binary_bodies_are_base64(fixture_template: SamTemplate) -> None:
    match = match_route(fixture_template.routes(), "POST", "/x")
    assert match is not None
    event = build_event(match, "POST", "/x", "", [], b"\xff\x00")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\x00"


@pytest.mark.parametrize(
    ("result", "status", "body"),
    [
        ({"statusCode": 201, "body": "made", "headers": {"X": "1"}}, 201, b"made"),
        ({"statusCode": 200, "body": base64.b64encode(b"\x01").decode(), "isBase64Encoded": True},
         200, b"\x01"),
        ({"ok": True}, 200, b'{"ok": true}'),
        ("plain", 200, b"plain"),
    ],
)  # fmt: skip
def test_answers_map_back_to_http(result: Any, status: int, body: bytes) -> None:
    answer = to_http(result)
    assert (answer.status, answer.body) == (status, body)


# --- resources in moto's server --------------------------------------------------------------
@pytest.fixture(scope="module")
def provisioned(fixture_template: SamTemplate) -> Iterator[tuple[str, list[str], list[str]]]:
    """moto's server with the fixture template's resources: (endpoint, created, skipped)."""
    with moto_server() as endpoint:
        yield endpoint, *provision(fixture_template, endpoint)


def test_every_resource_kind_is_created_in_moto(
    provisioned: tuple[str, list[str], list[str]],
) -> None:
    moto_endpoint, created, skipped = provisioned
    assert skipped == ["AWS::CloudWatch::Dashboard Dashboard"]
    assert len(created) == 8

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=moto_endpoint, region_name="us-east-1")

    table = client("dynamodb").describe_table(TableName="leadops-local-LeadsTable")["Table"]
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "gsi1"
    ttl = client("dynamodb").describe_time_to_live(TableName="leadops-local-LeadsTable")
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    assert "leadops-local-CacheTable" in client("dynamodb").list_tables()["TableNames"]
    queue = client("sqs").get_queue_url(QueueName="leadops-local-TicketsQueue.fifo")["QueueUrl"]
    attributes = client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])
    redrive = json.loads(attributes["Attributes"]["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith("leadops-local-TicketsDeadLetterQueue.fifo")
    client("s3").head_bucket(Bucket="leadops-local-importsbucket")
    secret = client("secretsmanager").get_secret_value(SecretId="leadops-local-WebhookSecret")
    assert len(secret["SecretString"]) == 40
    assert secret["SecretString"].isalnum()
    buses = client("events").list_event_buses()["EventBuses"]
    assert "leadops-local-bus" in [bus["Name"] for bus in buses]
    parameter = client("ssm").get_parameter(Name="/leadops/rulebook")["Parameter"]
    assert parameter["Value"] == "packaged"


def test_a_function_reaches_moto_through_its_environment(
    fixture_template: SamTemplate, provisioned: tuple[str, list[str], list[str]]
) -> None:
    endpoint = {"AWS_ENDPOINT_URL": provisioned[0]}
    echo = LocalFunction(fixture_template.function("EchoFunction"), endpoint)
    match = match_route(fixture_template.routes(), "GET", "/leads/l-1")
    assert match is not None
    answer = echo.invoke(build_event(match, "GET", "/leads/l-1", "", [], b""))
    body = json.loads(answer["body"])
    assert body["env"]["TABLE_NAME"] in body["tables"]
    assert body["path_parameters"] == {"lead_id": "l-1"}
    assert 0 < body["remaining_ms"] <= 9000
    assert os.environ.get("TABLE_NAME") is None, "a function's variables leak out of its call"


# --- invoke on every sample event ------------------------------------------------------------
def _function_for(event_file: Path, template: SamTemplate) -> str:
    """events/<folder>.json or events/<folder>-<case>.json belongs to functions/<folder>/."""
    for function in template.functions():
        folder = function.code_dir.name
        if event_file.stem == folder or event_file.stem.startswith(f"{folder}-"):
            return function.logical_id
    raise AssertionError(f"{event_file.name} belongs to no function of template.yaml")


def test_every_function_has_a_sample_event(template: SamTemplate) -> None:
    covered = {_function_for(event, template) for event in EVENTS}
    assert covered == {function.logical_id for function in template.functions()}


def _fresh(event_file: Path, folder: Path) -> Path:
    """A signed sample event re-signed now, with the secret the local stack is given (a vendor
    signs at send time; a stored signature goes stale after 300 s)."""
    event = json.loads(event_file.read_text(encoding="utf-8"))
    if "x-leadops-signature" not in event.get("headers", {}):
        return event_file
    body = event["body"].encode()
    event["headers"]["x-leadops-signature"] = sign(body, WEBHOOK_SECRET, int(time.time()))
    fresh = folder / event_file.name
    fresh.write_text(json.dumps(event), encoding="utf-8")
    return fresh


@pytest.mark.parametrize("event_file", EVENTS, ids=lambda path: path.name)
def test_invoke_answers_every_sample_event(
    event_file: Path,
    template: SamTemplate,
    capsys: pytest.CaptureFixture[str],
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Each event against a fresh moto stack; Zendesk is a local stand-in."""
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_WebhookSecret", WEBHOOK_SECRET)
    httpserver.expect_request("/api/v2/tickets.json", method="POST").respond_with_json(
        {"ticket": {"id": 1}}, status=201
    )
    function_id = _function_for(event_file, template)
    code = main(
        [
            "--template",
            str(TEMPLATE),
            "--parameter-overrides",
            f"ZendeskBaseUrl={httpserver.url_for('')}",
            "invoke",
            function_id,
            "-e",
            str(_fresh(event_file, tmp_path)),
            "--moto",
        ]
    )
    answer = json.loads(capsys.readouterr().out)
    assert code == 0
    if "statusCode" in answer:  # HTTP: answered, not refused
        assert answer["statusCode"] < 400, answer
    elif "batchItemFailures" in answer:  # SQS: nothing failed
        assert answer == {"batchItemFailures": []}


def test_invoke_as_a_command_prints_only_the_answer_on_stdout() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "leadops_local",
            "invoke",
            "ScoreFunction",
            "-e",
            "events/score.json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["lead_score"]["max"] == 70
    assert "lead scored" in result.stderr  # the function's log line, kept off stdout


def test_invoke_of_an_unknown_function_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--template", str(TEMPLATE), "invoke", "Nope", "-e", str(EVENTS[0])]) == 2
    assert "no function 'Nope'" in capsys.readouterr().err
