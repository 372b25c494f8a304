"""Salesforce and HubSpot write-back (issue 14), through the real handlers on moto: a demo
request on the bus -> (EventBridge rules) -> each destination's queue -> its worker -> a local
stand-in on 127.0.0.1 that checks the documented request shapes exactly.

Salesforce, REST API Developer Guide:

- "OAuth 2.0 Client Credentials Flow for Server-to-Server Integration":
  ``curl -X POST https://MyDomainName.my.salesforce.com/services/oauth2/token
  -d 'grant_type=client_credentials' -d 'client_id=...' -d 'client_secret=...'``, answered
  ``{"access_token": ..., "instance_url": ..., "token_type": "Bearer", ...}``.
- "Upsert Records Using sObject Collections": "Use a PATCH request with sObject Collections to
  either create or update (upsert) up to 200 records based on an external ID field";
  ``PATCH /services/data/vXX.X/composite/sobjects/SobjectName/ExternalIdFieldName``,
  ``Authorization: Bearer token``, body ``{"allOrNone": false, "records": [{"attributes":
  {"type": ...}, ...}]}``; "The list can contain up to 200 objects", "Each object in the
  request body must contain an attributes map", "Don't set the id field"; the answer is a
  list of UpsertResult ``{"id", "success", "errors", "created"}`` in request order.
- "Limit Info Header": ``Sforce-Limit-Info: api-usage=18/5000``, "the first number is the
  number of API calls used, and the second number is the API limit for the organization".

HubSpot, CRM API reference "Upsert a batch of contacts": ``POST
https://api.hubapi.com/crm/v3/objects/contacts/batch/upsert``, ``Authorization: Bearer
<token>``, body ``{"inputs": [{"id": "<string>", "idProperty": "<string>", "properties":
{}}]}``; the contacts guide upserts by ``email`` as ``idProperty``. Batches of up to 100:
"the current documented limit for the CRM object batch endpoints (including contacts) is 100
records per request" (a HubSpot community answer pointing at the contacts v3 guide; the
reference page itself shows no number). The bench's stand-in refuses a bigger batch.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pytest_httpserver import HTTPServer

from leadops.adapters import hubspot, salesforce
from leadops.adapters.events import LeadEvents
from leadops.adapters.leads_table import SyncLedgerTable
from leadops_local.provision import provision
from leadops_local.runtime import LambdaContext, LocalFunction, environment
from leadops_local.template import SamTemplate
from tests.helpers import (
    SALES,
    TEMPLATE,
    WEBHOOK_SECRET,
    add_rep,
    call,
    deliver,
    hanging_stand_in,
)

SF_SECRET = {"client_id": "3MVG9-test-client", "client_secret": "test-client-secret"}
SF_USER = "005000000000001AAA"
HS_TOKEN = "pat-na1-test-token"
HS_OWNER = "31415926"
TOKEN_FORM = (
    "grant_type=client_credentials&client_id=3MVG9-test-client&client_secret=test-client-secret"
)
LEAD_UPSERT = "/services/data/v62.0/composite/sobjects/Lead/LeadOps_Lead_Id__c"
ACCOUNT_UPSERT = "/services/data/v62.0/composite/sobjects/Account/LeadOps_Domain__c"
CONTACTS_UPSERT = "/crm/v3/objects/contacts/batch/upsert"
COMPANIES_UPSERT = "/crm/v3/objects/companies/batch/upsert"
USAGE = {"Sforce-Limit-Info": "api-usage=18/5000"}


@contextmanager
def crm_stack(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SamTemplate]:
    """template.yaml with both destinations pointed at ``url``, on in-process moto."""
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_WebhookSecret", WEBHOOK_SECRET)
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_SalesforceSecret", json.dumps(SF_SECRET))
    monkeypatch.setenv("LEADOPS_LOCAL_SECRET_HubSpotSecret", HS_TOKEN)
    salesforce._client.cache_clear()  # a fresh token and API usage per test
    hubspot._client.cache_clear()
    parameters = {"SalesforceInstanceUrl": url, "HubSpotApiUrl": url}
    template = SamTemplate.load(TEMPLATE, parameters)
    with mock_aws():
        provision(template, None)
        yield template


@pytest.fixture
def stack(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SamTemplate]:
    with crm_stack(httpserver.url_for("").rstrip("/"), monkeypatch) as template:
        yield template


def _qualified(stack: SamTemplate, *bodies: dict[str, Any]) -> list[dict[str, Any]]:
    leads_api = LocalFunction(stack.function("LeadsApiFunction"))
    add_rep(leads_api, "tae-1", salesforce_user_id=SF_USER, hubspot_owner_id=HS_OWNER)
    webhook = LocalFunction(stack.function("WebhookFunction"))
    answers = []
    for body in bodies or (SALES,):
        status, answer = deliver(webhook, body)
        assert status == 200, answer
        answers.append(answer)
    return answers


def _messages(stack: SamTemplate, queue: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=stack.physical_name(queue))["QueueUrl"]
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [{"messageId": m["MessageId"], "body": m["Body"]} for m in found]


def _sync(stack: SamTemplate, function: str, records: list[dict[str, Any]]) -> list[str]:
    answer = LocalFunction(stack.function(function)).invoke({"Records": records})
    return [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]


def _expect_token(server: HTTPServer, token: str = "00D-token-1") -> None:  # noqa: S107
    server.expect_ordered_request(
        "/services/oauth2/token",
        method="POST",
        data=TOKEN_FORM,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ).respond_with_json({"access_token": token, "instance_url": server.url_for(""),
                         "token_type": "Bearer"})  # fmt: skip


def _sf_lead(answer: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The Lead record leadops sends for the SALES demo request (default mapping)."""
    return {
        "attributes": {"type": "Lead"},
        "LeadOps_Lead_Id__c": answer["lead_id"],
        "Email": SALES["email"],
        "LastName": "Lovelace",
        "FirstName": "Ada",
        "Company": "Acme Analytics",
        "LeadOps_Lead_Score__c": answer["lead_score"],
        "LeadOps_ICP_Score__c": answer["icp_score"],
        "LeadOps_ICP_Tier__c": answer["icp_tier"],
        "LeadOps_Outcome__c": answer["outcome"],
        "LeadOps_Reasons__c": "; ".join(answer["reasons"])[:255],
        "LeadOps_Rulebook_Version__c": answer["rulebook_version"],
        "OwnerId": SF_USER,
        **fields,
    }


