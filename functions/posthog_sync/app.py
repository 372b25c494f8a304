"""SQS (fed by an EventBridge rule on lead.qualified and lead.mql): set icp_score / icp_tier,
and for an MQL behaviour_score / lead_grade / mql_at, as PostHog person properties.

One PostHog request per batch, ended before the Lambda timeout; if it fails after retries (or
the time is spent), every readable record of the batch is reported failed, so SQS delivers them
again and, past maxReceiveCount, to the DLQ: nothing is lost. An unreadable record fails alone.
Not Powertools' BatchProcessor: it calls a handler per record, and one batched vendor request
for the whole batch is the point here (leadops.services.icp_sync).
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws
from leadops.adapters.leads_table import IcpSyncs, People
from leadops.adapters.posthog import PostHogClient
from leadops.services.icp_sync import IcpSync
from leadops.settings import PostHogSyncSettings

logger = Logger()
settings = PostHogSyncSettings.from_env()


def posthog() -> PostHogClient:
    key = str(aws.secret(settings.posthog_key_secret_arn, max_age=300))
    return PostHogClient(settings.posthog_host, key, timeout_s=4, retries=2)


icp_sync = IcpSync(
    IcpSyncs(settings.leads_table),
    posthog,
    distinct_id=settings.posthog_distinct_id,
    mql_people=People(settings.leads_table),  # lead.mql: behaviour_score, lead_grade, mql_at
)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failed = icp_sync.sync(event["Records"], context)  # bounded by the time left
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
