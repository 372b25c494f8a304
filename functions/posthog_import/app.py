"""S3 ObjectCreated on the PostHog exports bucket: a PostHog batch export (JSON Lines, maybe
gzip) streamed line by line into people's behaviour scores, then ``<key>.report.json`` beside
it (leadops.services.posthog_import)."""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.events import LeadEvents
from leadops.adapters.import_files import ImportFiles
from leadops.adapters.leads_table import People, Pools
from leadops.services.engagement import AccountMql, Engagement
from leadops.services.live_rulebook import LiveRulebook
from leadops.services.posthog_import import ExportFile, PostHogImport
from leadops.settings import PostHogImportSettings

logger = Logger()
settings = PostHogImportSettings.from_env()
rules = LiveRulebook.of(settings.rulebook_table)
engagement = Engagement(
    rules,
    People(settings.leads_table),
    LeadEvents(settings.event_bus_name),
    AccountMql(AccountsTable(settings.accounts_table), Pools(settings.leads_table), rules),
)
importer = PostHogImport(ImportFiles(), engagement, settings.posthog_person_key,
                         settings.import_batch_size, settings.import_reserve_ms)  # fmt: skip


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    uploads = [
        # S3 sends keys URL-encoded
        ExportFile(r.s3.bucket.name, unquote_plus(r.s3.get_object.key), r.s3.get_object.version_id)
        for r in S3Event(event).records
    ]
    return {"imports": importer.handle(uploads, context.get_remaining_time_in_millis)}


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
