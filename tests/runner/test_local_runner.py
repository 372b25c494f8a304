"""The docker-free local runner: template reading, events, routing, provisioning in moto, the
HTTP server in-process, and `invoke` on every sample event in events/."""

import base64
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from pytest_httpserver import HTTPServer

from leadops.http.signature import sign
from leadops_local.__main__ import main
from leadops_local.apigw import build_event, match_route, to_http
from leadops_local.provision import creation_order, provision
from leadops_local.runtime import LambdaContext, LocalFunction, env_overrides, load_function
from leadops_local.server import LocalApi, moto_server
from leadops_local.template import (
    ACCOUNT_ID,
    DEFAULT_ROUTE,
    Function,
    Route,
    SamTemplate,
    TemplateError,
)
from tests.helpers import ROOT, TEMPLATE, WEBHOOK_SECRET

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = FIXTURES / "template.yaml"
EVENTS = sorted((ROOT / "events").glob("*.json"))
# Template parameters that are a vendor's base URL: pointed at a stand-in on 127.0.0.1.
VENDOR_URL_PARAMETERS = (
    "ZendeskBaseUrl", "PostHogHost", "SlackApiUrl", "SalesforceInstanceUrl", "HubSpotApiUrl",
)  # fmt: skip
# Parameters that turn optional parts on for the sample events (their functions exist only then).
SWITCHES = ("SlackChannel=C0LEADS01",)


@pytest.fixture(scope="module")
def fixture_template() -> SamTemplate:
    return SamTemplate.load(FIXTURE)


@pytest.fixture
def echo_event(tmp_path: Path) -> Path:
    """An event file for the fixture's EchoFunction."""
    path = tmp_path / "echo.json"
    path.write_text(json.dumps({"rawPath": "/leads/l-1"}), encoding="utf-8")
    return path


