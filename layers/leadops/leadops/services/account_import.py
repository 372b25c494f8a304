"""Import an uploaded account file (JSON Lines or CSV): upsert each row as the account's
SNAPSHOT, then write ``<key>.report.json`` next to the file.

The file is streamed (bounded reads, one batch of snapshots in memory); parsing and validation
live in ``leadops.snapshot_files``. Countries are stored as ISO 3166 alpha-2 codes, read by the
live rulebook's normaliser (a country it cannot read is kept as given). Rejected rows are
reported by line and field, never by value. If the store fails mid-file the exception propagates
on purpose: Lambda's asynchronous retries run the whole file again, which is safe because every
row is an upsert of the account's one SNAPSHOT item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from leadops.normalise import Normaliser
from leadops.ports import ImportFiles, RulebookSource, SnapshotStore
from leadops.routing import AccountSnapshot
from leadops.settings import AccountImportSettings
from leadops.snapshot_files import (
    ImportReport,
    decode_lines,
    is_report,
    kind_of,
    report_key,
    run_import,
)

logger = Logger(child=True)


@dataclass(frozen=True, slots=True)
class Upload:
    """One S3 notification: the event name ("ObjectCreated:Put"), where, which version."""

    event_name: str
    bucket: str
    key: str
    version_id: str | None = None

    @property
    def source(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class AccountImport:
    def __init__(
        self,
        files: ImportFiles,
        snapshots: SnapshotStore,
        settings: AccountImportSettings,
        rules: RulebookSource,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.files = files
        self.snapshots = snapshots
        self.settings = settings
        self.rules = rules
        self.clock = clock

    def handle(self, uploads: Iterable[Upload], time_left_ms: Callable[[], int]) -> list[Any]:
        """A summary per imported file; other events and our own reports are skipped."""
        imports = []
        for upload in uploads:
            if not upload.event_name.startswith("ObjectCreated"):
                continue
            if is_report(upload.key):  # our own output: importing it would loop
                logger.info("report object skipped", extra={"source": upload.source})
                continue
            imports.append(self.run(upload, time_left_ms))
        return imports

    def run(self, upload: Upload, time_left_ms: Callable[[], int]) -> dict[str, Any]:
        kind = kind_of(upload.key)
        if kind is None:
            logger.warning("unsupported import file type", extra={"source": upload.source})
            return self._finish(upload, ImportReport.unsupported(upload.source))
        # Stop this long before the timeout (at most a fifth of the run), so a file too big for
        # one run ends with a report (status "stopped"), not a timeout the retries would repeat.
        reserve_ms = min(self.settings.import_reserve_ms, time_left_ms() // 5)
        normaliser = self.rules.current().scorer.normaliser  # one rulebook for the whole file

        def write(batch: list[AccountSnapshot]) -> int:
            return self.snapshots.put_snapshots([with_iso_country(s, normaliser) for s in batch])

        with self.files.opened(upload.bucket, upload.key, upload.version_id) as chunks:
            if chunks is None:
                logger.warning("import file is gone", extra={"source": upload.source})
                return {"source": upload.source, "status": "missing"}
            report = run_import(
                decode_lines(chunks),
                kind,
                ImportReport(upload.source),
                write,
                batch_size=self.settings.import_batch_size,
                progress_every=self.settings.import_progress_every,
                on_progress=_log_progress,
                time_is_up=lambda: time_left_ms() < reserve_ms,
            )
        return self._finish(upload, report)

    def _finish(self, upload: Upload, report: ImportReport) -> dict[str, Any]:
        target = report_key(upload.key)
        self.files.put_report(upload.bucket, target, report.as_dict(self.clock()))
        summary = {
            "source": report.source,
            "report": f"s3://{upload.bucket}/{target}",
            **report.counts(),
        }
        logger.info("import finished", extra=summary)
        return summary


def with_iso_country(snapshot: AccountSnapshot, normaliser: Normaliser) -> AccountSnapshot:
    """The snapshot with its country as an ISO code ("United Kingdom", "UK" -> "GB"); a country
    the normaliser cannot read is kept as given (the routing rules read it as no country)."""
    code = normaliser.country(snapshot.country)
    if code is None or code == snapshot.country:
        return snapshot
    return snapshot.model_copy(update={"country": code})


def _log_progress(report: ImportReport) -> None:
    logger.info("import progress", extra={"source": report.source, **report.counts()})
