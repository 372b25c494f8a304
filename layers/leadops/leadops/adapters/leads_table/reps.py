"""Rep items: ``REP#<rep_id>`` / ``REP``, the rep (``doc``), the pool it is on (``pool_pk``) and
its ``assigned_count``; gsi1 ``REPS`` lists them all."""

from __future__ import annotations

from typing import Any

from leadops.adapters.dynamodb import Table, plain, typed
from leadops.adapters.leads_table import keys
from leadops.adapters.leads_table.pools import Pools
from leadops.assignment import Rep
from leadops.errors import NotFound


def _parse(item: dict[str, Any]) -> tuple[Rep, int]:
    return Rep.model_validate_json(item["doc"]), int(item.get("assigned_count", 0))


class Reps(Table):
    def put(self, rep: Rep) -> None:
        """Store the rep and keep its pool's roster in step, moving it if role/territory changed."""
        previous = self._item(rep.rep_id)
        doc = rep.model_dump_json()
        pools = Pools(self.name)
        pool = keys.pool(rep.role, rep.territory)
        writes: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.name,
                    "Key": keys.rep(rep.rep_id).typed,
                    "UpdateExpression": "SET doc = :doc, pool_pk = :pool, "
                    "gsi1pk = :reps, gsi1sk = :id",
                    "ExpressionAttributeValues": typed(
                        **{":doc": doc, ":pool": pool.pk, ":reps": keys.REPS, ":id": rep.rep_id}
                    ),
                }
            },
            pools.ensure(pool),
        ]
        old_pool = previous.get("pool_pk") if previous else None
        if old_pool and old_pool != pool.pk:
            writes.append(pools.leave(keys.pool_at(str(old_pool)), rep.rep_id))
        self._db.transact_write_items(TransactItems=writes)
        # A map entry can only be set once the map exists: a second, idempotent write.
        pools.join(pool, rep.rep_id, doc)

    def get(self, rep_id: str) -> tuple[Rep, int]:
        """The rep and how many leads it was assigned."""
        item = self._item(rep_id)
        if item is None:
            raise NotFound("rep", rep_id)
        return _parse(item)

    def all(self) -> list[tuple[Rep, int]]:
        """Every rep, in rep id order (the rep items share one gsi1 partition)."""
        pages = self._db.get_paginator("query").paginate(
            TableName=self.name,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :reps",
            ExpressionAttributeValues={":reps": {"S": keys.REPS}},
        )
        return [_parse(plain(raw)) for page in pages for raw in page["Items"]]

    def count_assignment(self, rep_id: str) -> dict[str, Any]:
        """An ``Update`` (transaction form): one more lead assigned to the rep, which exists."""
        return {
            "Update": {
                "TableName": self.name,
                "Key": keys.rep(rep_id).typed,
                "UpdateExpression": "ADD assigned_count :one",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }

    def _item(self, rep_id: str) -> dict[str, Any] | None:
        answer = self._db.get_item(TableName=self.name, Key=keys.rep(rep_id).typed)
        return plain(answer["Item"]) if "Item" in answer else None
