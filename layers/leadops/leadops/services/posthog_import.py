"""PostHog batch exports (S3 destination, JSON Lines, optionally gzip): each file dropped into
the exports bucket is streamed line by line and scored in batches (``ingest_lines``), then a
report ``<key>.report.json`` is written beside it (counts, malformed lines by number and field,
never values). A file is read once per upload; reading it again counts nothing twice (uuids)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from leadops.ports import ImportFiles
from leadops.posthog_events import PersonKey, gunzipped, split_lines
from leadops.services.engagement import Engagement, ingest_lines

logger = Logger(child=True)
SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".json.gz")


@dataclass(frozen=True, slots=True)
class ExportFile:
    bucket: str
    key: str
    version_id: str | None = None


class PostHogImport:
    def __init__(
        self,
        files: ImportFiles,
        engagement: Engagement,
        key: PersonKey,
        batch_size: int,
        reserve_ms: int,
    ) -> None:
        self.files = files
        self.engagement = engagement
        self.key = key
        self.batch_size = batch_size
        self.reserve_ms = reserve_ms

    def handle(
        self, uploads: Iterable[ExportFile], time_left_ms: Callable[[], int]
    ) -> list[dict[str, Any]]:
        return [self.run(upload, time_left_ms) for upload in uploads if _wanted(upload.key)]

    def run(self, upload: ExportFile, time_left_ms: Callable[[], int]) -> dict[str, Any]:
        started = datetime.now(UTC)
        with self.files.opened(upload.bucket, upload.key, upload.version_id) as chunks:
            if chunks is None:
                return {"key": upload.key, "status": "gone"}
            stream = gunzipped(chunks) if upload.key.endswith(".gz") else chunks
            report, finished = ingest_lines(
                self.engagement, split_lines(stream), self.key, self.batch_size,
                lambda: time_left_ms() > self.reserve_ms,
            )  # fmt: skip
        document = {
            "source": f"s3://{upload.bucket}/{upload.key}",
            "status": "done" if finished else "stopped",
            "started_at": started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            **report.as_dict(),
        }
        self.files.put_report(upload.bucket, f"{upload.key}.report.json", document)
        counts = {k: v for k, v in document.items() if isinstance(v, int)}
        logger.info("PostHog export imported", extra={"status": document["status"], **counts})
        return {"key": upload.key, "status": document["status"], **counts}


def _wanted(key: str) -> bool:
    return key.endswith(SUFFIXES) and not key.endswith(".report.json")
