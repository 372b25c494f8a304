"""Enrichment items: cached provider answers (``ENRICH#<kind>#<key>`` / ``ENRICHMENT``, with
``expires_at`` for the table's TTL) and each provider's calls per month (``ENRICHBUDGET#...``).
The webhook reads the cache in its own BatchGetItem and writes it in its own transaction (the
pieces are here); the worker and ``POST /score`` use ``cached`` / ``remember``."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from leadops.adapters.dynamodb import Table, batch_write, typed
from leadops.adapters.leads_table import keys
from leadops.adapters.leads_table.reads import get_all
from leadops.ports import CacheEntry


class EnrichmentItems(Table):
    @staticmethod
    def key(kind: str, key: str) -> keys.Key:
        return keys.enrichment(kind, key)

    @staticmethod
    def parse(items: list[dict[str, Any]], now: float | None = None) -> dict[tuple[str, str], Any]:
        """(kind, key) -> document of the plain cache items among ``items`` not yet expired
        (TTL deletion lags behind ``expires_at``)."""
        at = time.time() if now is None else now
        found = {}
        for item in items:
            if item.get("sk") != keys.Kind.ENRICHMENT.value or int(item["expires_at"]) <= at:
                continue
            _, kind, key = str(item["pk"]).split("#", 2)
            found[(kind, key)] = json.loads(item["doc"])
        return found

    def item(self, entry: CacheEntry) -> dict[str, Any]:
        doc = json.dumps(entry.document, separators=(",", ":"))
        return {
            **self.key(entry.kind, entry.key).typed,
            **typed(doc=doc, expires_at=entry.expires_at),
        }

    def put(self, entry: CacheEntry) -> dict[str, Any]:
        """A ``Put`` (TransactWriteItems form)."""
        return {"Put": {"TableName": self.name, "Item": self.item(entry)}}

    def cached(self, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        return self.parse(get_all(self.name, [self.key(*key) for key in wanted]))

    def remember(self, entries: Sequence[CacheEntry]) -> None:
        if entries:
            batch_write(self.name, [{"PutRequest": {"Item": self.item(e)}} for e in entries])

    def take(self, provider: str, month: str, limit: int) -> bool:
        """One UpdateItem: the month's count up by one unless it reached ``limit``."""
        try:
            self._db.update_item(
                TableName=self.name,
                Key=keys.enrichment_budget(provider, month).typed,
                UpdateExpression="ADD calls :one SET expires_at = if_not_exists(expires_at, :ttl)",
                ConditionExpression="attribute_not_exists(calls) OR calls < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":ttl": {"N": str(int(time.time()) + 62 * 86400)},
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
