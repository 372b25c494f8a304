"""The rulebook table: the only code that knows its key schema.

- a stored version: ``VERSION#<version>`` / ``RULEBOOK`` - the validated document (JSON), its
  digest, who stored it when; never changed or deleted once stored
- the live pointer: ``ACTIVE`` / ``RULEBOOK`` - a copy of the active version's document (so
  that every function picks up the live rulebook with one GetItem), when it became active and
  what it replaced; absent while the packaged rulebook is live
- a dry-run job: ``JOB#<id>`` / ``JOB`` - its request, progress and partial result; TTL 7 days
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadops.adapters.dynamodb import Table, plain, typed
from leadops.errors import Conflict
from leadops.rules import StoredRulebook

JOB_TTL_S = 7 * 24 * 3600


def _key(pk: str, sk: str = "RULEBOOK") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def digest(document: dict[str, Any]) -> str:
    """The same document gives the same digest whatever its key order."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class RulebookTable(Table):
    def active(self) -> StoredRulebook | None:
        """The live override, or None while the packaged rulebook is live (one GetItem)."""
        answer = self._db.get_item(TableName=self.name, Key=_key("ACTIVE"), ConsistentRead=True)
        return _stored(plain(answer["Item"])) if "Item" in answer else None

    def version(self, version: str) -> StoredRulebook | None:
        answer = self._db.get_item(TableName=self.name, Key=_key(f"VERSION#{version}"))
        return _stored(plain(answer["Item"])) if "Item" in answer else None

    def versions(self) -> list[StoredRulebook]:
        """Every stored version (documents left out), newest first."""
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self.name,
            "FilterExpression": "begins_with(pk, :v)",
            "ExpressionAttributeValues": {":v": {"S": "VERSION#"}},
            "ProjectionExpression": "version, stored_at, description",
        }
        while True:
            answer = self._db.scan(**request)
            items.extend(plain(item) for item in answer["Items"])
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        found = [
            StoredRulebook(item["version"], {"description": item.get("description", "")},
                           item.get("stored_at"))
            for item in items
        ]  # fmt: skip
        return sorted(found, key=lambda stored: stored.stored_at or "", reverse=True)

    def store_and_activate(
        self, document: dict[str, Any], at: datetime, previous_version: str, live: str | None
    ) -> bool:
        """Store the version (if new) and make it live, in one transaction: a document is never
        half-applied. ``live``: the override this change was decided against (None: the packaged
        rulebook); if another change got in first, Conflict and nothing is written. Raises
        Conflict too if the version is stored with another document; returns whether the version
        was new."""
        version = document["version"]
        existing = self._db.get_item(
            TableName=self.name, Key=_key(f"VERSION#{version}"), ConsistentRead=True
        ).get("Item")
        if existing is not None and plain(existing)["digest"] != digest(document):
            raise Conflict(
                "version",
                f"rulebook version {version!r} is already stored with a different document: "
                "give the changed rulebook a new version",
            )
        writes: list[dict[str, Any]] = []
        if existing is None:
            writes.append(
                {
                    "Put": {
                        "TableName": self.name,
                        "Item": {
                            **_key(f"VERSION#{version}"),
                            **typed(
                                version=version,
                                description=document.get("description", ""),
                                doc=json.dumps(document, separators=(",", ":")),
                                digest=digest(document),
                                stored_at=at.isoformat(),
                            ),
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        writes.append(self._activation(version, document, at, previous_version, live))
        self._transact(writes)
        return existing is None

    def activate(
        self, stored: StoredRulebook, at: datetime, previous_version: str, live: str | None
    ) -> None:
        """Make a stored version live again (rollback); ``live`` as for store_and_activate."""
        document = stored.document
        self._transact([self._activation(stored.version, document, at, previous_version, live)])

    def deactivate(self, live: str) -> None:
        """Back to the packaged rulebook, unless another change got in first (Conflict)."""
        self._transact(
            [
                {
                    "Delete": {
                        "TableName": self.name,
                        "Key": _key("ACTIVE"),
                        "ConditionExpression": "version = :live",
                        "ExpressionAttributeValues": {":live": {"S": live}},
                    }
                }
            ]
        )

    def _transact(self, writes: list[dict[str, Any]]) -> None:
        try:
            self._db.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            raise Conflict(
                "version",
                "the live rulebook changed while this request was made: read it again and retry",
            ) from error

    def _activation(
        self,
        version: str,
        document: dict[str, Any],
        at: datetime,
        previous_version: str,
        live: str | None,
    ) -> dict[str, Any]:
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if live is None
            else {
                "ConditionExpression": "version = :live",
                "ExpressionAttributeValues": {":live": {"S": live}},
            }
        )
        return {
            "Put": {
                **condition,
                "TableName": self.name,
                "Item": {
                    **_key("ACTIVE"),
                    **typed(
                        version=version,
                        doc=json.dumps(document, separators=(",", ":")),
                        activated_at=at.isoformat(),
                        previous_version=previous_version,
                    ),
                },
            }
        }

    # --- dry-run jobs --------------------------------------------------------------------------
    def put_job(self, job_id: str, state: dict[str, Any], at: datetime) -> None:
        self._db.put_item(
            TableName=self.name,
            Item={
                **_key(f"JOB#{job_id}", "JOB"),
                **typed(
                    state=json.dumps(state, separators=(",", ":")),
                    updated_at=at.isoformat(),
                    expires_at=int(at.timestamp()) + JOB_TTL_S,
                ),
            },
        )

    def job(self, job_id: str) -> dict[str, Any] | None:
        answer = self._db.get_item(
            TableName=self.name, Key=_key(f"JOB#{job_id}", "JOB"), ConsistentRead=True
        )
        if "Item" not in answer:
            return None
        state: dict[str, Any] = json.loads(plain(answer["Item"])["state"])
        return state


def _stored(item: dict[str, Any]) -> StoredRulebook:
    return StoredRulebook(
        version=item["version"],
        document=json.loads(item["doc"]),
        stored_at=item.get("stored_at"),
        activated_at=item.get("activated_at"),
        previous_version=item.get("previous_version"),
    )
