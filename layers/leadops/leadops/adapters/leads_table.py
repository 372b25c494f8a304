"""The leads table: the only code that knows its key schema.

Single-table design (partition key ``pk``, sort key ``sk``, one GSI, TTL on ``expires_at``):

- lead: ``LEAD#<lead_id>`` / ``LEAD`` - the decision; gsi1 ``LEADS#<day>`` by received time
- account profile: ``ACCOUNT#<key>`` / ``PROFILE`` - company data last seen, customer flag
- account lockout: ``ACCOUNT#<key>`` / ``LOCKOUT`` - ``locked_until``; TTL removes it later
- rep: ``REP#<rep_id>`` / ``REP`` - the rep, ``assigned_count``; gsi1 ``REPS`` lists them
- pool: ``POOL#<role>#<territory>`` / ``POOL`` - its reps and the round-robin ``position``

A lead's id is derived from its submission id, so a replayed submission finds its lead with one
read, and the conditional write makes a concurrent duplicate lose cleanly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from leadops.adapters.dynamodb import Table, batch_write, plain, typed
from leadops.assignment import Pool, Rep, RepRole, pool_key
from leadops.errors import NotFound


def lead_id_for(submission_id: str) -> str:
    return "ld_" + hashlib.sha256(submission_id.encode()).hexdigest()[:24]


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


class AlreadyStored(Exception):
    """The lead was written by another delivery of the same submission."""


@dataclass(frozen=True, slots=True)
class Intake:
    """What the webhook reads before deciding: the lead if this is a replay, the account."""

    lead: dict[str, Any] | None
    profile: dict[str, Any] | None
    lockout: dict[str, Any] | None
    other: list[dict[str, Any]]  # items of another table asked for in the same call


class LeadsTable(Table):
    # --- webhook -------------------------------------------------------------------------------
    def read_intake(
        self, lead_id: str, account: str, other: tuple[str, dict[str, str]] | None = None
    ) -> Intake:
        """One BatchGetItem: the lead (replay?), the account's profile and lockout, and
        ``other`` (a table name and a key of it) in the same call."""
        keys = [
            _key(f"LEAD#{lead_id}", "LEAD"),
            _key(f"ACCOUNT#{account}", "PROFILE"),
            _key(f"ACCOUNT#{account}", "LOCKOUT"),
        ]
        request: dict[str, Any] = {self.name: {"Keys": keys, "ConsistentRead": True}}
        if other is not None:
            table, key = other
            request[table] = {"Keys": [{k: {"S": v} for k, v in key.items()}]}
        answers: dict[str, list[dict[str, Any]]] = {}
        while request:
            answer = self._db.batch_get_item(RequestItems=request)
            for table, items in answer["Responses"].items():
                answers.setdefault(table, []).extend(plain(item) for item in items)
            request = answer.get("UnprocessedKeys") or {}
        found = {(item["pk"], item["sk"]): item for item in answers.get(self.name, [])}
        return Intake(
            lead=found.get((f"LEAD#{lead_id}", "LEAD")),
            profile=found.get((f"ACCOUNT#{account}", "PROFILE")),
            lockout=found.get((f"ACCOUNT#{account}", "LOCKOUT")),
            other=answers.get(other[0], []) if other else [],
        )

    def take_position(self, role: RepRole, territory: str, count: int = 1) -> Pool:
        """Atomically reserve ``count`` consecutive round-robin slots of the pool; returns its
        reps and the first reserved slot (unique under concurrency)."""
        answer = self._db.update_item(
            Key=_key(f"POOL#{pool_key(role, territory)}", "POOL"),
            TableName=self.name,
            UpdateExpression="ADD #position :count",
            ExpressionAttributeNames={"#position": "position"},
            ExpressionAttributeValues={":count": {"N": str(count)}},
            ReturnValues="ALL_NEW",
        )
        pool = plain(answer["Attributes"])
        reps = [Rep.model_validate_json(doc) for doc in (pool.get("reps") or {}).values()]
        return Pool(reps=reps, position=int(pool["position"]) - count)

    def pool_reps(self, role: RepRole, territory: str) -> list[Rep]:
        """The pool's reps, read without taking a round-robin slot."""
        answer = self._db.get_item(
            TableName=self.name, Key=_key(f"POOL#{pool_key(role, territory)}", "POOL")
        )
        docs = plain(answer.get("Item", {})).get("reps") or {}
        return [Rep.model_validate_json(doc) for doc in docs.values()]

    def save_lead(
        self,
        lead_id: str,
        record: dict[str, Any],
        *,
        received_at: datetime,
        account: str,
        owner_id: str | None,
        profile: dict[str, Any] | None,
        expires_at: int | None = None,
        also: list[dict[str, Any]] | None = None,
    ) -> None:
        """Write the lead and its side effects in one transaction; the lead only if new.
        ``also``: more transaction items (another table's), written with it or not at all."""
        at = received_at.isoformat()
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.name,
                    "Item": {
                        **_key(f"LEAD#{lead_id}", "LEAD"),
                        **typed(
                            lead_id=lead_id,
                            account=account,
                            received_at=at,
                            outcome=record["outcome"],
                            # for reports, read without parsing doc:
                            classification=record["answer"]["classification"],
                            rule=record.get("rule"),
                            icp_tier=record["answer"]["icp_tier"],
                            owner_id=owner_id,
                            doc=json.dumps(record, separators=(",", ":")),
                            gsi1pk=f"LEADS#{received_at.date().isoformat()}",
                            gsi1sk=f"{at}#{lead_id}",
                            expires_at=expires_at,
                        ),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if owner_id is not None:
            writes.append(
                {
                    "Update": {
                        "TableName": self.name,
                        "Key": _key(f"REP#{owner_id}", "REP"),
                        "UpdateExpression": "ADD assigned_count :one",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                }
            )
        if profile is not None:  # an update: other writers (imports) own other attributes
            writes.append(
                {
                    "Update": {
                        "TableName": self.name,
                        "Key": _key(f"ACCOUNT#{account}", "PROFILE"),
                        "UpdateExpression": "SET company = :company, updated_at = :at",
                        "ExpressionAttributeValues": typed(
                            **{":company": profile["company"], ":at": at}
                        ),
                    }
                }
            )
        writes.extend(also or [])
        try:
            self._db.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if _condition_failed_on_first(error):
                raise AlreadyStored(lead_id) from error
            raise

    # --- ICP sync -------------------------------------------------------------------------------
    def emails_and_last_sync(
        self, lead_ids: list[str]
    ) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        """The leads' emails, and what PostHog was last sent for each email (two BatchGets of at
        most 100 keys each per 100 leads)."""
        leads = self._batch_get([_key(f"LEAD#{lead_id}", "LEAD") for lead_id in lead_ids])
        emails = {
            item["lead_id"]: json.loads(item["doc"])["email"] for item in leads if "doc" in item
        }
        synced = self._batch_get(
            [_key(f"ICPSYNC#{email}", "ICPSYNC") for email in set(emails.values())]
        )
        return emails, {item["pk"].removeprefix("ICPSYNC#"): item for item in synced}

    def remember_sync(self, sent: dict[str, tuple[int, str]], at: datetime) -> None:
        """What PostHog now has for each email (BatchWriteItem, 25 at a time)."""
        requests = [
            {"PutRequest": {"Item": {**_key(f"ICPSYNC#{email}", "ICPSYNC"),
                                     **typed(icp_score=score, icp_tier=tier, at=at.isoformat())}}}
            for email, (score, tier) in sent.items()
        ]  # fmt: skip
        batch_write(self.name, requests)

    def _batch_get(
        self, keys: list[dict[str, Any]], consistent: bool = False
    ) -> list[dict[str, Any]]:
        """BatchGetItem, 100 keys a call, unprocessed keys asked again."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            chunk = {"Keys": keys[start : start + 100], "ConsistentRead": consistent}
            request: dict[str, Any] = {self.name: chunk}
            while request:
                answer = self._db.batch_get_item(RequestItems=request)
                found.extend(plain(item) for item in answer["Responses"].get(self.name, []))
                request = answer.get("UnprocessedKeys") or {}
        return found

    # --- leads API -----------------------------------------------------------------------------
    def get_lead(self, lead_id: str) -> dict[str, Any]:
        answer = self._db.get_item(
            TableName=self.name, Key=_key(f"LEAD#{lead_id}", "LEAD"), ConsistentRead=True
        )
        if "Item" not in answer:
            raise NotFound("lead", lead_id)
        return plain(answer["Item"])

    def disqualify(
        self, lead_id: str, account: str, reason: str, at: datetime, until: datetime
    ) -> None:
        """Mark the lead disqualified and lock its account out until ``until`` (one transaction)."""
        self._db.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self.name,
                        "Key": _key(f"LEAD#{lead_id}", "LEAD"),
                        "UpdateExpression": "SET disqualified_at = :at, "
                        "disqualified_reason = :reason",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": typed(
                            **{":at": at.isoformat(), ":reason": reason}
                        ),
                    }
                },
                {
                    "Put": {
                        "TableName": self.name,
                        "Item": {
                            **_key(f"ACCOUNT#{account}", "LOCKOUT"),
                            **typed(
                                account=account,
                                lead_id=lead_id,
                                reason=reason,
                                locked_until=until.isoformat(),
                                expires_at=int(until.timestamp()),
                            ),
                        },
                    }
                },
            ]
        )

    def record_outcome(
        self, lead_id: str, outcome: str, amount: float | None, at: datetime
    ) -> None:
        values = {":outcome": outcome, ":at": at.isoformat()}
        expression = "SET deal_outcome = :outcome, deal_outcome_at = :at"
        if amount is not None:
            values[":amount"] = str(amount)
            expression += ", deal_amount = :amount"
        try:
            self._db.update_item(
                TableName=self.name,
                Key=_key(f"LEAD#{lead_id}", "LEAD"),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=typed(**values),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound("lead", lead_id) from error
            raise

    # --- dry runs and reports -----------------------------------------------------------------
    def lead_page(
        self,
        day: date,
        start_key: dict[str, Any] | None = None,
        limit: int = 250,
        attributes: tuple[str, ...] = (),
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of the leads received on ``day`` (gsi1, oldest first) and where to go on;
        ``attributes``: only these (a report needs a few, a dry run the whole decision)."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :day",
            "ExpressionAttributeValues": {":day": {"S": f"LEADS#{day.isoformat()}"}},
            "Limit": limit,
        }
        if attributes:
            names = {f"#a{i}": name for i, name in enumerate(attributes)}
            request["ProjectionExpression"] = ", ".join(names)
            request["ExpressionAttributeNames"] = names
        if start_key:
            request["ExclusiveStartKey"] = start_key
        answer = self._db.query(**request)
        return [plain(item) for item in answer["Items"]], answer.get("LastEvaluatedKey")

    def leads_between(
        self, first: date, last: date, attributes: tuple[str, ...] = ()
    ) -> Iterator[dict[str, Any]]:
        """Every lead received from ``first`` to ``last`` (inclusive days), page by page."""
        day = first
        while day <= last:
            start: dict[str, Any] | None = None
            while True:
                items, start = self.lead_page(day, start, limit=1000, attributes=attributes)
                yield from items
                if start is None:
                    break
            day += timedelta(days=1)

    # --- reps ----------------------------------------------------------------------------------
    def put_rep(self, rep: Rep) -> None:
        """Store the rep and keep its pool's roster in step, moving it if role/territory changed."""
        previous = self._get_rep_item(rep.rep_id)
        doc = rep.model_dump_json()
        new_pool = f"POOL#{pool_key(rep.role, rep.territory)}"
        writes: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.name,
                    "Key": _key(f"REP#{rep.rep_id}", "REP"),
                    "UpdateExpression": "SET doc = :doc, pool_pk = :pool, "
                    "gsi1pk = :reps, gsi1sk = :id",
                    "ExpressionAttributeValues": typed(
                        **{":doc": doc, ":pool": new_pool, ":reps": "REPS", ":id": rep.rep_id}
                    ),
                }
            },
            {
                "Update": {
                    "TableName": self.name,
                    "Key": _key(new_pool, "POOL"),
                    "UpdateExpression": "SET reps = if_not_exists(reps, :empty)",
                    "ExpressionAttributeValues": {":empty": {"M": {}}},
                }
            },
        ]
        old_pool = previous.get("pool_pk") if previous else None
        if old_pool and old_pool != new_pool:
            writes.append(
                {
                    "Update": {
                        "TableName": self.name,
                        "Key": _key(str(old_pool), "POOL"),
                        "UpdateExpression": "REMOVE reps.#rep",
                        "ExpressionAttributeNames": {"#rep": rep.rep_id},
                    }
                }
            )
        self._db.transact_write_items(TransactItems=writes)
        # A map entry can only be set once the map exists: a second, idempotent write.
        self._db.update_item(
            TableName=self.name,
            Key=_key(new_pool, "POOL"),
            UpdateExpression="SET reps.#rep = :doc",
            ExpressionAttributeNames={"#rep": rep.rep_id},
            ExpressionAttributeValues=typed(**{":doc": doc}),
        )

    def _get_rep_item(self, rep_id: str) -> dict[str, Any] | None:
        answer = self._db.get_item(TableName=self.name, Key=_key(f"REP#{rep_id}", "REP"))
        return plain(answer["Item"]) if "Item" in answer else None

    def get_rep(self, rep_id: str) -> tuple[Rep, int]:
        item = self._get_rep_item(rep_id)
        if item is None:
            raise NotFound("rep", rep_id)
        return Rep.model_validate_json(item["doc"]), int(item.get("assigned_count", 0))

    def list_reps(self) -> list[tuple[Rep, int]]:
        """Every rep, in rep id order (the rep items share one gsi1 partition)."""
        found = []
        paginator = self._db.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.name,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :reps",
            ExpressionAttributeValues={":reps": {"S": "REPS"}},
        )
        for page in pages:
            for raw in page["Items"]:
                item = plain(raw)
                found.append(
                    (Rep.model_validate_json(item["doc"]), int(item.get("assigned_count", 0)))
                )
        return found


def _condition_failed_on_first(error: ClientError) -> bool:
    if error.response["Error"]["Code"] != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons") or []
    if reasons:
        return bool(reasons[0].get("Code") == "ConditionalCheckFailed")
    return "ConditionalCheckFailed" in str(error)
