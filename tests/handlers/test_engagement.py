"""Engagement through the real handlers on moto (issue 15): PostHog events -> behaviour score
-> MQL -> the API, PostHog (a stand-in on 127.0.0.1) and the account's routing; decay later.

PostHog's HTTP Webhook destination (its ``template-webhook`` hog function) posts, by default,
the JSON body ``{"event": "{event}", "person": "{person}"}``: the ``event`` global is
``{uuid, event, distinct_id, properties, elements_chain, timestamp, url}`` and ``person`` is
``{id, properties, name, url}`` (PostHog's HogFunctionInvocationGlobals); the headers are the
ones configured on the destination, here ``X-Leadops-Secret``. ``events/posthog/webhook.json``
is such a body.
"""

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from pytest_httpserver import HTTPServer

from leadops.adapters.leads_table import People
from leadops.behaviour import StoredPerson, person_id
from leadops.services.live_rulebook import expire_all
from leadops_local.provision import provision
from leadops_local.runtime import LocalFunction
from leadops_local.template import SamTemplate
from tests.helpers import (
    ROOT,
    SALES,
    TEMPLATE,
    WEBHOOK_SECRET,
    add_rep,
    call,
    candidate,
    deliver,
    http_event,
)

SECRET = "test-posthog-secret"
KEY = "phc_test_project_key"
EMAIL = SALES["email"]  # ada@acme-analytics.io: a high-fit company (ICP 24, tier high)
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def stack(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SamTemplate]:
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_WebhookSecret", WEBHOOK_SECRET)
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_PostHogKeySecret", KEY)
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_PostHogWebhookSecret", SECRET)
    template = SamTemplate.load(TEMPLATE, {"PostHogHost": httpserver.url_for("").rstrip("/")})
    with mock_aws():
        provision(template, None)
        yield template


