"""Enrichment (issue 13) through the real handlers on moto, the provider a stand-in on 127.0.0.1
(pytest-httpserver) that checks the documented paths, query and auth header exactly.

Clearbit's Company API, as its docs (clearbit.com/docs, "Company API") show it::

    GET https://company.clearbit.com/v2/companies/find?domain=stripe.com
    Authorization: Bearer {key}        (or HTTP basic auth with the key as user name)
    -> 200 {"name", "domain", "category": {"sector", "industryGroup", "industry",
            "subIndustry", ...}, "tags": [...], "foundedYear", "type",
            "geo": {"countryCode", ...}, "metrics": {"employees", "employeesRange",
            "annualRevenue", "estimatedAnnualRevenue", ...}, ...}
    -> 404 when the domain is unknown; 202 while a lookup is queued

The canned answer is ``events/enrichment/clearbit/companies/paylode.com.json`` (Paylode, a
fictional payments company: 2,400 employees, "$100M-$250M" estimated revenue, US).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from moto import mock_aws
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from leadops.adapters.accounts_table import AccountsTable
from leadops.routing import AccountSnapshot
from leadops_local.provision import provision
from leadops_local.runtime import LocalFunction
from leadops_local.template import SamTemplate
from tests.helpers import (
    ROOT,
    TEMPLATE,
    WEBHOOK_SECRET,
    add_rep,
    call,
    candidate,
    counting_aws,
    deliver,
    stored_leads,
)

CANNED = ROOT / "events" / "enrichment"
KEY = "cb-test-key"
FORM = json.loads((ROOT / "events/bodies/demo-request-enrich.json").read_text())
COMPANY_PATH = "/v2/companies/find"


def _canned(path: str) -> dict[str, Any]:
    return json.loads((CANNED / path).read_text())


class Stack:
    """A stack deployed with ``EnrichmentProviders=clearbit`` pointed at the stand-in."""

    def __init__(self, template: SamTemplate) -> None:
        self.template = template
        self.webhook = LocalFunction(template.function("WebhookFunction"))
        self.leads_api = LocalFunction(template.function("LeadsApiFunction"))
        self.worker = LocalFunction(template.function("EnrichmentWorkerFunction"))
        self.score = LocalFunction(template.function("ScoreFunction"))

    def queue_url(self, logical_id: str) -> str:
        name = self.template.physical_name(logical_id)
        return boto3.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]

    def work(self) -> dict[str, Any]:
        """One delivery of the enrichment queue's next message to the worker (visible again
        at once when it fails, so a test need not wait out the visibility timeout)."""
        sqs = boto3.client("sqs")
        url = self.queue_url("EnrichmentQueue")
        (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": {},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "awsRegion": "us-east-1",
            "md5OfBody": "",
            "eventSourceARN": self.template.get_att("EnrichmentQueue", "Arn"),
        }
        try:
            answer: dict[str, Any] = self.worker.invoke({"Records": [record]})
        except BatchProcessingError:  # every record failed: Lambda fails the whole batch
            answer = {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
        if answer["batchItemFailures"]:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        else:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return answer

    def messages(self, logical_id: str) -> list[dict[str, Any]]:
        url = self.queue_url(logical_id)
        found = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in found.get("Messages", [])]


def _stack(monkeypatch: pytest.MonkeyPatch, base_url: str, **parameters: str) -> Iterator[Stack]:
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_WebhookSecret", WEBHOOK_SECRET)
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_EnrichmentKeysSecret", json.dumps({"clearbit": KEY}))
    overrides = {
        "EnrichmentProviders": "clearbit",
        "EnrichmentBaseUrl": base_url,
        "EnrichmentTimeoutMs": "400",
        "EnrichmentDeadlineMs": "600",
        **parameters,
    }
    template = SamTemplate.load(TEMPLATE, overrides)
    with mock_aws():
        provision(template, None)
        yield Stack(template)


@pytest.fixture
def stack(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    yield from _stack(monkeypatch, httpserver.url_for("").rstrip("/"))


def _knows_paylode(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        COMPANY_PATH,
        method="GET",
        query_string={"domain": "paylode.com"},
        headers={"Authorization": f"Bearer {KEY}"},
    ).respond_with_json(_canned("clearbit/companies/paylode.com.json"))


def _amer_tae(stack: Stack) -> None:
    add_rep(stack.leads_api, "tae-us", territory="AMER")


def _items(scores: dict[str, Any], card: str) -> dict[str, dict[str, Any]]:
    return {item["metric"]: item for item in scores[card]["items"]}


# --- Done when: a four-field form scores what the company really is --------------------------
def test_a_four_field_form_from_a_large_payments_company_gets_the_instant_scheduler(
    stack: Stack, httpserver: HTTPServer
) -> None:
    _knows_paylode(httpserver)
    _amer_tae(stack)
    status, answer = deliver(stack.webhook, FORM)
    assert status == 200, answer
    assert answer["lead_score"] >= 50  # 20 (2,400 employees) + 20 ($175M) + 10 (CTO) + 10 (US)
    assert answer["scheduler"]["criteria_met"] == ["revenue", "title", "industry"]
    assert answer["outcome"] == "instant_scheduler"
    assert answer["owner"]["booking_url"] == "https://cal.example.com/tae-us"
    assert "enriched by clearbit" in answer["reasons"]
    status, lead = call(stack.leads_api, "GET", f"/leads/{answer['lead_id']}")
    assert status == 200
    items = _items(lead["scores"], "lead_score")
    assert {m: items[m]["source"] for m in items} == {
        "employees": "clearbit",
        "revenue": "clearbit",
        "role": "form",
        "sub_role": "form",
        "country": "clearbit",
    }
    icp = _items(lead["scores"], "icp_score")
    assert icp["company_type"]["source"] == icp["founded_year"]["source"] == "clearbit"
    assert icp["email"]["source"] == "form"
    assert lead["enrichment"]["status"] == "complete"
    assert lead["enrichment"]["providers"] == ["clearbit"]
    (stored,) = stored_leads(stack.template)
    assert stored.record.sources is not None
    assert stored.record.sources["name"] == "form"


def test_one_provider_call_per_domain_and_no_added_aws_call_on_a_cache_hit(
    stack: Stack, httpserver: HTTPServer
) -> None:
    _knows_paylode(httpserver)
    _amer_tae(stack)
    assert deliver(stack.webhook, FORM)[0] == 200
    second = {**FORM, "submission_id": "sub-paylode-0002", "email": "sam.lee@paylode.com"}
    with counting_aws() as calls:
        status, answer = deliver(stack.webhook, second)
    assert status == 200
    assert answer["outcome"] == "instant_scheduler"
    assert len(httpserver.log) == 1  # the second lead was answered from the cache
    # Exactly the webhook's calls without enrichment: the cache read joined the BatchGetItem.
    assert sorted(calls.elements()) == [
        "BatchGetItem",
        "PutEvents",
        "TransactWriteItems",
        "UpdateItem",
    ]
    assert "enrichment: company from the cache" in answer["reasons"]


def test_free_mail_is_never_looked_up_as_a_company(stack: Stack, httpserver: HTTPServer) -> None:
    _amer_tae(stack)
    status, answer = deliver(stack.webhook, {**FORM, "email": "maria.chen@gmail.com"})
    assert status == 200
    assert httpserver.log == []  # the form gives a title: no person lookup either
    assert answer["outcome"] == "manual_review"


def test_an_unknown_domain_is_cached_as_not_found(stack: Stack, httpserver: HTTPServer) -> None:
    httpserver.expect_request(COMPANY_PATH).respond_with_json({"error": {}}, status=404)
    _amer_tae(stack)
    first = {**FORM, "email": "a@unknown-co.com"}
    assert deliver(stack.webhook, first)[1]["outcome"] == "manual_review"
    assert deliver(stack.webhook, {**first, "submission_id": "s-2"})[0] == 200
    assert len(httpserver.log) == 1
    states = [lead.record.enrichment or {} for lead in stored_leads(stack.template)]
    assert [(state["status"], state["providers"]) for state in states] == [("complete", [])] * 2


def test_form_fields_win_over_the_provider(stack: Stack, httpserver: HTTPServer) -> None:
    _knows_paylode(httpserver)
    _amer_tae(stack)
    form = {**FORM, "company": {"name": "Paylode", "employees": 40, "country": "Canada"}}
    _, answer = deliver(stack.webhook, form)
    _, lead = call(stack.leads_api, "GET", f"/leads/{answer['lead_id']}")
    items = _items(lead["scores"], "lead_score")
    assert (items["employees"]["value"], items["employees"]["source"]) == (40, "form")
    assert (items["country"]["value"], items["country"]["source"]) == ("CA", "form")
    assert items["revenue"]["source"] == "clearbit"


def test_over_the_monthly_budget_no_call_is_made_and_the_reasons_say_so(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for stack in _stack(
        monkeypatch, httpserver.url_for("").rstrip("/"), EnrichmentMonthlyBudget="1"
    ):
        _knows_paylode(httpserver)
        _amer_tae(stack)
        deliver(stack.webhook, FORM)  # the month's one call
        other = {**FORM, "submission_id": "s-9", "email": "x@other-co.com"}
        status, answer = deliver(stack.webhook, other)
        assert status == 200
        assert len(httpserver.log) == 1
        assert any("monthly budget of 1 calls is used up" in r for r in answer["reasons"])
        assert stack.messages("EnrichmentQueue") == []  # skipped, not pending


# --- a provider that fails never fails the submission ----------------------------------------
def _slow(request: Request) -> Response:
    time.sleep(1.0)
    return Response(json.dumps(_canned("clearbit/companies/paylode.com.json")), 200)


FAILURES = {
    "429": lambda s: s.expect_request(COMPANY_PATH).respond_with_json({}, status=429),
    "500": lambda s: s.expect_request(COMPANY_PATH).respond_with_data("oops", status=500),
    "503": lambda s: s.expect_request(COMPANY_PATH).respond_with_data("", status=503),
    "garbage": lambda s: s.expect_request(COMPANY_PATH).respond_with_data("<html>not json"),
    "slow": lambda s: s.expect_request(COMPANY_PATH).respond_with_handler(_slow),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failing_provider_leaves_the_lead_decided_and_pending(
    stack: Stack, httpserver: HTTPServer, failure: str
) -> None:
    FAILURES[failure](httpserver)
    _amer_tae(stack)
    started = time.monotonic()
    status, answer = deliver(stack.webhook, FORM)
    assert time.monotonic() - started < 5  # the deadline (0.6 s here) bounds the lookup
    assert status == 200, answer
    assert answer["outcome"] == "manual_review"  # decided with what the form gave
    assert answer["lead_score"] == 10
    assert any(reason.startswith("enrichment pending: clearbit") for reason in answer["reasons"])
    (stored,) = stored_leads(stack.template)
    assert stored.record.enrichment is not None
    assert stored.record.enrichment["status"] == "pending"
    assert stack.messages("EnrichmentQueue") == [{"lead_id": answer["lead_id"]}]


def test_a_provider_that_is_down_leaves_the_lead_decided_and_pending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for stack in _stack(monkeypatch, "http://127.0.0.1:9"):  # nothing listens there
        _amer_tae(stack)
        status, answer = deliver(stack.webhook, FORM)
        assert status == 200
        assert answer["outcome"] == "manual_review"
        assert stack.messages("EnrichmentQueue") == [{"lead_id": answer["lead_id"]}]


def test_the_worker_rescores_the_lead_keeps_its_first_decision_and_emits_rescored(
    stack: Stack, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(COMPANY_PATH).respond_with_data("", status=503)
    add_rep(stack.leads_api, "tae-1")  # the default territory's: the form gives no country
    bus_tap = _tap_the_bus(stack)
    _, answer = deliver(stack.webhook, FORM)
    _knows_paylode(httpserver)  # the provider is back
    assert stack.work() == {"batchItemFailures": []}
    status, lead = call(stack.leads_api, "GET", f"/leads/{answer['lead_id']}")
    assert status == 200
    assert lead["lead_score"] == 60
    assert lead["enrichment"]["status"] == "complete"
    assert lead["outcome"] == "manual_review"  # never a booking link after the fact
    assert lead["owner"]["booking_url"] is None
    (first,) = lead["history"]
    assert (first["lead_score"], first["outcome"]) == (10, "manual_review")
    assert _items(lead["scores"], "lead_score")["employees"]["source"] == "clearbit"
    (event,) = [e for e in bus_tap() if e["detail-type"] == "lead.rescored"]
    assert event["detail"] == {
        "lead_id": answer["lead_id"],
        "lead_score": 60,
        "icp_score": lead["icp_score"],
        "icp_tier": lead["icp_tier"],
        "owner_id": "tae-1",
        "rulebook_version": lead["rulebook_version"],
        "previous": {
            "lead_score": 10,
            "icp_score": first["icp_score"],
            "icp_tier": first["icp_tier"],
        },
    }
    assert "paylode" not in json.dumps(event)  # ids and scores only
    assert stack.messages("EnrichmentQueue") == []


def test_the_worker_retries_and_gives_up_into_the_dlq(stack: Stack, httpserver: HTTPServer) -> None:
    httpserver.expect_request(COMPANY_PATH).respond_with_data("", status=500)
    _amer_tae(stack)
    _, answer = deliver(stack.webhook, FORM)
    for _ in range(5):  # the queue's maxReceiveCount
        failed = stack.work()
        assert [f["itemIdentifier"] for f in failed["batchItemFailures"]]
    assert stack.messages("EnrichmentQueue") == []
    assert stack.messages("EnrichmentDeadLetterQueue") == [{"lead_id": answer["lead_id"]}]
    (stored,) = stored_leads(stack.template)
    assert stored.record.enrichment == {**stored.record.enrichment, "status": "pending"}
    assert stored.record.answer == answer  # the decision stands, nothing lost


def _tap_the_bus(stack: Stack) -> Any:
    bus = stack.template.physical_name("LeadsBus")
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="bus-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    events = boto3.client("events")
    events.put_rule(Name="tap", EventBusName=bus, EventPattern='{"source": ["leadops"]}')
    events.put_targets(Rule="tap", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn["QueueArn"]}])

    def read() -> list[dict[str, Any]]:
        found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in found]

    return read


# --- POST /score with "enrich": true -------------------------------------------------------
def test_score_with_enrich_true_does_the_same_lookups(stack: Stack, httpserver: HTTPServer) -> None:
    _knows_paylode(httpserver)
    body = {"email": "maria.chen@paylode.com", "job_title": "CTO", "enrich": True}
    status, answer = call(stack.score, "POST", "/score", body)
    assert status == 200, answer
    assert answer["lead_score"]["total"] == 60
    items = _items(answer, "lead_score")
    assert items["employees"]["source"] == "clearbit"
    assert items["role"]["source"] == "form"
    assert answer["enrichment"]["status"] == "complete"
    status, again = call(stack.score, "POST", "/score", body)
    assert again["lead_score"] == answer["lead_score"]
    assert len(httpserver.log) == 1  # cached
    plain = call(stack.score, "POST", "/score", {**body, "enrich": False})[1]
    assert plain["lead_score"]["total"] == 10
    assert "enrichment" not in plain


def test_the_imported_snapshot_wins_over_the_provider_as_the_account(
    stack: Stack, httpserver: HTTPServer
) -> None:
    """Precedence form > the account's imported snapshot > enrichment: an account imported with
    500 employees in Canada keeps those; the provider fills what the snapshot lacks."""
    _knows_paylode(httpserver)
    _amer_tae(stack)
    add_rep(stack.leads_api, "tae-ca", territory="AMER")
    accounts = AccountsTable(stack.template.physical_name("AccountsTable"))
    snapshot = {
        "account_id": "acct-paylode",
        "domain": "paylode.com",
        "employees": 500,
        "country": "CA",
    }
    accounts.put_snapshots([AccountSnapshot.model_validate(snapshot)])
    _, answer = deliver(stack.webhook, FORM)
    _, lead = call(stack.leads_api, "GET", f"/leads/{answer['lead_id']}")
    items = _items(lead["scores"], "lead_score")
    assert (items["employees"]["value"], items["employees"]["source"]) == (500, "account")
    assert (items["country"]["value"], items["country"]["source"]) == ("CA", "account")
    assert items["revenue"]["source"] == "clearbit"


# --- dry runs: a stored lead's changed items keep their stored sources -----------------------
def test_a_dry_run_over_an_enriched_lead_names_the_provider_for_its_changed_items(
    stack: Stack, httpserver: HTTPServer
) -> None:
    """The window dry run re-decides the stored (enriched) submission: the changed score items
    of its example name ``clearbit`` where the value was Clearbit's, ``form`` where the form's,
    and no provider is asked again."""
    _knows_paylode(httpserver)
    _amer_tae(stack)
    _, answer = deliver(stack.webhook, FORM)
    assert answer["outcome"] == "instant_scheduler"
    document = candidate()
    for metric, top, bottom in (("employees", "1000+", "1-10"), ("revenue", "$100m+", "$0m-$1m")):
        bands = document["lead_score"][metric]["bands"]  # the top band's points go to the bottom
        points = {top: 0, bottom: next(b["points"] for b in bands if b["label"] == top)}
        document["lead_score"][metric]["bands"] = [
            {**band, "points": points.get(band["label"], band["points"])} for band in bands
        ]
    document["lead_score"]["role"]["points"]["leadership"] = 5
    today = datetime.now(UTC).date().isoformat()
    rules = LocalFunction(stack.template.function("RulebookApiFunction"))
    body = {"rulebook": document, "from": today, "to": today}
    status, run = call(rules, "POST", "/rulebook/dry-run", body)
    assert status == 200, run
    (example,) = run["leads"]["examples"]
    assert example["lead_id"] == answer["lead_id"]
    assert "outcome" in example["changed"]
    items = {item["metric"]: item for item in example["score_items"]}
    assert set(items) == {"employees", "revenue", "role"}
    assert items["employees"] == {"score": "lead_score", "metric": "employees", "value": 2400,
                                  "source": "clearbit", "before": 20, "after": 0}  # fmt: skip
    assert items["revenue"]["source"] == "clearbit"
    assert (items["role"]["source"], items["role"]["before"], items["role"]["after"]) == (
        "form",
        10,
        5,
    )
    assert len(httpserver.log) == 1  # the webhook's lookup only
