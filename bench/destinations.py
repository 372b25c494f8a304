"""CRM write-back figures for `make bench` (issue 14): vendor calls per 1,000 qualified leads.

One sales demo request goes through the webhook on moto; its stored decision is copied to
999 more leads (own ids and emails: webhook calls on moto cost ~0.3 s each, 1,000 of them more
than this bench's budget) and a ``lead.qualified`` event per lead is put on the stack's bus,
as the webhook does; they reach the Salesforce and HubSpot queues through the template's
EventBridge rules; each queue is
handed to its worker in batches of the template's ``BatchSize`` (as Lambda's poller would with
a full batching window), against a stand-in on 127.0.0.1 that counts the calls and answers
every record written. Then the same messages again (a replayed delivery): calls counted too.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from leadops.adapters import hubspot, salesforce
from leadops.adapters.dynamodb import batch_write
from leadops.adapters.events import LeadEvents
from leadops.adapters.leads_table import Leads
from leadops.http.signature import sign
from leadops_local.apigw import build_event, match_route
from leadops_local.provision import provision
from leadops_local.runtime import LocalFunction
from leadops_local.template import SamTemplate

ROOT = Path(__file__).resolve().parents[1]
LEADS = 1_000
SECRET = "bench-secret"  # noqa: S105 - signs bench requests to a moto stack
REP = {"name": "Grace Hopper", "email": "grace@seller.io", "role": "TAE", "team": "new_business",
       "territory": "EMEA", "weight": 1, "salesforce_user_id": "005000000000001AAA",
       "hubspot_owner_id": "31415926"}  # fmt: skip


def _stand_in(counts: Counter[str]) -> HTTPServer:
    server = HTTPServer(host="127.0.0.1")

    def answer(request: Request) -> Response:
        path = request.path
        if path.endswith("/oauth2/token"):
            counts["salesforce_token"] += 1
            return Response(json.dumps({"access_token": "00D-bench"}), 200)
        body = request.get_json()
        if "/composite/sobjects/" in path:
            counts["salesforce"] += 1
            counts["salesforce_records"] += len(body["records"])
            results = [{"id": "00Q", "success": True, "errors": [], "created": True}]
            headers = {"Sforce-Limit-Info": f"api-usage={counts['salesforce']}/100000"}
            return Response(json.dumps(results * len(body["records"])), 200, headers=headers)
        counts["hubspot"] += 1
        counts["hubspot_records"] += len(body["inputs"])
        return Response(json.dumps({"status": "COMPLETE", "results": []}), 200)

    server.expect_request("").respond_with_handler(answer)  # every path
    return server


def _http(function: LocalFunction, template: SamTemplate, method: str, path: str,
          body: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    raw = json.dumps(body).encode()
    match = match_route(template.routes(), method, path)
    assert match is not None
    headers = [("content-type", "application/json"),
               ("x-leadops-signature", sign(raw, SECRET, int(time.time())))]  # fmt: skip
    answer: dict[str, Any] = function.invoke(build_event(match, method, path, "", headers, raw))
    assert answer["statusCode"] == 200, answer
    return answer


def _copy_lead(template: SamTemplate, answer: dict[str, Any]) -> None:
    """``LEADS - 1`` more leads like the stored one, each announced as the webhook does."""
    table = template.physical_name("LeadsTable")
    leads = Leads(table)
    stored = leads.get(answer["lead_id"])
    puts, details = [], []
    for i in range(1, LEADS):
        lead_id = f"ld_bench{i:06}"
        record = stored.record.model_copy(
            update={"email": f"lead{i}@acme-analytics.io", "submission_id": f"bench-{i}",
                    "answer": {**stored.record.answer, "lead_id": lead_id}}
        )  # fmt: skip
        item = leads.put(lead_id, record, owner_id=stored.owner_id, expires_at=None)["Put"]["Item"]
        puts.append({"PutRequest": {"Item": item}})
        details.append({key: answer[key] for key in ("classification", "outcome", "lead_score",
                        "icp_score", "icp_tier", "rulebook_version")} | {"lead_id": lead_id,
                        "owner_id": stored.owner_id})  # fmt: skip
    batch_write(table, puts)
    LeadEvents(template.physical_name("LeadsBus")).publish_all("lead.qualified", details)


def _batches(template: SamTemplate, queue: str, size: int) -> list[list[dict[str, Any]]]:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=template.physical_name(queue))["QueueUrl"]
    records = []
    while found := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        records += [{"messageId": m["MessageId"], "body": m["Body"]} for m in found]
    return [records[i : i + size] for i in range(0, len(records), size)]


def _batch_size(template: SamTemplate, function: str) -> int:
    events = template.resources[function]["Properties"]["Events"]
    return int(next(iter(events.values()))["Properties"]["BatchSize"])


def crm_calls() -> dict[str, float]:
    counts: Counter[str] = Counter()
    server = _stand_in(counts)
    server.start()
    url = server.url_for("").rstrip("/")
    crm_secrets = {"SalesforceSecret": json.dumps({"client_id": "b", "client_secret": "b"}),
                   "HubSpotSecret": "pat-bench", "WebhookSecret": SECRET}  # fmt: skip
    os.environ.update({f"LEADOPS_LOCAL_SECRET_{k}": v for k, v in crm_secrets.items()})
    salesforce._client.cache_clear()
    hubspot._client.cache_clear()
    parameters = {"SalesforceInstanceUrl": url, "HubSpotApiUrl": url}
    template = SamTemplate.load(ROOT / "template.yaml", parameters)
    try:
        with mock_aws():
            provision(template, None)
            return _run(template, counts)
    finally:
        server.stop()


def _run(template: SamTemplate, counts: Counter[str]) -> dict[str, float]:
    leads_api = LocalFunction(template.function("LeadsApiFunction"))
    _http(leads_api, template, "PUT", "/reps/grace", REP)
    webhook = LocalFunction(template.function("WebhookFunction"))
    body = json.loads((ROOT / "events" / "bodies" / "demo-request.json").read_text())
    answer = json.loads(_http(webhook, template, "POST", "/webhooks/demo-request", body)["body"])
    _copy_lead(template, answer)
    figures: dict[str, float] = {}
    for name, function, queue in (
        ("salesforce", "SalesforceSyncFunction", "SalesforceSyncQueue"),
        ("hubspot", "HubSpotSyncFunction", "HubSpotSyncQueue"),
    ):
        worker = LocalFunction(template.function(function))
        batches = _batches(template, queue, _batch_size(template, function))
        for replay in (False, True):
            before = counts[name]
            for batch in batches:
                assert worker.invoke({"Records": batch}) == {"batchItemFailures": []}
            what = "replayed" if replay else "qualified_leads"
            figures[f"{name}_calls_per_{LEADS}_{what}"] = counts[name] - before
        assert counts[f"{name}_records"] == LEADS  # every lead written once
    figures["salesforce_token_calls"] = counts["salesforce_token"]
    return figures