def event(name: str, at: datetime, *, path: str = "/", email: str = EMAIL,
          uid: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A webhook destination body (its default {"event", "person"} template)."""
    return {
        "event": {
            "uuid": uid or str(uuid.uuid4()),
            "event": name,
            "distinct_id": "0192f0c1-anon",
            "properties": {"$current_url": f"https://www.example.io{path}", "$browser": "Firefox"},
            "elements_chain": "",
            "timestamp": at.isoformat().replace("+00:00", "Z"),
            "url": "https://us.posthog.com/project/1/events/x",
        },
        "person": {"id": "p-1", "properties": {"email": email}, "name": email, "url": ""},
    }


def post(stack: SamTemplate, body: Any, secret: str = SECRET) -> tuple[int, dict[str, Any]]:
    raw = json.dumps(body)
    function = LocalFunction(stack.function("PostHogWebhookFunction"))
    response = function.invoke(
        http_event("POST", "/webhooks/posthog", raw, headers={"x-leadops-secret": secret})
    )
    return response["statusCode"], json.loads(response["body"])


def person_score(stack: SamTemplate, email: str = EMAIL) -> dict[str, Any]:
    status, answer = call(LocalFunction(stack.function("PeopleApiFunction")), "GET",
                          f"/people/{email}/score")  # fmt: skip
    assert status == 200, answer
    return dict(answer)


def sync_messages(stack: SamTemplate) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=stack.physical_name("IcpSyncQueue"))["QueueUrl"]
    found: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        found += [{"messageId": m["MessageId"], "body": m["Body"]} for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return found


def of_type(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if json.loads(m["body"])["detail-type"] == kind]


def test_a_high_fit_person_crosses_mql_once_and_decays_31_days_later(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    """The issue's "Done when": pricing page twice and a demo request within a week, from a
    high-fit company -> MQL exactly once, visible in the API, in PostHog and in the account's
    routing; 31 days later without activity the behaviour score has decayed by 10. (Events are
    processed at the real time: moto's EventBridge drops deliveries made under time travel.)"""
    httpserver.expect_request("/batch/", method="POST").respond_with_json({"status": 1})
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=6)
    add_rep(LocalFunction(stack.function("LeadsApiFunction")), "tae-1")
    status, lead = deliver(LocalFunction(stack.function("WebhookFunction")), SALES)
    assert status == 200
    assert lead["icp_tier"] == "high"
    assert post(stack, event("$pageview", start, path="/pricing"))[1]["counted"] == 1
    second = event("$pageview", start + timedelta(days=2), path="/pricing/teams")
    status, answer = post(stack, [second, second, event("$autocapture", start)])
    assert (status, answer["counted"], answer["duplicates"], answer["unknown"]) == (200, 1, 1, 1)
    demo = event("demo_requested", start + timedelta(days=5))
    assert post(stack, demo)[1]["mql"] == 1
    again = post(stack, demo)[1]  # the same uuid delivered again
    assert (again["counted"], again["duplicates"], again["mql"], again["writes"]) == (0, 1, 0, 0)
    seen = person_score(stack)
    assert seen["behaviour"]["total"] == 60
    assert [i["metric"] for i in seen["behaviour"]["items"]] == ["pricing_page", "demo_requested"]
    assert seen["grade"]["grade"] == "A1"
    assert seen["fit"]["lead_id"] == lead["lead_id"]
    assert seen["mql"]["is_mql"]
    assert seen["mql"]["times"] == 1
    messages = sync_messages(stack)
    (mql,) = of_type(messages, "lead.mql")  # exactly once
    detail = json.loads(mql["body"])["detail"]
    assert detail == {"person_id": person_id(EMAIL), "lead_id": lead["lead_id"],
                      "domain": "acme-analytics.io", "behaviour_score": 60, "fit_letter": "A",
                      "grade": "A1", "mql_at": detail["mql_at"]}  # fmt: skip
    assert EMAIL not in mql["body"]
    _posthog_gets_the_mql_properties(stack, httpserver, messages, detail["mql_at"])
    _the_account_has_the_mql_signal(stack)
    rules = LocalFunction(stack.function("RulebookApiFunction"))
    _, report = call(rules, "GET", "/reports/conversion?by=grade")
    assert [(g["group"], g["leads"]) for g in report["groups"]] == [("A1", 1)]
    with time_machine.travel(start + timedelta(days=5 + 31), tick=False):
        assert person_score(stack)["behaviour"]["total"] == 50  # -10 after 31 idle days
        swept = LocalFunction(stack.function("BehaviourSweepFunction")).invoke({})
        assert swept == {"people": 1, "written": 1}


def _posthog_gets_the_mql_properties(
    stack: SamTemplate, httpserver: HTTPServer, messages: list[dict[str, Any]], mql_at: str
) -> None:
    """PostHog's capture API, batch form (posthog.com/docs/api/capture): POST /batch/ with
    {"api_key": <project key>, "batch": [{"event": "$set", "distinct_id", "properties":
    {"$set": {...}}, "timestamp", "uuid"}]} - person properties are set by a $set event."""
    worker = LocalFunction(stack.function("PostHogSyncFunction"))
    assert worker.invoke({"Records": messages}) == {"batchItemFailures": []}
    ((request, _),) = httpserver.log
    sent = request.get_json()
    assert request.path == "/batch/"
    assert sent["api_key"] == KEY
    by_event = {e["properties"]["$set"].get("lead_grade"): e for e in sent["batch"]}
    mql = by_event["A1"]
    assert (mql["event"], mql["distinct_id"]) == ("$set", EMAIL)
    assert mql["properties"]["$set"] == {
        "behaviour_score": 60,
        "lead_grade": "A1",
        "mql_at": mql_at,
    }
    assert str(uuid.UUID(mql["uuid"])) == mql["uuid"]


def _the_account_has_the_mql_signal(stack: SamTemplate) -> None:
    accounts = LocalFunction(stack.function("AccountsApiFunction"))
    status, account = call(accounts, "GET", "/accounts/acme-analytics.io")
    assert status == 200
    assert "mql" in [s["type"] for s in account["signals"]]
    assert account["routing"]["team"] == "new_business"


def test_an_mql_without_a_demo_form_routes_the_account_by_nb_mql(stack: SamTemplate) -> None:
    """No lead stored (fit unknown: letter X), a work domain: the mql signal alone routes the
    company's account to new business (NB-MQL); the person's grade says the fit is unknown."""
    add_rep(LocalFunction(stack.function("LeadsApiFunction")), "tae-1", territory="AMER")
    email, now = "lin@initech.com", datetime.now(UTC)
    batch = [event("$pageview", now, path="/pricing", email=email),
             event("webinar_attended", now, email=email),
             event("demo_requested", now, email=email)]  # fmt: skip
    status, answer = post(stack, {"batch": batch})
    assert (status, answer["mql"], answer["writes"]) == (200, 1, 1)
    _, account = call(LocalFunction(stack.function("AccountsApiFunction")), "GET",
                      "/accounts/initech.com")  # fmt: skip
    assert account["routing"]["rule"] == "NB-MQL"
    seen = person_score(stack, email)
    assert seen["grade"]["grade"] == "X1"
    assert seen["fit"]["icp_score"] is None


def test_events_out_of_order_give_the_same_score(stack: SamTemplate) -> None:
    """The same events, one person in date order in one request, another in reverse order one
    by one: the same items and total (caps and decay read the days in date order)."""
    days = [0, 1, 2, 3, 40, 41, 90]
    names = ["$pageview", "$pageview", "$pageview", "email_clicked", "demo_requested",
             "$pageview", "webinar_attended"]  # fmt: skip
    with time_machine.travel(T0 + timedelta(days=100), tick=False):
        for email, order in (("a@initech.com", days), ("b@initech.com", days[::-1])):
            for day in order:
                name = names[days.index(day)]
                assert post(stack, event(name, T0 + timedelta(days=day), path="/pricing",
                                         email=email))[0] == 200  # fmt: skip
        first, second = person_score(stack, "a@initech.com"), person_score(stack, "b@initech.com")
    assert first["behaviour"] == second["behaviour"]
    assert first["behaviour"]["total"] > 0


def test_a_malformed_event_is_reported_and_never_fails_the_batch(stack: SamTemplate) -> None:
    with time_machine.travel(T0, tick=False):
        good = event("demo_requested", T0)
        no_uuid = event("demo_requested", T0)
        del no_uuid["event"]["uuid"]
        no_email = event("demo_requested", T0, email="not-an-email")
        status, answer = post(stack, [good, no_uuid, "junk", no_email])
    assert status == 200
    assert (answer["counted"], answer["malformed"], answer["received"]) == (1, 3, 4)
    assert [(p["position"], p["field"]) for p in answer["problems"]] == [
        (1, "uuid"), (2, "event"), (3, "person.properties.email")]  # fmt: skip
    assert "not-an-email" not in json.dumps(answer)


def test_a_wrong_secret_is_a_401_and_a_body_without_events_a_422(stack: SamTemplate) -> None:
    status, answer = post(stack, event("demo_requested", T0), secret="wrong")
    assert (status, answer["errors"][0]["field"]) == (401, "X-Leadops-Secret")
    status, answer = post(stack, 42)
    assert (status, answer["errors"][0]["field"]) == (422, "body")


def test_a_batch_export_file_is_streamed_into_scores_with_a_report(stack: SamTemplate) -> None:
    """PostHog's S3 batch export, events model, JSON Lines: one event per line with ``uuid``,
    ``event``, ``distinct_id``, ``person_id``, ``properties``, ``person_properties``,
    ``timestamp`` ... (posthog.com/docs/data-pipelines/batch-exports/s3);
    ``events/posthog/batch_export.jsonl`` is such a file."""
    body = (ROOT / "events/posthog/batch_export.jsonl").read_bytes() + b"{not json\n"
    bucket = stack.physical_name("PostHogExportsBucket")
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="exports/2026-11-02.jsonl", Body=body)
    record = {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket},
              "object": {"key": "exports/2026-11-02.jsonl", "size": len(body)}}}  # fmt: skip
    with time_machine.travel(T0 + timedelta(days=6), tick=False):
        answer = LocalFunction(stack.function("PostHogImportFunction")).invoke(
            {"Records": [record]}
        )
        seen = person_score(stack, "grace@example-corp.io")
    (imported,) = answer["imports"]
    assert imported["status"] == "done"
    assert imported["malformed"] == 1
    report = json.loads(
        s3.get_object(Bucket=bucket, Key="exports/2026-11-02.jsonl.report.json")["Body"].read()
    )
    assert report["problems"] == [
        {"position": body.count(b"\n"), "field": "line", "message": "not JSON"}
    ]
    assert seen["behaviour"]["total"] == 60
    assert seen["mql"]["is_mql"]


