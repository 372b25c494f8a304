"""SQS (fed by an EventBridge rule on lead and account changes): upsert contacts (by email) and
routed companies into HubSpot through the CRM v3 batch upsert (100 inputs a call).

Only the failed messages are reported back (ReportBatchItemFailures): SQS delivers them again
and, past maxReceiveCount, to the HubSpot DLQ (``leadops dlq redrive hubspot``). Calls end
before the Lambda timeout; 429 answers are retried honouring Retry-After within it
(leadops.services.crm_sync, leadops.adapters.hubspot).
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters.hubspot import HubSpotDestination, hubspot_client
from leadops.adapters.leads_table import SyncLedgerTable
from leadops.crm_mapping import HubSpotMapping
from leadops.services.crm_sync import CrmSync
from leadops.settings import HubSpotSyncSettings

logger = Logger()
settings = HubSpotSyncSettings.from_env()
mapping = HubSpotMapping.model_validate_json(settings.hubspot_property_mapping or "{}")


def hubspot() -> HubSpotDestination:
    return HubSpotDestination(hubspot_client(settings), mapping)


crm_sync = CrmSync(SyncLedgerTable(settings.leads_table), hubspot)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failed = crm_sync.sync(event["Records"], context)  # bounded by the time left
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
