"""`leadops score`, `explain` and SigV4 end to end: the CLI's requests reach the real
``lambda_handler`` of template.yaml's functions in-process, with state in moto."""

import json
import os
import re
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadops_local.runtime import LocalFunction
from tests.cli.conftest import Cli, Recorder, row
from tests.helpers import (
    POSTHOG_WEBHOOK_SECRET,
    SALES,
    SCORE_BODY,
    add_rep,
    call,
    deliver,
    http_event,
)

LEAD = {**SCORE_BODY, "github": "ada-l"}  # the README's /score example
Api = tuple[httpx.MockTransport, Recorder]


def _file(tmp_path: Path, body: Any, name: str = "lead.json") -> Path:
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return path


# --- score ------------------------------------------------------------------------------------
def test_score_prints_both_breakdowns(cli: Cli, lambda_api: Api, tmp_path: Path) -> None:
    transport, recorder = lambda_api
    result = cli("score", str(_file(tmp_path, LEAD)), transport=transport)
    assert result.code == 0, result.err
    (request,) = recorder.requests
    assert (request.method, request.url.path) == ("POST", "/score")
    assert json.loads(request.content) == LEAD
    assert "authorization" not in request.headers  # the local runner: no auth
    out = result.out
    assert "Lead score 50/70" in out
    assert row(out, "employees", "150", "11-1000", "10")
    assert row(out, "country", "GB", "tier 1", "10")
    assert row(out, "total", "50/70")
    assert "ICP score 24/24, tier high" in out
    assert row(out, "founded_year", "2018", "2015-2022", "3")
    assert row(out, "total", "24/24")
    assert "rulebook 2026-" in out
    assert result.err == ""


def test_score_json_is_the_answer_itself(cli: Cli, lambda_api: Api, tmp_path: Path) -> None:
    result = cli("score", str(_file(tmp_path, LEAD)), "--json", transport=lambda_api[0])
    assert result.code == 0
    answer = result.json()
    assert answer["lead_score"]["total"] == 50
    assert answer["icp_score"]["tier"] == "high"


def test_score_field_errors_are_printed_and_exit_1(
    cli: Cli, lambda_api: Api, tmp_path: Path
) -> None:
    body = {"email": "ada@acme.io", "company": {"employees": -5}}
    result = cli("score", str(_file(tmp_path, body)), transport=lambda_api[0])
    assert result.code == 1
    assert "HTTP 422: invalid request" in result.err
    assert "company.employees: Input should be greater than or equal to 0" in result.err
    assert "Traceback" not in result.err
    assert result.out == ""


def test_score_input_file_problems_are_one_line_and_exit_2(cli: Cli, tmp_path: Path) -> None:
    missing = cli("score", str(tmp_path / "nope.json"))
    assert (missing.code, missing.err.strip()) == (
        2,
        f"leadops: file not found: {tmp_path}/nope.json",
    )
    broken = cli("score", str(_file(tmp_path, "{not json")))
    assert broken.code == 2
    assert "not valid JSON" in broken.err
    assert "Traceback" not in missing.err + broken.err


# --- explain ----------------------------------------------------------------------------------
@pytest.fixture
def leads_api(lambda_api: Api, load_function: Any) -> LocalFunction:
    function: LocalFunction = load_function("LeadsApiFunction")
    return function


@pytest.fixture
def webhook(lambda_api: Api, load_function: Any) -> LocalFunction:
    function: LocalFunction = load_function("WebhookFunction")
    return function


