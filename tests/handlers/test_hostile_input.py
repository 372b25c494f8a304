"""Hostile input at the webhook, /score and the rulebook API: never a 5xx, every 4xx names a
field, odd text is stored verbatim, and nothing personal or raw reaches the logs."""

import base64
import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadops.rulebook import load_rulebook
from leadops_local.template import SamTemplate
from tests.helpers import (
    SALES,
    FunctionUnderTest,
    add_rep,
    deliver,
    http_event,
    stored_leads,
    stored_profiles,
)

# JSON-ish values of every shape, including ones no form would send.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ["submission_id", "email", "job_title", "role", "message", "honeypot", "github"]
COMPANY = ["name", "domain", "employees", "employees_range", "annual_revenue", "revenue_range"]
COMPANY += ["industry", "type", "founded_year", "country"]
form_bodies = st.fixed_dictionaries(
    {},
    optional={
        **dict.fromkeys(FIELDS, json_values),
        "company": st.fixed_dictionaries({}, optional=dict.fromkeys(COMPANY, json_values))
        | json_values,
    },
)
# Mostly-valid bodies with one field replaced: exercises every validator, not just "email".
mutated = st.builds(
    lambda field, value: {**SALES, field: value}, st.sampled_from([*FIELDS, "company"]), json_values
)


def _assert_well_answered(status: int, answer: dict[str, Any]) -> None:
    assert status < 500, answer
    if status >= 400:
        assert answer["errors"], answer
        assert all(error["field"] for error in answer["errors"]), answer


@pytest.fixture
def webhook(aws: SamTemplate, load_function) -> FunctionUnderTest:  # type: ignore[no-untyped-def]
    return load_function("WebhookFunction")


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=form_bodies | mutated)
def test_the_webhook_never_fails_on_any_body(webhook: FunctionUnderTest, body: Any) -> None:
    status, answer = deliver(webhook, body)
    _assert_well_answered(status, answer)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    headers=st.dictionaries(
        st.sampled_from(["x-leadops-signature", "content-type", "x-other"]),
        st.text(max_size=200),
    ),
    raw=st.binary(max_size=300),
)
def test_any_headers_and_bytes_are_4xx_not_5xx(
    webhook: FunctionUnderTest, headers: dict[str, str], raw: bytes
) -> None:
    event = http_event(
        "POST",
        "/webhooks/demo-request",
        base64.b64encode(raw).decode(),
        is_base64=True,
        headers=headers,
    )
    response = webhook.invoke(event)
    _assert_well_answered(response["statusCode"], json.loads(response["body"]))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=form_bodies | mutated)
def test_score_never_fails_on_any_body(aws: SamTemplate, load_function: Any, body: Any) -> None:
    response = load_function("ScoreFunction").invoke(http_event("POST", "/score", json.dumps(body)))
    _assert_well_answered(response["statusCode"], json.loads(response["body"]))


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("[" * 50000 + "]" * 50000, "body"),  # nested past the recursion limit
        ('{"email": "a@acme.io", "company": {"employees": ' + "9" * 5000 + "}}", "body"),
        ('{"submission_id": "x", "email": "a@acme.io", "company": {"annual_revenue": 1e999}}',
         "company.annual_revenue"),
        ('{"submission_id": "x", "email": "a@acme.io", "company": {"founded_year": 1e30}}',
         "company.founded_year"),
    ],
)  # fmt: skip
def test_pathological_json_is_a_4xx_naming_the_field(
    webhook: FunctionUnderTest, raw: str, field: str
) -> None:
    status, answer = deliver(webhook, raw)
    assert 400 <= status < 500, answer
    assert answer["errors"][0]["field"] == field


def test_bytes_that_are_not_utf8_are_400(webhook: FunctionUnderTest) -> None:
    raw = b'{"email": "\xff@acme.io"}'
    event = http_event(
        "POST", "/webhooks/demo-request", base64.b64encode(raw).decode(), is_base64=True
    )
    response = webhook.invoke(event)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["errors"][0]["field"] == "body"


