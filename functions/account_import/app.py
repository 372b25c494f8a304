"""S3 ObjectCreated on the imports bucket: upsert each row of an account file (JSON Lines or
CSV) as the account's SNAPSHOT, then write ``<key>.report.json`` next to the file.

The object is streamed (64 KiB reads, one batch of snapshots in memory); parsing and
validation live in ``leadops.snapshot_files``. Rejected rows are reported by line and field,
never by value. If DynamoDB fails mid-file the exception propagates on purpose: Lambda's
asynchronous retries run the whole file again, which is safe because every row is an upsert
of the account's one SNAPSHOT item (the rows already written are written again, unchanged).
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

import json
import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from leadops.adapters import aws
from leadops.adapters.accounts_table import AccountsTable
from leadops.snapshot_files import (
    ImportReport,
    decode_lines,
    is_report,
    kind_of,
    report_key,
    run_import,
)

logger = Logger()
accounts = AccountsTable(os.environ["ACCOUNTS_TABLE"])
BATCH_SIZE = int(os.environ.get("IMPORT_BATCH_SIZE", "500"))
PROGRESS_EVERY = int(os.environ.get("IMPORT_PROGRESS_EVERY", "10000"))
CHUNK_BYTES = 64 * 1024
# Stop this long before Lambda's timeout (at most a fifth of the run), so a file too big for
# one run ends with a report (status "stopped") rather than a timeout the retries would repeat.
RESERVE_MS = int(os.environ.get("IMPORT_RESERVE_MS", "30000"))


def import_object(
    bucket: str, key: str, version_id: str | None, context: LambdaContext
) -> dict[str, Any]:
    source = f"s3://{bucket}/{key}"
    kind = kind_of(key)
    if kind is None:
        logger.warning("unsupported import file type", extra={"source": source})
        return _finish(bucket, key, ImportReport.unsupported(source))
    request: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id  # the version that was uploaded, not a later one
    try:
        body = aws.client("s3").get_object(**request)["Body"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "NoSuchVersion"):
            raise
        logger.warning("import file is gone", extra={"source": source})
        return {"source": source, "status": "missing"}

    def progress(report: ImportReport) -> None:
        logger.info("import progress", extra={"source": source, **report.counts()})

    reserve_ms = min(RESERVE_MS, context.get_remaining_time_in_millis() // 5)

    def time_is_up() -> bool:
        return context.get_remaining_time_in_millis() < reserve_ms

    try:
        report = run_import(
            decode_lines(body.iter_chunks(CHUNK_BYTES)),
            kind,
            ImportReport(source),
            accounts.put_snapshots,
            batch_size=BATCH_SIZE,
            progress_every=PROGRESS_EVERY,
            on_progress=progress,
            time_is_up=time_is_up,
        )
    finally:
        body.close()
    return _finish(bucket, key, report)


def _finish(bucket: str, key: str, report: ImportReport) -> dict[str, Any]:
    target = report_key(key)
    document = report.as_dict(datetime.now(UTC))
    aws.client("s3").put_object(
        Bucket=bucket,
        Key=target,
        Body=json.dumps(document, separators=(",", ":")).encode(),
        ContentType="application/json",
    )
    summary = {"source": report.source, "report": f"s3://{bucket}/{target}", **report.counts()}
    logger.info("import finished", extra=summary)
    return summary


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    imports = []
    for record in S3Event(event).records:
        bucket = record.s3.bucket.name
        key = unquote_plus(record.s3.get_object.key)  # S3 sends keys URL-encoded
        if not record.event_name.startswith("ObjectCreated"):
            continue
        if is_report(key):  # our own output: importing it would loop
            logger.info("report object skipped", extra={"source": f"s3://{bucket}/{key}"})
            continue
        imports.append(import_object(bucket, key, record.s3.get_object.version_id, context))
    return {"imports": imports}


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
