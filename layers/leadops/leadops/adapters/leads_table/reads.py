"""Reads shared by the leads table's classes: BatchGetItem (unprocessed keys asked again) and a
whole-table scan for one item kind; plain items back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from leadops.adapters import aws
from leadops.adapters.dynamodb import plain
from leadops.adapters.leads_table.keys import Key, Kind

BATCH_GET_LIMIT = 100  # keys per BatchGetItem


def batch_get(request: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """One BatchGetItem of ``request`` (``RequestItems``, at most 100 keys, any tables), plus
    one more call per round of unprocessed keys; the items found, by table."""
    found: dict[str, list[dict[str, Any]]] = {}
    while request:
        answer = aws.client("dynamodb").batch_get_item(RequestItems=request)
        for table, items in answer["Responses"].items():
            found.setdefault(table, []).extend(plain(item) for item in items)
        request = answer.get("UnprocessedKeys") or {}
    return found


def get_all(table: str, keys: list[Key], consistent: bool = False) -> list[dict[str, Any]]:
    """The items of ``keys`` that exist, 100 keys a call."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        chunk = [key.typed for key in keys[start : start + BATCH_GET_LIMIT]]
        answer = batch_get({table: {"Keys": chunk, "ConsistentRead": consistent}})
        found.extend(answer.get(table, []))
    return found


def scan_kind(table: str, kind: Kind) -> Iterator[dict[str, Any]]:
    """Every item of one kind (a whole-table scan: for tests and tools, never a request path)."""
    for page in aws.client("dynamodb").get_paginator("scan").paginate(TableName=table):
        for raw in page["Items"]:
            if raw["sk"]["S"] == kind.value:
                yield plain(raw)
