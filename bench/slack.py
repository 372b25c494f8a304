"""Slack figures for `make bench` (issue 14: "Slack 1 per lead; a worker batch never runs past
its function's timeout"), counted, not timed, on moto with a Slack stand-in on 127.0.0.1:

- ``slack_calls_per_lead``: chat.postMessage calls per qualified lead, the Slack queue drained
  in the worker's batches (BatchSize 5);
- ``slack_calls_per_redelivered_lead``: the same batches delivered again (SQS and EventBridge
  deliver at least once) post nothing;
- ``aws_calls_per_slack_notice``: DynamoDB calls per posted lead (read the lead, its rep, claim,
  remember), the token being cached per container;
- ``slack_hanging_batch_vs_timeout``: a batch of 5 against a Slack that never answers, as a
  share of the Lambda timeout it was given (must stay under 1).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from calls import counting_aws
from moto import mock_aws
from webhook import SECRET, _event, _quiet

import leadops.adapters.aws
from leadops_local.provision import provision
from leadops_local.runtime import LambdaContext, LocalFunction, environment
from leadops_local.template import SamTemplate

ROOT = Path(__file__).resolve().parents[1]
BODY = json.loads((ROOT / "events" / "bodies" / "demo-request.json").read_text(encoding="utf-8"))
REP = json.loads((ROOT / "events" / "bodies" / "rep-tae.json").read_text(encoding="utf-8"))
BATCH = 5  # the worker's BatchSize in template.yaml


class _Slack(BaseHTTPRequestHandler):
    """chat.postMessage: counts posts; hangs (until the bench ends) when ``hang`` is set."""

    posts = 0
    hang = threading.Event()
    release = threading.Event()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if _Slack.hang.is_set():
            _Slack.release.wait(30)
            return  # the caller gave up long ago: no answer, no post
        _Slack.posts += 1
        body = json.dumps({"ok": True, "channel": "C1", "ts": f"1.{_Slack.posts:06d}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@contextlib.contextmanager
def _stand_in() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slack)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Slack.release.set()
        server.shutdown()


def _records(template: SamTemplate) -> list[dict[str, Any]]:
    """Every message of the Slack queue, as SQS records (taken off the queue: the bench hands
    them to the worker itself, as often as it wants)."""
    import boto3

    sqs = boto3.client("sqs")
    url = template.queue_url("SlackQueue")
    found: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        found += [{"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs"}
                  for m in batch]  # fmt: skip
        handles = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        sqs.delete_message_batch(QueueUrl=url, Entries=handles)
    return found


def _run(worker: LocalFunction, records: list[dict[str, Any]], timeout_s: int) -> float:
    """Deliver ``records`` in the worker's batches; the longest batch's seconds."""
    worst = 0.0
    with environment(worker.env):
        handler = worker.handler()
        for start in range(0, len(records), BATCH):
            context = LambdaContext("SlackNotifyFunction", 512, timeout_s)
            began = time.monotonic()
            with contextlib.suppress(Exception):  # an all-failed batch raises, as in Lambda
                handler({"Records": records[start : start + BATCH]}, context)
            worst = max(worst, time.monotonic() - began)
    return worst


def slack_calls(template_path: Path, leads: int = 200) -> dict[str, float]:
    os.environ["LEADOPS_LOCAL_SECRET_WebhookSecret"] = SECRET  # noqa: SIM112 - logical id
    os.environ["LEADOPS_LOCAL_SECRET_SlackBotTokenSecret"] = "xoxb-bench"  # noqa: SIM112, S105
    leadops.adapters.aws.client.cache_clear()
    with _stand_in() as api, mock_aws(), _quiet():
        template = SamTemplate.load(
            template_path, {"SlackChannel": "C0BENCH01", "SlackApiUrl": api}
        )
        provision(template, None)
        LocalFunction(template.function("LeadsApiFunction")).invoke(
            _event(template, "PUT", "/reps/grace", {**REP, "slack_user_id": "U0GRACE01"})
        )
        webhook = LocalFunction(template.function("WebhookFunction"))
        for i in range(leads):
            body = {**BODY, "submission_id": f"bench-{i}"}
            webhook.invoke(_event(template, "POST", "/webhooks/demo-request", body))
        records = _records(template)
        worker = LocalFunction(template.function("SlackNotifyFunction"))
        _run(worker, records[:1], 30)  # warm: the token is read once per container
        with counting_aws() as calls:
            _run(worker, records[1:], 30)
        posts, aws = _Slack.posts, sum(calls.values())
        _run(worker, records, 30)  # every batch delivered again
        again = _Slack.posts - posts
        for i in range(BATCH):
            body = {**BODY, "submission_id": f"bench-hang-{i}"}
            webhook.invoke(_event(template, "POST", "/webhooks/demo-request", body))
        _Slack.hang.set()
        worst = _run(worker, _records(template), 5)
    leadops.adapters.aws.client.cache_clear()
    print(f"  {len(records)} lead.qualified messages; posts {posts}; redelivered: {again} posts")
    print(f"  AWS calls for {len(records) - 1} notices: {dict(calls)}")
    return {
        "slack_calls_per_lead": posts / len(records),
        "slack_calls_per_redelivered_lead": again / len(records),
        "aws_calls_per_slack_notice": aws / (len(records) - 1),
        "slack_hanging_batch_vs_timeout": worst / 5,
    }