def test_the_behaviour_rules_are_live_data_validated_and_dry_run(stack: SamTemplate) -> None:
    """PUT /rulebook refuses a bad [behaviour] section naming the field; a good one is picked up
    by the PostHog webhook without a deploy; the dry run scores events under both rulebooks."""
    rules = LocalFunction(stack.function("RulebookApiFunction"))
    status, answer = call(rules, "PUT", "/rulebook", candidate(**{"behaviour.mql_threshold": 0}))
    assert status == 422
    assert answer["errors"][0]["field"] == "behaviour.mql_threshold"
    lower = candidate(**{"behaviour.mql_threshold": 30})
    status, run = call(rules, "POST", "/rulebook/dry-run", {"rulebook": lower, "icp_score": 24,
                       "events": [event("demo_requested", datetime.now(UTC))]})  # fmt: skip
    assert status == 200
    (person,) = run["people"]["people"].values()
    assert (person["before"]["mql"], person["after"]["mql"], person["after"]["grade"]) == (
        False, True, "A2")  # the engagement bands are their own data  # fmt: skip
    assert call(rules, "PUT", "/rulebook", lower)[0] == 200
    expire_all()
    answer = post(stack, event("demo_requested", datetime.now(UTC)))[1]
    assert answer["mql"] == 1  # 30 points: an MQL under the live rules


