"""Webhook figures for `make bench`: warm CPU per sales submission with AWS stubbed out, and the
AWS calls one sales submission and one replay make (counted on moto)."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from calls import counting_aws, stubbed_aws
from moto import mock_aws

import leadops.adapters.aws
from leadops.http.signature import sign
from leadops_local.apigw import build_event, match_route
from leadops_local.provision import provision
from leadops_local.runtime import LocalFunction, environment
from leadops_local.template import SamTemplate

SECRET = "bench-secret"  # noqa: S105 - signs bench requests to a moto stack
ROOT = Path(__file__).resolve().parents[1]
BODY = json.loads((ROOT / "events" / "bodies" / "demo-request.json").read_text(encoding="utf-8"))
REP = json.loads((ROOT / "events" / "bodies" / "rep-tae.json").read_text(encoding="utf-8"))


def _event(template: SamTemplate, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    match = match_route(template.routes(), method, path)
    assert match is not None
    headers = [("content-type", "application/json")]
    headers.append(("x-leadops-signature", sign(raw, SECRET, int(time.time()))))
    return build_event(match, method, path, "", headers, raw)


class _StubDynamoDB:
    """Answers the webhook's calls instantly, as if AWS were free."""

    def __init__(self) -> None:
        rep = json.dumps({**REP, "rep_id": "grace"})
        self.pool = {"reps": {"M": {"grace": {"S": rep}}}, "position": {"N": "1"}}

    def batch_get_item(self, **_: Any) -> dict[str, Any]:
        return {"Responses": {}, "UnprocessedKeys": {}}

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {}  # no rulebook override: the packaged one is live (read once a minute)

    def update_item(self, **_: Any) -> dict[str, Any]:
        return {"Attributes": self.pool}

    def transact_write_items(self, **_: Any) -> dict[str, Any]:
        return {}

    def put_events(self, **_: Any) -> dict[str, Any]:
        return {"FailedEntryCount": 0, "Entries": [{}]}

    def send_message(self, **_: Any) -> dict[str, Any]:
        return {}

    def get_secret_value(self, **_: Any) -> dict[str, Any]:
        return {"SecretString": SECRET}  # read once per container, then cached


# Never closed: the functions share the "leadops" logger, whose handler keeps the stream it was
# created with, so every later log line of the run goes here too (not to a closed file).
_DEVNULL = open(os.devnull, "w")  # noqa: SIM115


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Function logs go to /dev/null: their cost counts, their text does not matter here."""
    with contextlib.redirect_stdout(_DEVNULL):
        yield


def warm_cpu_ms(function: LocalFunction, batch: list[dict[str, Any]]) -> float:
    """Own CPU (process time) per request of ``batch``, in a warm container (50 requests first:
    imports, caches, first-use libraries), function logs discarded."""
    with _quiet(), environment(function.env):
        handler, context = function.handler(), function.context()
        for event in batch[:50]:
            handler(event, context)
        answer = handler(batch[0], context)
        assert answer["statusCode"] == 200, answer
        start = time.process_time()
        for event in batch:
            handler(event, context)
        return (time.process_time() - start) * 1000 / len(batch)


def cpu_per_submission(template: SamTemplate, count: int = 2_000) -> dict[str, float]:
    webhook = LocalFunction(template.function("WebhookFunction"))
    score = LocalFunction(template.function("ScoreFunction"))
    with stubbed_aws(_StubDynamoDB()):
        events = [
            _event(template, "POST", "/webhooks/demo-request", {**BODY, "submission_id": f"b{i}"})
            for i in range(count)
        ]
        score_events = [_event(template, "POST", "/score", BODY) for _ in range(count)]
        results = {
            "webhook_cpu_ms_per_sales_submission": warm_cpu_ms(webhook, events),
            "score_cpu_ms_per_request": warm_cpu_ms(score, score_events),
        }
        results["webhook_cpu_vs_score"] = (
            results["webhook_cpu_ms_per_sales_submission"] / results["score_cpu_ms_per_request"]
        )
        return results


def aws_calls(template: SamTemplate) -> dict[str, float]:
    """Every AWS API call the webhook makes, counted at botocore, on moto."""
    os.environ["LEADOPS_LOCAL_SECRET_WebhookSecret"] = SECRET  # noqa: SIM112 - logical id
    leadops.adapters.aws.client.cache_clear()
    with mock_aws(), _quiet():
        provision(template, None)
        api = LocalFunction(template.function("LeadsApiFunction"))
        webhook = LocalFunction(template.function("WebhookFunction"))
        api.invoke(_event(template, "PUT", "/reps/grace", REP))
        warm = _event(template, "POST", "/webhooks/demo-request", {**BODY, "submission_id": "w"})
        webhook.invoke(warm)  # the secret is fetched once per container, then cached
        event = _event(template, "POST", "/webhooks/demo-request", BODY)
        with counting_aws() as calls:
            webhook.invoke(event)
            sales = dict(calls)
            calls.clear()
            webhook.invoke(event)
            replay = dict(calls)
    leadops.adapters.aws.client.cache_clear()
    print(f"  AWS calls per sales submission: {sales}")
    print(f"  AWS calls per replay: {replay}")
    return {
        "aws_calls_per_sales_submission": sum(sales.values()),
        "aws_calls_per_replay": sum(replay.values()),
    }
