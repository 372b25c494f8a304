"""SQS (fed by an EventBridge rule on lead.qualified): set icp_score / icp_tier in PostHog.

One PostHog request per batch; if it fails after retries, every record of the batch is reported
failed, so SQS delivers them again and, past maxReceiveCount, to the DLQ: nothing is lost.
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

import json
import os
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws
from leadops.adapters.leads_table import IcpSyncs
from leadops.adapters.posthog import IcpUpdate, PostHogClient, PostHogError, updates_to_send

logger = Logger()
table = IcpSyncs(os.environ["LEADS_TABLE"])
host = os.environ["POSTHOG_HOST"]


def posthog() -> PostHogClient:
    key = str(aws.secret(os.environ["POSTHOG_KEY_SECRET_ARN"], max_age=300))
    return PostHogClient(host, key, timeout_s=4, retries=2)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    wanted: dict[str, dict[str, Any]] = {}  # message id -> the event's detail
    failed: list[str] = []
    for record in event["Records"]:
        try:
            detail = json.loads(record["body"])["detail"]
            wanted[record["messageId"]] = {
                k: detail[k] for k in ("lead_id", "icp_score", "icp_tier", "rulebook_version")
            }
        except (ValueError, KeyError, TypeError):
            logger.error("unreadable ICP sync message", extra={"message_id": record["messageId"]})
            failed.append(record["messageId"])
    emails, synced = table.emails_and_last_sync([d["lead_id"] for d in wanted.values()])
    updates = {  # newest last: one update per email
        emails[d["lead_id"]]: IcpUpdate(
            emails[d["lead_id"]], int(d["icp_score"]), d["icp_tier"], d["rulebook_version"]
        )
        for d in wanted.values()
        if d["lead_id"] in emails
    }
    to_send = updates_to_send(updates, synced)
    try:
        sent = posthog().send(to_send)
    except PostHogError as error:
        logger.warning(
            "PostHog sync failed", extra={"status": error.status, "retryable": error.retryable}
        )
        failed.extend(wanted)
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}
    table.remember_sync({u.email: (u.icp_score, u.icp_tier) for u in to_send}, datetime.now(UTC))
    logger.info(
        "ICP scores synced",
        extra={"messages": len(wanted), "sent": sent, "unchanged": len(updates) - sent},
    )
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