def test_explain_shows_the_stored_decision(
    cli: Cli, lambda_api: Api, leads_api: LocalFunction, webhook: LocalFunction
) -> None:
    add_rep(leads_api, "tae-1")
    status, answer = deliver(webhook, SALES)
    assert status == 200, answer
    lead_id = answer["lead_id"]
    assert (
        call(leads_api, "POST", f"/leads/{lead_id}/outcome", {"outcome": "won", "amount": 1200})[0]
        == 200
    )

    result = cli("explain", lead_id, transport=lambda_api[0])
    assert result.code == 0, result.err
    out = result.out
    assert row(out, "lead", lead_id)
    assert row(out, "classification", "sales")
    assert row(out, "outcome", "instant_scheduler")
    assert row(out, "lead score", "40/70")
    assert row(out, "ICP score", "24/24", "(tier high)")
    assert row(out, "scheduler", "eligible")
    assert row(out, "criteria met", "revenue, title, industry")
    assert row(out, "locked out until", "not locked out")
    assert row(out, "owner", "Rep tae-1 (tae-1, TAE) https://cal.example.com/tae-1")
    assert row(out, "decided by", "instant:revenue+title+industry")
    assert row(out, "rulebook", answer["rulebook_version"])
    assert row(out, "deal", "won, amount 1,200.00, at")
    assert "disqualified" not in out
    for number, reason in enumerate(answer["reasons"], 1):
        assert f"{number:>3}. {reason}" in out
    assert "Lead score 40/70" in out
    assert row(out, "country", "DE", "tier 1", "10")
    assert "ICP score 24/24, tier high" in out


def test_explain_shows_a_disqualification_and_the_lockout_it_starts(
    cli: Cli, lambda_api: Api, leads_api: LocalFunction, webhook: LocalFunction
) -> None:
    add_rep(leads_api, "tae-1")
    _, first = deliver(webhook, SALES)
    status, _ = call(
        leads_api, "POST", f"/leads/{first['lead_id']}/disqualify", {"reason": "competitor [test]"}
    )
    assert status == 200
    _, second = deliver(webhook, {**SALES, "submission_id": "sub-2"})

    shown = cli("explain", first["lead_id"], transport=lambda_api[0])
    assert shown.code == 0
    # the time, then the reason; its [ is text, not rich markup
    assert re.search(r"disqualified\s+20\d\d-\S+: competitor \[test\]", shown.out)
    locked = cli("explain", second["lead_id"], transport=lambda_api[0])
    assert row(locked.out, "outcome", "manual_review")
    assert row(locked.out, "scheduler", "not eligible")
    assert re.search(r"locked out until\s+20\d\d-\d\d-\d\dT", locked.out)


def test_explain_an_unknown_lead_is_the_api_message_and_exit_1(cli: Cli, lambda_api: Api) -> None:
    result = cli("explain", "ld_nope", transport=lambda_api[0])
    assert result.code == 1
    assert "HTTP 404: no lead 'ld_nope'" in result.err
    assert "Traceback" not in result.err


def test_explain_json(
    cli: Cli, lambda_api: Api, leads_api: LocalFunction, webhook: LocalFunction
) -> None:
    add_rep(leads_api, "tae-1")
    _, answer = deliver(webhook, SALES)
    view = cli("explain", answer["lead_id"], "--json", transport=lambda_api[0]).json()
    assert {key: view[key] for key in answer} == answer
    assert view["scores"]["lead_score"]["total"] == 40
    assert view["disqualified"] is None


# --- SigV4 and the target -------------------------------------------------------------------
SIGV4 = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>\w+)/\d{8}/(?P<region>[a-z0-9-]+)/execute-api/"
    r"aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)


def test_a_deployed_api_url_is_signed_with_sigv4_for_its_region(
    cli: Cli, lambda_api: Api, tmp_path: Path
) -> None:
    transport, recorder = lambda_api
    url = "https://abc123.execute-api.eu-west-1.amazonaws.com"
    result = cli("--url", url, "score", str(_file(tmp_path, LEAD)), transport=transport)
    assert result.code == 0, result.err
    (request,) = recorder.requests
    assert str(request.url) == f"{url}/score"
    found = SIGV4.match(request.headers["authorization"])
    assert found, request.headers["authorization"]
    assert found["region"] == "eu-west-1"  # from the host name, not AWS_REGION (us-east-1)
    assert found["signed"] == "content-type;host;x-amz-date;x-amz-security-token"
    # the credentials of the environment (moto's fake ones while it runs)
    assert found["key"] == os.environ["AWS_ACCESS_KEY_ID"]
    assert request.headers["x-amz-security-token"] == os.environ["AWS_SESSION_TOKEN"]
    assert re.fullmatch(r"\d{8}T\d{6}Z", request.headers["x-amz-date"])
    assert found["signature"] == _expected_signature(request, "eu-west-1")


