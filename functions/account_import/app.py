"""S3 ObjectCreated on the imports bucket: upsert each row of an account file (JSON Lines or
CSV) as the account's SNAPSHOT, then write ``<key>.report.json`` next to the file
(leadops.services.account_import)."""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.import_files import ImportFiles
from leadops.services.account_import import AccountImport, Upload
from leadops.services.live_rulebook import LiveRulebook
from leadops.settings import AccountImportSettings

logger = Logger()
settings = AccountImportSettings.from_env()
importer = AccountImport(
    ImportFiles(),
    AccountsTable(settings.accounts_table),
    settings,
    LiveRulebook.of(settings.rulebook_table),
)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    uploads = [
        # S3 sends keys URL-encoded
        Upload(r.event_name, r.s3.bucket.name, unquote_plus(r.s3.get_object.key),
               r.s3.get_object.version_id)
        for r in S3Event(event).records
    ]  # fmt: skip
    return {"imports": importer.handle(uploads, context.get_remaining_time_in_millis)}


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
