"""Form-source items: ``FORMSOURCE#<source_id>`` / ``FORMSOURCE``, the source as JSON (``doc``)
(``leadops.ports.FormSources``). Deliveries read a source far more often than the operator
changes it: ``max_age`` keeps a read for that long in the process (a change is seen within it);
the API reads with 0 (always the table)."""

from __future__ import annotations

import time

from leadops.adapters.dynamodb import Table, typed
from leadops.adapters.leads_table import keys
from leadops.form_sources import FormSource

# (table, source id) -> (monotonic time it expires, the source or None)
_cache: dict[tuple[str, str], tuple[float, FormSource | None]] = {}


def expire_all() -> None:
    """Forget every cached source (tests: each has its own tables)."""
    _cache.clear()


class FormSources(Table):
    def __init__(self, table_name: str, max_age: float = 0) -> None:
        super().__init__(table_name)
        self.max_age = max_age

    def get(self, source_id: str) -> FormSource | None:
        """One consistent GetItem (or the cached answer while it is fresh)."""
        now = time.monotonic()
        cached = _cache.get((self.name, source_id))
        if self.max_age > 0 and cached is not None and now < cached[0]:
            return cached[1]
        answer = self._db.get_item(
            TableName=self.name, Key=keys.form_source(source_id).typed, ConsistentRead=True
        )
        item = answer.get("Item")
        source = FormSource.model_validate_json(item["doc"]["S"]) if item else None
        if self.max_age > 0:
            _cache[(self.name, source_id)] = (now + self.max_age, source)
        return source

    def put(self, source: FormSource) -> None:
        key = keys.form_source(source.source_id).typed
        self._db.put_item(TableName=self.name, Item={**key, **typed(doc=source.model_dump_json())})
        _cache.pop((self.name, source.source_id), None)