def _expected_signature(request: httpx.Request, region: str) -> str:
    """The signature API Gateway computes from the request as it arrived (the headers named
    in SignedHeaders, the body sent), by botocore's SigV4 steps at the request's own time."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signed = re.search(r"SignedHeaders=([^,]+)", request.headers["authorization"])
    assert signed
    names = signed[1].split(";")
    arrived = AWSRequest(
        method=request.method,
        url=str(request.url),
        data=request.content,
        headers={name: request.headers[name] for name in names},
    )
    arrived.context["timestamp"] = request.headers["x-amz-date"]
    credentials = Credentials(
        os.environ["AWS_ACCESS_KEY_ID"],
        os.environ["AWS_SECRET_ACCESS_KEY"],
        os.environ["AWS_SESSION_TOKEN"],
    )
    auth = SigV4Auth(credentials, "execute-api", region)
    string_to_sign = auth.string_to_sign(arrived, auth.canonical_request(arrived))
    return str(auth.signature(string_to_sign, arrived))


def test_region_option_and_environment_for_a_custom_domain(
    cli: Cli, lambda_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport, recorder = lambda_api
    monkeypatch.setenv("LEADOPS_URL", "https://leads.example.com/prod")
    cli("explain", "ld_x", transport=transport)  # custom domain: AWS_REGION (us-east-1)
    cli("explain", "ld_x", "--region", "ap-southeast-2", transport=transport)
    first, second = recorder.requests
    assert str(first.url) == "https://leads.example.com/prod/leads/ld_x"  # the stage kept
    assert "/us-east-1/execute-api/aws4_request" in first.headers["authorization"]
    assert "/ap-southeast-2/execute-api/aws4_request" in second.headers["authorization"]


def test_no_credentials_is_a_clear_error(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    result = cli("--url", "https://abc.execute-api.eu-west-1.amazonaws.com", "explain", "x")
    assert result.code == 1
    assert "no AWS credentials to sign the request with" in result.err
    unknown = cli(
        "--url",
        "https://abc.execute-api.eu-west-1.amazonaws.com",
        "--profile",
        "nope",
        "explain",
        "x",
    )
    assert unknown.code == 1
    assert "nope" in unknown.err
    assert "Traceback" not in result.err + unknown.err


def test_connection_refused_hints_at_make_run(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr("leadops_cli.__main__.LOCAL_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setattr("leadops_cli.api.LOCAL_URL", f"http://127.0.0.1:{port}")
    result = cli("explain", "ld_x")
    assert result.code == 1
    assert f"cannot connect to http://127.0.0.1:{port}" in result.err
    assert "make run" in result.err
    assert "Traceback" not in result.err


def test_a_bad_url_is_a_usage_error(cli: Cli) -> None:
    result = cli("--url", "127.0.0.1:3000", "explain", "x")
    assert result.code == 2
    assert "--url must be http(s)://" in result.err


def test_explain_shows_the_persons_behaviour_score_grade_and_mql(
    cli: Cli, lambda_api: Api, leads_api: LocalFunction, webhook: LocalFunction, load_function: Any
) -> None:
    """Issue 15: the lead's person (by person_id, no email in the URL) with their points."""
    add_rep(leads_api, "tae-1")
    _, answer = deliver(webhook, SALES)
    now = datetime.now(UTC).isoformat()
    events = [
        {"uuid": f"u-{n}", "event": name, "distinct_id": "anon", "timestamp": now,
         "properties": {"$current_url": "https://x.io/pricing"},
         "person": {"properties": {"email": SALES["email"]}}}
        for n, name in enumerate(("$pageview", "demo_requested", "webinar_attended"))
    ]  # fmt: skip
    hook = load_function("PostHogWebhookFunction").invoke(http_event(
        "POST", "/webhooks/posthog", json.dumps(events),
        headers={"x-leadops-secret": POSTHOG_WEBHOOK_SECRET}))  # fmt: skip
    assert json.loads(hook["body"])["mql"] == 1
    result = cli("explain", answer["lead_id"], transport=lambda_api[0])
    assert result.code == 0, result.err
    assert "Behaviour score 65 (MQL from 50)" in result.out
    assert row(result.out, "demo_requested", "1", "requested a demo", "30")
    assert "grade A1" in result.out
    assert "MQL since" in result.out
