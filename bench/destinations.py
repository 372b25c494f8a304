"""CRM write-back figures for `make bench` (issue 14): vendor calls per 1,000 qualified leads.

One sales demo request goes through the webhook on moto; its stored decision is copied to
999 more leads (own ids and emails: webhook calls on moto cost ~0.3 s each, 1,000 of them more
than this bench's budget). Each lead's ``lead.qualified`` event, as the EventBridge rule
delivers it to a destination queue (the handler tests take that path through moto; moto's
ReceiveMessage is quadratic in the queue's depth, too slow for 1,000), is handed to each worker
in batches of the template's ``BatchSize`` (as Lambda's poller would with a full batching
window), against a stand-in on 127.0.0.1 that counts the calls and answers every record
written. Then the same messages again (a replayed delivery): calls counted too.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from moto import mock_aws
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from leadops.adapters import hubspot, salesforce
from leadops.adapters.dynamodb import batch_write
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
            if len(body["records"]) > 200:  # "The list can contain up to 200 objects"
                return Response("[]", 400)
            counts["salesforce"] += 1
            counts["salesforce_records"] += len(body["records"])
            results = [{"id": "00Q", "success": True, "errors": [], "created": True}]
            headers = {"Sforce-Limit-Info": f"api-usage={counts['salesforce']}/100000"}
            return Response(json.dumps(results * len(body["records"])), 200, headers=headers)
        if len(body["inputs"]) > 100:  # HubSpot's batch limit
            return Response("{}", 400)
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


def _copy_lead(template: SamTemplate, answer: dict[str, Any]) -> list[dict[str, Any]]:
    """``LEADS - 1`` more leads like the stored one; every lead's queue message, as the rule
    delivers the event the webhook puts on the bus."""
    table = template.physical_name("LeadsTable")
    leads = Leads(table)
    stored = leads.get(answer["lead_id"])
    puts, details = [], []
    details.append({key: answer[key] for key in ("lead_id", "classification", "outcome",
                    "lead_score", "icp_score", "icp_tier", "rulebook_version")}
                   | {"owner_id": stored.owner_id})  # fmt: skip
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
    return [
        {"messageId": f"m{i}", "body": json.dumps({"version": "0", "id": f"e{i}",
         "detail-type": "lead.qualified", "source": "leadops", "detail": detail})}
        for i, detail in enumerate(details)
    ]  # fmt: skip


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
    records = _copy_lead(template, answer)
    figures: dict[str, float] = {}
    for name, function in (
        ("salesforce", "SalesforceSyncFunction"),
        ("hubspot", "HubSpotSyncFunction"),
    ):
        worker = LocalFunction(template.function(function))
        size = _batch_size(template, function)
        batches = [records[i : i + size] for i in range(0, len(records), size)]
        for replay in (False, True):
            before = counts[name]
            for batch in batches:
                assert worker.invoke({"Records": batch}) == {"batchItemFailures": []}
            what = "replayed" if replay else "qualified_leads"
            figures[f"{name}_calls_per_{LEADS}_{what}"] = counts[name] - before
        assert counts[f"{name}_records"] == LEADS  # every lead written once
    figures["salesforce_token_calls"] = counts["salesforce_token"]
    return figures