def _hs_contact(answer: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {
        "idProperty": "email",
        "id": SALES["email"],
        "properties": {
            "email": SALES["email"],
            "firstname": "Ada",
            "lastname": "Lovelace",
            "company": "Acme Analytics",
            "leadops_lead_id": answer["lead_id"],
            "leadops_lead_score": str(answer["lead_score"]),
            "leadops_icp_score": str(answer["icp_score"]),
            "leadops_icp_tier": answer["icp_tier"],
            "leadops_outcome": answer["outcome"],
            "leadops_reasons": "; ".join(answer["reasons"])[:255],
            "leadops_rulebook_version": answer["rulebook_version"],
            "hubspot_owner_id": HS_OWNER,
            **properties,
        },
    }


def _upserted(result_id: str = "00Q000000000001AAA") -> list[dict[str, Any]]:
    return [{"id": result_id, "success": True, "errors": [], "created": True}]


# --- Done when: one upsert each, carrying the scores and the owner; a replay sends nothing ----
def test_a_qualified_lead_is_one_salesforce_lead_upsert_and_one_hubspot_contact_upsert(
    stack: SamTemplate, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    (answer,) = _qualified(stack)
    assert answer["owner"]["id"] == "tae-1"
    _expect_token(httpserver)
    httpserver.expect_ordered_request(
        LEAD_UPSERT,
        method="PATCH",
        headers={"Authorization": "Bearer 00D-token-1", "Content-Type": "application/json"},
        json={"allOrNone": False, "records": [_sf_lead(answer)]},
    ).respond_with_json(_upserted(), headers=USAGE)
    httpserver.expect_ordered_request(
        CONTACTS_UPSERT,
        method="POST",
        headers={"Authorization": f"Bearer {HS_TOKEN}", "Content-Type": "application/json"},
        json={"inputs": [_hs_contact(answer)]},
    ).respond_with_json({"status": "COMPLETE", "results": [{"id": "901", "new": True}]})

    sf_records = _messages(stack, "SalesforceSyncQueue")
    hs_records = _messages(stack, "HubSpotSyncQueue")
    assert len(sf_records) == len(hs_records) == 1  # lead.qualified reached both queues
    assert _sync(stack, "SalesforceSyncFunction", sf_records) == []
    assert _sync(stack, "HubSpotSyncFunction", hs_records) == []
    httpserver.check_assertions()
    assert len(httpserver.log) == 3  # token, Lead upsert, contact upsert

    # A replayed delivery (SQS and EventBridge deliver at least once): no call at all.
    assert _sync(stack, "SalesforceSyncFunction", sf_records) == []
    assert _sync(stack, "HubSpotSyncFunction", hs_records) == []
    assert len(httpserver.log) == 3
    ledger = SyncLedgerTable(stack.physical_name("LeadsTable"))
    key = f"lead#{answer['lead_id']}"
    assert key in ledger.last_sent("salesforce", [key])
    assert key in ledger.last_sent("hubspot", [key])
    logged = caplog.text + " ".join(str(record.__dict__) for record in caplog.records)
    assert "crm sync" in logged
    for personal in (
        SALES["email"],
        "Lovelace",
        HS_TOKEN,
        "00D-token-1",
        SF_SECRET["client_secret"],
    ):
        assert personal not in logged, personal


def test_an_outcome_updates_the_same_records_by_their_external_ids(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    (answer,) = _qualified(stack)
    httpserver.expect_request("/services/oauth2/token", method="POST").respond_with_json(
        {"access_token": "00D-token-1"}
    )
    httpserver.expect_request(LEAD_UPSERT, method="PATCH").respond_with_json(_upserted())
    assert _sync(stack, "SalesforceSyncFunction", _messages(stack, "SalesforceSyncQueue")) == []
    leads_api = LocalFunction(stack.function("LeadsApiFunction"))
    status, _ = call(leads_api, "POST", f"/leads/{answer['lead_id']}/outcome", {"outcome": "won"})
    assert status == 200
    (record,) = _messages(stack, "SalesforceSyncQueue")
    event = json.loads(record["body"])
    assert (event["detail-type"], event["detail"]["outcome"]) == ("lead.outcome", "won")
    assert set(event["detail"]) == {"lead_id", "outcome", "owner_id", "amount", "at"}  # ids only
    assert _sync(stack, "SalesforceSyncFunction", [record]) == []
    sent = httpserver.log[-1][0].get_json()["records"]
    assert sent == [_sf_lead(answer, LeadOps_Outcome__c="won")]  # same external id: an update


# --- a 401 refreshes the token once ---------------------------------------------------------
def test_an_expired_token_is_fetched_again_once(stack: SamTemplate, httpserver: HTTPServer) -> None:
    _qualified(stack)
    _expect_token(httpserver, "00D-token-1")
    httpserver.expect_ordered_request(
        LEAD_UPSERT, method="PATCH", headers={"Authorization": "Bearer 00D-token-1"}
    ).respond_with_json([{"errorCode": "INVALID_SESSION_ID", "message": "Session expired"}], 401)
    _expect_token(httpserver, "00D-token-2")
    httpserver.expect_ordered_request(
        LEAD_UPSERT, method="PATCH", headers={"Authorization": "Bearer 00D-token-2"}
    ).respond_with_json(_upserted())
    assert _sync(stack, "SalesforceSyncFunction", _messages(stack, "SalesforceSyncQueue")) == []
    httpserver.check_assertions()


# --- one refused record fails alone ---------------------------------------------------------
def test_a_record_salesforce_refuses_fails_alone(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    other = {**SALES, "submission_id": "sub-2", "email": "grace@acme-analytics.io"}
    _qualified(stack, SALES, other)
    records = _messages(stack, "SalesforceSyncQueue")
    assert len(records) == 2
    errors = [{"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": []}]
    refused = {"id": None, "success": False, "created": False, "errors": errors}
    httpserver.expect_request("/services/oauth2/token", method="POST").respond_with_json(
        {"access_token": "00D-token-1"}
    )
    httpserver.expect_request(LEAD_UPSERT, method="PATCH").respond_with_json(
        [*_upserted(), refused]
    )
    assert _sync(stack, "SalesforceSyncFunction", records) == [records[1]["messageId"]]
    (request, _) = httpserver.log[-1]
    assert len(request.get_json()["records"]) == 2  # one collection for the batch
    # Redelivered: only the refused lead is sent again.
    httpserver.clear_log()
    assert _sync(stack, "SalesforceSyncFunction", records) == [records[1]["messageId"]]
    assert len(httpserver.log[-1][0].get_json()["records"]) == 1


def test_a_hubspot_multi_status_fails_only_the_refused_contacts(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    other = {**SALES, "submission_id": "sub-2", "email": "grace@acme-analytics.io"}
    _qualified(stack, SALES, other)
    records = _messages(stack, "HubSpotSyncQueue")
    error = {"status": "error", "category": "VALIDATION_ERROR",
             "context": {"ids": ["grace@acme-analytics.io"]}}  # fmt: skip
    httpserver.expect_request(CONTACTS_UPSERT, method="POST").respond_with_json(
        {"status": "COMPLETE", "results": [], "errors": [error], "numErrors": 1}, status=207
    )
    failed = _sync(stack, "HubSpotSyncFunction", records)
    bodies = {r["messageId"]: json.loads(r["body"])["detail"]["lead_id"] for r in records}
    assert len(failed) == 1
    ledger = SyncLedgerTable(stack.physical_name("LeadsTable"))
    written = ledger.last_sent("hubspot", [f"lead#{lead}" for lead in bodies.values()])
    assert f"lead#{bodies[failed[0]]}" not in written
    assert len(written) == 1


# --- nothing lost: 429 honoured, 5xx fails the batch, then the DLQ, then a redrive ------------
def test_a_429_with_retry_after_is_retried_within_the_invocation(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    (answer,) = _qualified(stack)
    httpserver.expect_ordered_request(CONTACTS_UPSERT, method="POST").respond_with_json(
        {"status": "error", "category": "RATE_LIMITS"}, status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_ordered_request(
        CONTACTS_UPSERT, method="POST", json={"inputs": [_hs_contact(answer)]}
    ).respond_with_json({"status": "COMPLETE", "results": []})
    assert _sync(stack, "HubSpotSyncFunction", _messages(stack, "HubSpotSyncQueue")) == []
    httpserver.check_assertions()


def test_a_crm_that_stays_down_loses_nothing_queue_then_dlq_then_redrive(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    """Lambda's poller, played by hand: a failed message becomes visible again; past the
    queue's maxReceiveCount (5) SQS moves it to the destination's DLQ; sent back (what
    ``leadops dlq redrive`` does), it goes through once the CRM is back."""
    (answer,) = _qualified(stack)
    httpserver.expect_request(CONTACTS_UPSERT, method="POST").respond_with_data("down", 503)
    sqs = boto3.client("sqs")
    queue = sqs.get_queue_url(QueueName=stack.physical_name("HubSpotSyncQueue"))["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=stack.physical_name("HubSpotDeadLetterQueue"))["QueueUrl"]
    receives = 0
    while found := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
        receives += 1
        records = [{"messageId": m["MessageId"], "body": m["Body"]} for m in found]
        assert _sync(stack, "HubSpotSyncFunction", records) == [r["messageId"] for r in records]
        for message in found:  # the visibility timeout, elapsed
            sqs.change_message_visibility(
                QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    assert receives == 5
    (parked,) = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(parked["Body"])["detail"]["lead_id"] == answer["lead_id"]

    httpserver.clear()
    httpserver.expect_request(
        CONTACTS_UPSERT, method="POST", json={"inputs": [_hs_contact(answer)]}
    ).respond_with_json({"status": "COMPLETE", "results": []})
    sqs.send_message(QueueUrl=queue, MessageBody=parked["Body"])  # the redrive
    sqs.delete_message(QueueUrl=dlq, ReceiptHandle=parked["ReceiptHandle"])
    assert _sync(stack, "HubSpotSyncFunction", _messages(stack, "HubSpotSyncQueue")) == []
    assert len(httpserver.log) == 1


@pytest.fixture
def hanging_crm() -> Iterator[tuple[HTTPServer, threading.Event]]:
    """A HubSpot stand-in whose batch upsert hangs until the test ends."""
    with hanging_stand_in(CONTACTS_UPSERT) as (server, release):
        yield server, release


def test_a_hanging_crm_never_keeps_the_worker_past_its_timeout(
    hanging_crm: tuple[HTTPServer, threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's calls end ``margin_s`` (3 s) before the Lambda timeout: with a 5 s timeout
    the batch fails (to be delivered again) while the stand-in is still hanging and time is
    left on the context; the Lambda was not killed mid-batch."""
    server, release = hanging_crm
    with crm_stack(server.url_for("").rstrip("/"), monkeypatch) as stack:
        _qualified(stack)
        records = _messages(stack, "HubSpotSyncQueue")
        worker = LocalFunction(stack.function("HubSpotSyncFunction"))
        context = LambdaContext("hubspot-sync", 512, timeout_s=5)
        with environment(worker.env):
            answer = worker.handler()({"Records": records}, context)
        assert not release.is_set()  # returned while the CRM still hangs
        assert context.get_remaining_time_in_millis() > 0
        assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == [
            records[0]["messageId"]
        ]


# --- routed accounts ------------------------------------------------------------------------
def test_a_routed_account_updates_the_account_owner_and_team_in_both_crms(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    _qualified(stack)
    for queue in ("SalesforceSyncQueue", "HubSpotSyncQueue"):
        _messages(stack, queue)  # the lead's own event: not what this test is about
    accounts_api = LocalFunction(stack.function("AccountsApiFunction"))
    status, account = call(accounts_api, "POST", "/accounts/acme-analytics.io/signals",
                           {"type": "emailed_sales"})  # fmt: skip
    assert status == 200, account
    assert account["routing"]["owner"]["id"] == "tae-1"
    sf_records = _messages(stack, "SalesforceSyncQueue")
    (event,) = [json.loads(r["body"]) for r in sf_records]
    assert event["detail-type"] == "account.routed"
    assert event["detail"]["previous"] == {"team": None, "rule": None, "owner_id": None}
    rule = account["routing"]["rule"]
    httpserver.expect_request("/services/oauth2/token", method="POST").respond_with_json(
        {"access_token": "00D-token-1"}
    )
    httpserver.expect_request(
        ACCOUNT_UPSERT,
        method="PATCH",
        json={"allOrNone": False, "records": [{
            "attributes": {"type": "Account"}, "LeadOps_Domain__c": "acme-analytics.io",
            "LeadOps_Team__c": "new_business", "LeadOps_Routing_Rule__c": rule,
            "OwnerId": SF_USER}]},
    ).respond_with_json(_upserted("001000000000001AAA"))  # fmt: skip
    httpserver.expect_request(
        COMPANIES_UPSERT,
        method="POST",
        json={"inputs": [{"idProperty": "domain", "id": "acme-analytics.io", "properties": {
            "leadops_team": "new_business", "leadops_routing_rule": rule,
            "hubspot_owner_id": HS_OWNER, "domain": "acme-analytics.io"}}]},
    ).respond_with_json({"status": "COMPLETE", "results": []})  # fmt: skip
    assert _sync(stack, "SalesforceSyncFunction", sf_records) == []
    assert _sync(stack, "HubSpotSyncFunction", _messages(stack, "HubSpotSyncQueue")) == []
    httpserver.check_assertions()
    # The same signal again changes nothing: no account.routed at all.
    call(accounts_api, "POST", "/accounts/acme-analytics.io/signals", {"type": "emailed_sales"})
    assert _messages(stack, "SalesforceSyncQueue") == []


def test_no_crm_parameters_means_no_sync_resources(template: SamTemplate) -> None:
    functions = {f.logical_id for f in template.functions()}
    assert not {"SalesforceSyncFunction", "HubSpotSyncFunction"} & functions
    assert not template.exists("SalesforceDeadLetterQueue")
    assert not template.exists("HubSpotDeadLetterQueue")


def test_a_disqualification_is_announced_with_ids_only_and_reaches_the_crm(
    stack: SamTemplate, httpserver: HTTPServer
) -> None:
    (answer,) = _qualified(stack)
    _messages(stack, "HubSpotSyncQueue")  # lead.qualified: not what this test is about
    leads_api = LocalFunction(stack.function("LeadsApiFunction"))
    reason = "Ada Lovelace asked us to stop"  # free text may name people: never in the event
    status, _ = call(
        leads_api, "POST", f"/leads/{answer['lead_id']}/disqualify", {"reason": reason}
    )
    assert status == 200
    (record,) = _messages(stack, "HubSpotSyncQueue")
    event = json.loads(record["body"])
    assert event["detail-type"] == "lead.disqualified"
    assert event["detail"]["outcome"] == "disqualified"
    assert "Lovelace" not in record["body"]
    assert event["detail"]["owner_id"] == "tae-1"
    httpserver.expect_request(
        CONTACTS_UPSERT,
        method="POST",
        json={"inputs": [_hs_contact(answer, leadops_outcome="disqualified")]},
    ).respond_with_json({"status": "COMPLETE", "results": []})
    assert _sync(stack, "HubSpotSyncFunction", [record]) == []
    httpserver.check_assertions()


# --- issue 15: an MQL reaches both CRMs as new fields on the lead's record --------------------
def _mql(stack: SamTemplate, lead_id: str | None) -> dict[str, Any]:
    """``lead.mql`` on the stack's bus, as the engagement service publishes it."""
    detail = {"person_id": "p-5f2c", "lead_id": lead_id, "domain": "acme.io",
              "behaviour_score": 55, "fit_letter": "A", "grade": "A1",
              "mql_at": "2026-12-02T01:00:00+00:00"}  # fmt: skip
    LeadEvents(stack.physical_name("LeadsBus")).publish("lead.mql", detail)
    return detail


def test_an_mql_updates_the_stored_lead_in_both_crms_once_and_a_lead_less_mql_is_skipped(
    stack: SamTemplate, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The same documented upserts as above (sObject Collections PATCH by external id;
    HubSpot contacts batch upsert by email), carrying the behaviour score, grade and MQL time
    as the default mapping names them; a replayed delivery sends nothing; a ``lead.mql``
    with ``lead_id`` null (no stored lead) is acknowledged without a call."""
    caplog.set_level(logging.INFO)
    (answer,) = _qualified(stack)
    _messages(stack, "SalesforceSyncQueue")  # lead.qualified: not what this test is about
    _messages(stack, "HubSpotSyncQueue")
    _mql(stack, answer["lead_id"])
    _mql(stack, None)
    mql_fields = {"LeadOps_Behaviour_Score__c": 55, "LeadOps_Grade__c": "A1",
                  "LeadOps_MQL_At__c": "2026-12-02T01:00:00+00:00"}  # fmt: skip
    _expect_token(httpserver)
    httpserver.expect_ordered_request(
        LEAD_UPSERT,
        method="PATCH",
        json={"allOrNone": False, "records": [_sf_lead(answer, **mql_fields)]},
    ).respond_with_json(_upserted(), headers=USAGE)
    properties = {"leadops_behaviour_score": "55", "leadops_lead_grade": "A1",
                  "leadops_mql_at": "2026-12-02T01:00:00+00:00"}  # fmt: skip
    httpserver.expect_ordered_request(
        CONTACTS_UPSERT, method="POST", json={"inputs": [_hs_contact(answer, **properties)]}
    ).respond_with_json({"status": "COMPLETE", "results": [{"id": "901", "new": False}]})

    sf_records = _messages(stack, "SalesforceSyncQueue")
    hs_records = _messages(stack, "HubSpotSyncQueue")
    assert len(sf_records) == len(hs_records) == 2  # both lead.mql events reached both queues
    assert _sync(stack, "SalesforceSyncFunction", sf_records) == []  # the lead-less one: acked
    assert _sync(stack, "HubSpotSyncFunction", hs_records) == []
    httpserver.check_assertions()
    assert len(httpserver.log) == 3  # token, one Lead upsert, one contact upsert

    assert _sync(stack, "SalesforceSyncFunction", sf_records) == []  # a replay: no call
    assert _sync(stack, "HubSpotSyncFunction", hs_records) == []
    assert len(httpserver.log) == 3
    assert "lead.mql without a stored lead skipped" in caplog.text
    logged = caplog.text + " ".join(str(record.__dict__) for record in caplog.records)
    assert SALES["email"] not in logged
