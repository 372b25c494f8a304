"""Pool items: ``POOL#<role>#<territory>`` / ``POOL``, the pool's roster of reps (``reps``, rep id
-> the rep's JSON) and its round-robin ``position``."""

from __future__ import annotations

from typing import Any

from leadops.adapters.dynamodb import Table, plain, typed
from leadops.adapters.leads_table import keys
from leadops.assignment import Pool, Rep, RepRole


def _roster(item: dict[str, Any]) -> list[Rep]:
    return [Rep.model_validate_json(doc) for doc in (item.get("reps") or {}).values()]


class Pools(Table):
    """Satisfies ``leadops.ports.RepPools``."""

    def take_position(self, role: RepRole, territory: str, count: int = 1) -> Pool:
        """Atomically reserve ``count`` consecutive round-robin slots of the pool; returns its
        reps and the first reserved slot (unique under concurrency)."""
        answer = self._db.update_item(
            Key=keys.pool(role, territory).typed,
            TableName=self.name,
            UpdateExpression="ADD #position :count",
            ExpressionAttributeNames={"#position": "position"},
            ExpressionAttributeValues={":count": {"N": str(count)}},
            ReturnValues="ALL_NEW",
        )
        pool = plain(answer["Attributes"])
        return Pool(reps=_roster(pool), position=int(pool["position"]) - count)

    def pool_reps(self, role: RepRole, territory: str) -> list[Rep]:
        """The pool's reps, read without taking a round-robin slot."""
        answer = self._db.get_item(TableName=self.name, Key=keys.pool(role, territory).typed)
        return _roster(plain(answer.get("Item", {})))

    # --- keeping a roster in step with the rep items (Reps.put) --------------------------------
    def ensure(self, pool: keys.Key) -> dict[str, Any]:
        """An ``Update`` (transaction form) creating the pool's empty roster if it has none."""
        return {
            "Update": {
                "TableName": self.name,
                "Key": pool.typed,
                "UpdateExpression": "SET reps = if_not_exists(reps, :empty)",
                "ExpressionAttributeValues": {":empty": {"M": {}}},
            }
        }

    def leave(self, pool: keys.Key, rep_id: str) -> dict[str, Any]:
        """An ``Update`` (transaction form) taking the rep off the pool's roster."""
        return {
            "Update": {
                "TableName": self.name,
                "Key": pool.typed,
                "UpdateExpression": "REMOVE reps.#rep",
                "ExpressionAttributeNames": {"#rep": rep_id},
            }
        }

    def join(self, pool: keys.Key, rep_id: str, doc: str) -> None:
        """Put the rep (as ``doc``) on the pool's roster, which must exist (idempotent)."""
        self._db.update_item(
            TableName=self.name,
            Key=pool.typed,
            UpdateExpression="SET reps.#rep = :doc",
            ExpressionAttributeNames={"#rep": rep_id},
            ExpressionAttributeValues=typed(**{":doc": doc}),
        )
