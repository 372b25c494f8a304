"""What the table adapters share: attribute (de)serialisation and BatchWriteItem with retries
of unprocessed items. Key schemas stay in each table's own module."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from leadops.adapters import aws

BATCH_LIMIT = 25  # BatchWriteItem's maximum


class Table:
    """A table adapter: its name, and the process's DynamoDB client (created on first use)."""

    def __init__(self, table_name: str) -> None:
        self.name = table_name

    @property
    def _db(self) -> Any:
        return aws.client("dynamodb")


@cache
def _converters() -> tuple[Any, Any]:
    """boto3's (de)serialiser, loaded with the first item (importing it loads all of boto3)."""
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def typed(**attributes: Any) -> dict[str, Any]:
    """Attributes in DynamoDB's typed form; None values are left out."""
    serializer = _converters()[0]
    return {name: serializer.serialize(v) for name, v in attributes.items() if v is not None}


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A typed item as plain Python values."""
    deserializer = _converters()[1]
    return {name: deserializer.deserialize(value) for name, value in item.items()}


def batch_write(table: str, requests: list[dict[str, Any]]) -> int:
    """Write requests 25 a call, retrying only the unprocessed ones with backoff (throttling);
    returns the number of calls made."""
    calls = 0
    for start in range(0, len(requests), BATCH_LIMIT):
        pending = requests[start : start + BATCH_LIMIT]
        delay = 0.05
        while pending:
            answer = aws.client("dynamodb").batch_write_item(RequestItems={table: pending})
            calls += 1
            pending = answer.get("UnprocessedItems", {}).get(table, [])
            if pending:
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
    return calls