def test_two_writers_of_one_person_never_lose_an_event(stack: SamTemplate) -> None:
    """The person item's version: the second writer of the same version is refused (and the
    service then reads again and re-applies its events)."""
    people = People(stack.physical_name("LeadsTable"))
    pid = person_id(EMAIL)
    first = StoredPerson(pid, EMAIL, "acme-analytics.io", score=15)
    assert people.save(first, datetime.now(UTC))
    one, two = people.get(pid), people.get(pid)
    assert one is not None
    assert two is not None
    one.score, two.score = 30, 45
    assert people.save(one, datetime.now(UTC))
    assert not people.save(two, datetime.now(UTC))  # read version 1, stored is 2 now
    stored = people.get(pid)
    assert stored is not None
    assert (stored.score, stored.version) == (30, 2)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)  # fmt: skip
event_fields = st.fixed_dictionaries({}, optional={
    "uuid": json_values | st.uuids().map(str), "event": json_values | st.just("demo_requested"),
    "timestamp": json_values | st.sampled_from(["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00Z",
                                                "2026-11-02T09:00:00Z", "2999-01-01T00:00:00Z"]),
    "properties": json_values | st.just({"$current_url": "http://[::1"}),
    "person": json_values | st.just({"properties": {"email": "a@initech.com"}}),
})  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=json_values | st.lists(event_fields, max_size=4) | event_fields)
def test_any_body_is_answered_without_a_5xx_naming_fields(stack: SamTemplate, body: Any) -> None:
    status, answer = post(stack, body)
    assert status < 500, answer
    if status >= 400:
        assert all(error["field"] for error in answer["errors"])
    else:
        batch = body.get("batch") if isinstance(body, dict) else body
        sent = len(batch) if isinstance(batch, list) else 1
        assert answer["received"] == sent  # every event accounted for, none dropped silently
        counted = answer["counted"] + answer["duplicates"] + answer["unknown"]
        assert counted + answer["malformed"] <= sent
        assert all(problem["field"] for problem in answer["problems"])
