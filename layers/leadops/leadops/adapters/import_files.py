"""The imports bucket (S3): account files read as a stream, reports written beside them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from leadops.adapters import aws

CHUNK_BYTES = 64 * 1024
_GONE = ("NoSuchKey", "NoSuchVersion")


class ImportFiles:
    @contextmanager
    def opened(
        self, bucket: str, key: str, version_id: str | None
    ) -> Iterator[Iterable[bytes] | None]:
        """64 KiB reads of the object (the version uploaded, not a later one), closed after;
        None when it is gone (deleted before this run)."""
        request: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            request["VersionId"] = version_id
        try:
            body = aws.client("s3").get_object(**request)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in _GONE:
                raise
            yield None
            return
        try:
            yield body.iter_chunks(CHUNK_BYTES)
        finally:
            body.close()

    def put_report(self, bucket: str, key: str, document: dict[str, Any]) -> None:
        aws.client("s3").put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(document, separators=(",", ":")).encode(),
            ContentType="application/json",
        )
