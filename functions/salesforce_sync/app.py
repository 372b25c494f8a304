"""SQS (fed by an EventBridge rule on lead and account changes): upsert Leads, and the owner and
team of routed Accounts, into Salesforce through sObject Collections (200 records a call).

Only the failed messages are reported back (ReportBatchItemFailures): SQS delivers them again
and, past maxReceiveCount, to the Salesforce DLQ (``leadops dlq redrive salesforce``). Calls end
before the Lambda timeout; near the org's daily API allowance the sync slows down, then stops
(leadops.services.crm_sync, leadops.adapters.salesforce).
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters.leads_table import SyncLedgerTable
from leadops.adapters.salesforce import SalesforceDestination, salesforce_client
from leadops.crm_mapping import SalesforceMapping
from leadops.services.crm_sync import CrmSync
from leadops.settings import SalesforceSyncSettings

logger = Logger()
settings = SalesforceSyncSettings.from_env()
mapping = SalesforceMapping.model_validate_json(settings.salesforce_field_mapping or "{}")


def salesforce() -> SalesforceDestination:
    return SalesforceDestination(salesforce_client(settings), mapping)


crm_sync = CrmSync(SyncLedgerTable(settings.leads_table), salesforce)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    failed = crm_sync.sync(event["Records"], context)  # bounded by the time left
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