INJECTIONS = [
    "Robert'); DROP TABLE leads;--",
    "<script>alert(1)</script>",
    "{{7*7}} ${jndi:ldap://127.0.0.1/a} %s%n",
    "../../etc/passwd\x00",
    "=cmd|' /C calc'!A0",
]


def test_injection_strings_are_stored_verbatim_and_never_logged(
    webhook: FunctionUnderTest,
    load_function: Any,
    aws: SamTemplate,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # the deployed level (botocore at DEBUG would log bodies)
    add_rep(load_function("LeadsApiFunction"), "tae-1")
    body = {
        **SALES,
        "first_name": INJECTIONS[0],
        "last_name": INJECTIONS[1],
        "job_title": INJECTIONS[2],
        "message": " ".join(INJECTIONS),
        "company": {**SALES["company"], "name": INJECTIONS[4], "industry": INJECTIONS[3]},
    }
    status, answer = deliver(webhook, body)
    assert status == 200
    (stored,) = stored_leads(aws)
    assert stored.lead_id == answer["lead_id"]
    profile = stored_profiles(aws)["acme-analytics.io"]
    assert profile.company["name"] == INJECTIONS[4]
    assert profile.company["industry"] == INJECTIONS[3]
    logged = caplog.text + " ".join(str(record.__dict__) for record in caplog.records)
    for text in [*INJECTIONS, "ada@acme-analytics.io", SALES["message"]]:
        assert text not in logged


def test_a_full_run_logs_no_personal_data(
    webhook: FunctionUnderTest, load_function: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    add_rep(load_function("LeadsApiFunction"), "tae-1")
    deliver(webhook, SALES)  # sales
    deliver(
        webhook, {**SALES, "submission_id": "s2", "message": "refund the invoice, billing error"}
    )
    deliver(webhook, {**SALES, "submission_id": "s3", "honeypot": "gotcha"})  # spam
    deliver(webhook, SALES)  # replay
    logged = caplog.text + " ".join(str(record.__dict__) for record in caplog.records)
    assert "lead decided" in logged
    for personal in ("ada@acme-analytics.io", "Ada", "Lovelace", "refund the invoice", "gotcha"):
        assert personal not in logged, personal


# The packaged rulebook with one leaf replaced by anything: every rulebook validator in turn.
_PACKAGED = load_rulebook().model_dump(mode="json")


def _with_leaf(path: list[str], value: Any) -> dict[str, Any]:
    document = json.loads(json.dumps(_PACKAGED))
    node = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return document


def _leaves(node: Any, path: list[str]) -> list[list[str]]:
    if isinstance(node, dict):
        return [leaf for key, child in node.items() for leaf in _leaves(child, [*path, key])]
    return [path]


rulebooks = st.builds(_with_leaf, st.sampled_from(_leaves(_PACKAGED, [])), json_values)
dry_runs = st.fixed_dictionaries(
    {"rulebook": rulebooks},
    optional=dict.fromkeys(("lead", "account", "from", "to"), json_values),
)
rules_requests = st.one_of(
    st.tuples(st.just("PUT"), st.just("/rulebook"), rulebooks | json_values),
    st.tuples(st.just("POST"), st.just("/rulebook/dry-run"), dry_runs | json_values),
    st.tuples(st.just("POST"), st.just("/rulebook/rollback"), json_values),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(request=rules_requests)
def test_the_rulebook_api_never_fails_on_any_body(
    aws: SamTemplate, load_function: Any, request: tuple[str, str, Any]
) -> None:
    method, path, body = request
    event = http_event(method, path, json.dumps(body))
    response = load_function("RulebookApiFunction").invoke(event)
    _assert_well_answered(response["statusCode"], json.loads(response["body"]))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.dictionaries(
        st.sampled_from(["from", "to", "by", "x"]), st.text(max_size=20), max_size=4
    )
)
def test_the_conversion_report_never_fails_on_any_query(
    aws: SamTemplate, load_function: Any, query: dict[str, str]
) -> None:
    from urllib.parse import urlencode

    event = http_event("GET", "/reports/conversion", query=urlencode(query))
    response = load_function("RulebookApiFunction").invoke(event)
    _assert_well_answered(response["statusCode"], json.loads(response["body"]))