def _answer_body(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The body of the HTTP answer `invoke` printed on stdout."""
    body: dict[str, Any] = json.loads(json.loads(capsys.readouterr().out)["body"])
    return body


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
    assert env["SUB_MAP"] == "DEBUG, ${Literal}"  # !FindInMap, and ${!x} kept literally
    assert env["ORIGINS"] == "https://a.example;https://b.example"  # a CommaDelimitedList
    assert env["RULEBOOK"] == "packaged"  # !GetAtt of a property
    assert "PROD_ONLY" not in env  # !If false -> AWS::NoValue: no variable at all


def test_environment_has_the_lambda_runtime_variables(fixture_template: SamTemplate) -> None:
    env = fixture_template.function("EchoFunction").environment()
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "leadops-local-EchoFunction"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"  # Globals
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert Path(env["LAMBDA_TASK_ROOT"]) == FIXTURES / "echo"
    assert env["_HANDLER"] == "app.lambda_handler"


def test_parameter_overrides_win_over_defaults_and_drive_conditions() -> None:
    template = SamTemplate.load(FIXTURE, {"Stage": "prod"})
    env = template.function("EchoFunction").environment()
    assert (env["STAGE"], env["SUB_MAP"], env["PROD_ONLY"]) == (
        "prod",
        "WARNING, ${Literal}",
        "yes",
    )
    assert template.exists("ProdOnlyQueue")


def test_a_resource_whose_condition_is_false_does_not_exist(fixture_template: SamTemplate) -> None:
    assert not fixture_template.exists("ProdOnlyQueue")
    assert "ProdOnlyQueue" not in fixture_template.of_type("AWS::SQS::Queue")


def test_layers_are_the_globals_then_the_functions_own(fixture_template: SamTemplate) -> None:
    function = fixture_template.function("EchoFunction")
    assert function.layer_dirs == (FIXTURES / "layers" / "shared", FIXTURES / "layers" / "extra")
    assert function.timeout == 9  # the function's own value wins over Globals


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


def test_env_vars_parameters_apply_to_every_function_and_its_own_entry_wins() -> None:
    env_vars = {"Parameters": {"A": "all", "B": "all"}, "F": {"B": "mine", "N": 3, "T": True}}
    assert env_overrides(env_vars, "F") == {"A": "all", "B": "mine", "N": "3", "T": "true"}
    assert env_overrides(env_vars, "G") == {"A": "all", "B": "all"}


# --- the function as Lambda runs it ----------------------------------------------------------
def test_the_context_has_what_the_python_runtime_gives() -> None:
    first = LambdaContext(function_name="f", memory_limit_in_mb=128, timeout_s=3)
    second = LambdaContext(function_name="f", memory_limit_in_mb=128, timeout_s=3)
    assert first.invoked_function_arn == f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:f"
    assert first.log_group_name == "/aws/lambda/f"
    assert (first.function_version, first.memory_limit_in_mb) == ("$LATEST", 128)
    assert uuid.UUID(first.aws_request_id) != uuid.UUID(second.aws_request_id)
    assert 2000 < first.get_remaining_time_in_millis() <= 3000


def test_load_function_runs_a_handler_as_the_runner_does() -> None:
    echo = load_function("EchoFunction", FIXTURE, {"STAGE": "from-test"})
    answer = echo.invoke({"rawPath": "/leads/l-1", "pathParameters": {"lead_id": "l-1"}})
    body = json.loads(answer["body"])
    assert body["layers"] == ["shared", "extra"]
    assert body["env"]["STAGE"] == "from-test"
    assert os.environ.get("STAGE") is None, "a function's variables leak out of its call"


def test_each_function_is_imported_once_under_its_own_module_name(
    fixture_template: SamTemplate,
) -> None:
    echo = LocalFunction(fixture_template.function("EchoFunction"))
    assert echo.handler() is echo.handler()
    assert sys.modules[echo.module_name].__file__ == str(FIXTURES / "echo" / "app.py")


# --- API Gateway behaviour ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("GET", "/leads/l-1", "GET /leads/{lead_id}", {"lead_id": "l-1"}),
        ("GET", "/leads/a%20b", "GET /leads/{lead_id}", {"lead_id": "a b"}),
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


def test_the_default_route_takes_what_no_other_route_matches() -> None:
    routes = [Route("ANY", DEFAULT_ROUTE, "Fallback", False), Route("GET", "/a", "A", False)]
    exact, other = match_route(routes, "GET", "/a"), match_route(routes, "POST", "/a")
    assert exact is not None
    assert other is not None
    assert exact.route.function == "A"
    assert (other.route.function, other.route_key) == ("Fallback", "$default")


def test_no_route_no_match(template: SamTemplate) -> None:
    assert match_route(template.routes(), "GET", "/score") is None


def test_iam_auth_comes_from_the_route_or_the_apis_default(template: SamTemplate) -> None:
    auth = {(route.method, route.path): route.iam_auth for route in template.routes()}
    assert auth[("POST", "/score")] is True
    assert auth[("POST", "/webhooks/demo-request")] is False


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
            ("User-Agent", "test/1"),
            ("X-Dup", "1"),
            ("X-Dup", "2"),
            ("Cookie", "s=1; t=2"),
        ],
        b'{"k": "v"}',
        "10.0.0.7",
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /leads/{lead_id}"
    assert (event["rawPath"], event["rawQueryString"]) == ("/leads/l-9", "a=1&a=2&b=")
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"]["x-dup"] == "1,2"
    assert "Content-Type" not in event["headers"]
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["pathParameters"] == {"lead_id": "l-9"}
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/leads/l-9",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.7",
        "userAgent": "test/1",
    }
    assert (context["stage"], context["accountId"]) == ("$default", ACCOUNT_ID)
    assert uuid.UUID(context["requestId"])
    assert abs(context["timeEpoch"] / 1000 - time.time()) < 60
    assert time.strptime(context["time"], "%d/%b/%Y:%H:%M:%S +0000")
    assert context["authorizer"]["iam"]["accountId"] == ACCOUNT_ID
    assert (event["body"], event["isBase64Encoded"]) == ('{"k": "v"}', False)


def test_a_route_without_iam_auth_has_no_authorizer(fixture_template: SamTemplate) -> None:
    match = match_route(fixture_template.routes(), "POST", "/webhooks/demo-request")
    assert match is not None
    event = build_event(match, "POST", "/webhooks/demo-request", "", [], b"{}")
    assert "authorizer" not in event["requestContext"]


@pytest.mark.parametrize(
    ("content_type", "body", "encoded"),
    [
        ("", b"\xff\x00", True),  # not UTF-8
        ("image/png", b"PNG", True),  # a binary type
        ("application/octet-stream", b"abc", True),
        ("text/csv; charset=utf-8", b"a,b", False),
        ("application/vnd.api+json", b"{}", False),
        ("application/x-www-form-urlencoded", b"a=1", False),
    ],
)
def test_binary_bodies_are_base64(
    fixture_template: SamTemplate, content_type: str, body: bytes, encoded: bool
) -> None:
    match = match_route(fixture_template.routes(), "POST", "/x")
    assert match is not None
    headers = [("content-type", content_type)] if content_type else []
    event = build_event(match, "POST", "/x", "", headers, body)
    assert event["isBase64Encoded"] is encoded
    assert (base64.b64decode(event["body"]) if encoded else event["body"].encode()) == body


@pytest.mark.parametrize(
    ("result", "status", "body"),
    [
        ({"statusCode": 201, "body": "made", "headers": {"X": "1"}}, 201, b"made"),
        ({"statusCode": 200, "body": base64.b64encode(b"\x01").decode(), "isBase64Encoded": True},
         200, b"\x01"),
        ({"statusCode": 204}, 204, b""),
        ({"ok": True}, 200, b'{"ok": true}'),
        ("plain", 200, b"plain"),
    ],
)  # fmt: skip
def test_answers_map_back_to_http(result: Any, status: int, body: bytes) -> None:
    answer = to_http(result)
    assert (answer.status, answer.body) == (status, body)


def test_answer_cookies_become_set_cookie_headers() -> None:
    answer = to_http({"statusCode": 200, "cookies": ["a=1", "b=2"], "headers": {"X-A": "1"}})
    assert answer.headers == [("X-A", "1"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]


def test_an_answer_without_status_code_is_json() -> None:
    assert ("Content-Type", "application/json") in to_http({"ok": True}).headers


# --- the HTTP server, in-process ------------------------------------------------------------
@pytest.fixture(scope="module")
def local_api(fixture_template: SamTemplate) -> Iterator[tuple[str, int]]:
    """The fixture template's API on a free loopback port: (host, port)."""
    api = LocalApi(("127.0.0.1", 0), fixture_template, {})
    thread = threading.Thread(target=api.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield "127.0.0.1", api.server_address[1]
    finally:
        api.shutdown()
        api.server_close()
        thread.join(timeout=10)


def _request(
    address: tuple[str, int],
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    chunked: bool = False,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = http.client.HTTPConnection(*address, timeout=30)
    try:
        chunks = iter([body[:1], body[1:]]) if chunked and body else body
        connection.request(method, path, chunks, headers or {}, encode_chunked=chunked)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_a_request_reaches_its_function_as_a_v2_event(local_api: tuple[str, int]) -> None:
    status, headers, raw = _request(
        local_api, "GET", "/leads/a%20b?x=1&x=2", headers={"Cookie": "s=1; t=2", "X-Dup": "1"}
    )
    assert (status, headers["content-type"], headers["x-echo"]) == (200, "application/json", "1")
    assert headers.get_all("set-cookie") == ["a=1; Path=/", "b=2"]
    body = json.loads(raw)
    assert body["route_key"] == "GET /leads/{lead_id}"
    assert body["path_parameters"] == {"lead_id": "a b"}
    assert (body["query"], body["cookies"]) == ({"x": "1,2"}, ["s=1", "t=2"])
    assert body["headers"]["x-dup"] == "1"
    assert body["authorizer"]["iam"]["accountId"] == ACCOUNT_ID
    assert body["layers"] == ["shared", "extra"]
    assert body["env"]["STAGE"] == "dev"


def test_binary_and_chunked_bodies_reach_the_function(local_api: tuple[str, int]) -> None:
    payload = b"\xff\x00\x01"
    headers = {"Content-Type": "application/octet-stream"}
    status, _, raw = _request(local_api, "POST", "/upload", payload, headers, chunked=True)
    body = json.loads(raw)
    assert (status, body["is_base64"]) == (200, True)
    assert base64.b64decode(body["body"]) == payload


def test_an_answer_without_status_code_is_a_200_json(local_api: tuple[str, int]) -> None:
    status, headers, raw = _request(local_api, "GET", "/plain")
    assert (status, headers["content-type"], json.loads(raw)) == (
        200,
        "application/json",
        {"plain": True},
    )


def test_a_head_request_has_no_body(local_api: tuple[str, int]) -> None:
    status, headers, raw = _request(local_api, "HEAD", "/leads/l-1")
    assert (status, raw) == (200, b"")
    assert int(headers["content-length"]) > 0


def test_a_crashing_handler_is_a_502_with_the_trace_on_stderr(
    local_api: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, raw = _request(local_api, "POST", "/boom", b"{}")
    assert (status, json.loads(raw)) == (502, {"message": "Internal Server Error"})
    assert "RuntimeError: boom" in capsys.readouterr().err


def test_an_unknown_route_is_a_404(template: SamTemplate) -> None:
    api = LocalApi(("127.0.0.1", 0), template, {})
    try:
        answer = api.dispatch("GET", "/nowhere?x=1", {}, b"", "127.0.0.1")
        wrong_method = api.dispatch("DELETE", "/score", {}, b"", "127.0.0.1")
    finally:
        api.server_close()
    assert (answer.status, json.loads(answer.body)) == (404, {"message": "Not Found"})
    assert wrong_method.status == 404


# --- resources in moto's server --------------------------------------------------------------
def test_a_dead_letter_queue_is_created_before_the_queue_that_uses_it(
    fixture_template: SamTemplate,
) -> None:
    order = creation_order(fixture_template)
    assert order.index("TicketsDeadLetterQueue") < order.index("TicketsQueue")
    assert sorted(order) == sorted(fixture_template.resources)


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
    assert not any("ProdOnlyQueue" in line for line in created)  # its condition is false

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=moto_endpoint, region_name="us-east-1")

    table = client("dynamodb").describe_table(TableName="leadops-local-LeadsTable")["Table"]
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "gsi1"
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = client("dynamodb").describe_time_to_live(TableName="leadops-local-LeadsTable")
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    assert "leadops-local-CacheTable" in client("dynamodb").list_tables()["TableNames"]
    queue = client("sqs").get_queue_url(QueueName="leadops-local-TicketsQueue.fifo")["QueueUrl"]
    attributes = client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])
    assert attributes["Attributes"]["FifoQueue"] == "true"
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


def test_a_secret_value_can_be_given_by_environment(
    fixture_template: SamTemplate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_WebhookSecret", "from-env")
    with moto_server() as endpoint:
        provision(fixture_template, endpoint)
        secrets = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1")
        value = secrets.get_secret_value(SecretId="leadops-local-WebhookSecret")
    assert value["SecretString"] == "from-env"


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
    assert 0 < body["remaining_ms"] <= 9000  # the function's Timeout
    assert os.environ.get("TABLE_NAME") is None, "a function's variables leak out of its call"


# --- the command line ------------------------------------------------------------------------
def test_options_go_before_or_after_the_subcommand(
    echo_event: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    after = ["invoke", "EchoFunction", "-e", str(echo_event), "--template", str(FIXTURE)]
    assert main([*after, "--parameter-overrides", "Stage=prod"]) == 0
    assert _answer_body(capsys)["env"]["PROD_ONLY"] == "yes"
    before = ["--template", str(FIXTURE), "--parameter-overrides", "Stage=prod"]
    assert main([*before, "invoke", "EchoFunction", "-e", str(echo_event)]) == 0
    assert _answer_body(capsys)["env"]["STAGE"] == "prod"


def test_env_vars_file_sets_variables_like_sam(
    echo_event: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_vars = tmp_path / "env.json"
    document = {"Parameters": {"BUCKET": "all", "STAGE": "all"}, "EchoFunction": {"STAGE": "own"}}
    env_vars.write_text(json.dumps(document), encoding="utf-8")
    argv = ["--template", str(FIXTURE), "invoke", "EchoFunction", "-e", str(echo_event)]
    assert main([*argv, "--env-vars", str(env_vars)]) == 0
    env = _answer_body(capsys)["env"]
    assert (env["BUCKET"], env["STAGE"]) == ("all", "own")


def test_invoke_of_an_unknown_function_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--template", str(TEMPLATE), "invoke", "Nope", "-e", str(EVENTS[0])]) == 2
    assert "no function 'Nope'" in capsys.readouterr().err


def test_invoke_of_a_missing_event_file_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.json"
    assert main(["--template", str(FIXTURE), "invoke", "EchoFunction", "-e", str(missing)]) == 2
    captured = capsys.readouterr()
    assert f"event file not found: {missing}" in captured.err
    assert captured.out == ""


def test_a_handler_error_is_lambdas_error_document_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = tmp_path / "boom.json"
    event.write_text('{"rawPath": "/boom"}', encoding="utf-8")
    assert main(["--template", str(FIXTURE), "invoke", "EchoFunction", "-e", str(event)]) == 1
    captured = capsys.readouterr()
    error = json.loads(captured.out)
    assert (error["errorType"], error["errorMessage"]) == ("RuntimeError", "boom")
    assert "Traceback" in captured.err


# --- invoke on every sample event ------------------------------------------------------------
def _all_functions(template: SamTemplate) -> list[Function]:
    """Every function of the template, also those a Condition leaves out by default."""
    return [
        template.function(logical_id)
        for logical_id, resource in template.resources.items()
        if resource.get("Type") == "AWS::Serverless::Function"
    ]


def _function_for(event_file: Path, template: SamTemplate) -> str:
    """events/<folder>.json or events/<folder>-<case>.json belongs to functions/<folder>/."""
    for function in _all_functions(template):
        folder = function.code_dir.name
        if event_file.stem == folder or event_file.stem.startswith(f"{folder}-"):
            return function.logical_id
    raise AssertionError(f"{event_file.name} belongs to no function of template.yaml")


def test_every_event_file_belongs_to_a_function(template: SamTemplate) -> None:
    for event in EVENTS:
        _function_for(event, template)


def test_every_function_has_a_sample_event(template: SamTemplate) -> None:
    covered = {_function_for(event, template) for event in EVENTS}
    functions = {function.logical_id for function in _all_functions(template)}
    assert functions - covered == set(), "functions without an events/<folder>.json"


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
    """Each event against a fresh moto stack; vendors are a local stand-in."""
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_WebhookSecret", WEBHOOK_SECRET)
    httpserver.expect_request("/api/v2/tickets.json", method="GET").respond_with_json(
        {"tickets": []}
    )
    httpserver.expect_request("/api/v2/tickets.json", method="POST").respond_with_json(
        {"ticket": {"id": 1}}, status=201
    )
    vendors = [
        f"{name}={httpserver.url_for('').rstrip('/')}"
        for name in VENDOR_URL_PARAMETERS
        if name in template.parameters
    ]
    function_id = _function_for(event_file, template)
    code = main(
        [
            "--template",
            str(TEMPLATE),
            "--parameter-overrides",
            " ".join([*vendors, *SWITCHES]),
            "invoke",
            function_id,
            "-e",
            str(_fresh(event_file, tmp_path)),
            "--moto",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err[-3000:]
    answer = json.loads(captured.out)
    if isinstance(answer, dict) and "statusCode" in answer:  # HTTP: answered, no server error
        assert answer["statusCode"] < 500, answer


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
            "--template",
            "template.yaml",
            "--moto",  # /score reads the live rulebook from its table
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)  # nothing but the answer: logs went to stderr
    assert answer["statusCode"] == 200
    assert isinstance(json.loads(answer["body"]), dict)
