"""Lead items: ``LEAD#<lead_id>`` / ``LEAD``, the decision (its ``LeadRecord`` as ``doc``) and
what happened since (disqualification, deal outcome); gsi1 ``LEADS#<day>`` by received time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from leadops.adapters.dynamodb import Table, plain, typed
from leadops.adapters.leads_table import keys
from leadops.adapters.leads_table.accounts import AccountLockouts
from leadops.adapters.leads_table.reads import scan_kind
from leadops.errors import NotFound
from leadops.lead_record import Deal, Disqualified, LeadRecord, StoredLead


class Leads(Table):
    @staticmethod
    def parse(item: dict[str, Any]) -> StoredLead:
        """A plain lead item as a ``StoredLead``: the one place a lead item is read."""
        disqualified = deal = None
        if "disqualified_at" in item:
            disqualified = Disqualified(item["disqualified_at"], item.get("disqualified_reason"))
        if "deal_outcome" in item:
            amount = float(item["deal_amount"]) if "deal_amount" in item else None
            deal = Deal(item["deal_outcome"], amount, item.get("deal_outcome_at"))
        return StoredLead(
            lead_id=item["lead_id"],
            account=item["account"],
            owner_id=item.get("owner_id"),
            rule=item.get("rule"),
            expires_at=int(item["expires_at"]) if "expires_at" in item else None,
            record=LeadRecord.from_json(item["doc"]),
            disqualified=disqualified,
            deal=deal,
        )

    def put(
        self, lead_id: str, record: LeadRecord, *, owner_id: str | None, expires_at: int | None
    ) -> dict[str, Any]:
        """A ``Put`` (TransactWriteItems form) of a new lead; it fails if the lead exists."""
        at = record.received_at.isoformat()
        attributes = typed(
            lead_id=lead_id,
            account=record.account,
            received_at=at,
            outcome=record.outcome,
            # for reports, read without parsing doc:
            classification=record.classification,
            rule=record.rule,
            icp_tier=record.icp_tier,
            owner_id=owner_id,
            doc=record.to_json(),
            gsi1pk=keys.leads_on(record.received_at.date()),
            gsi1sk=keys.lead_order(at, lead_id),
            expires_at=expires_at,
            # issue 13: "pending" until the enrichment worker re-scores the lead
            enrichment_status=(record.enrichment or {}).get("status"),
        )
        return {
            "Put": {
                "TableName": self.name,
                "Item": {**keys.lead(lead_id).typed, **attributes},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def get(self, lead_id: str) -> StoredLead:
        answer = self._db.get_item(
            TableName=self.name, Key=keys.lead(lead_id).typed, ConsistentRead=True
        )
        if "Item" not in answer:
            raise NotFound("lead", lead_id)
        return self.parse(plain(answer["Item"]))

    def disqualify(
        self, lead_id: str, account: str, reason: str, at: datetime, until: datetime
    ) -> None:
        """Mark the lead disqualified and lock its account out until ``until`` (one transaction)."""
        disqualified = {
            "Update": {
                "TableName": self.name,
                "Key": keys.lead(lead_id).typed,
                "UpdateExpression": "SET disqualified_at = :at, disqualified_reason = :reason",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": typed(**{":at": at.isoformat(), ":reason": reason}),
            }
        }
        lockout = AccountLockouts(self.name).put(account, lead_id, reason, until)
        self._db.transact_write_items(TransactItems=[disqualified, lockout])

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
                Key=keys.lead(lead_id).typed,
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=typed(**values),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound("lead", lead_id) from error
            raise

    def rescore(self, lead_id: str, record: LeadRecord) -> bool:
        """The re-scored record of a lead whose enrichment is pending (and the tier reports
        read); False, writing nothing, once it is not pending (another delivery did it)."""
        values = {":doc": record.to_json(), ":tier": record.icp_tier, ":pending": "pending",
                  ":status": (record.enrichment or {}).get("status", "complete")}  # fmt: skip
        try:
            self._db.update_item(
                TableName=self.name,
                Key=keys.lead(lead_id).typed,
                UpdateExpression="SET doc = :doc, icp_tier = :tier, enrichment_status = :status",
                ConditionExpression="enrichment_status = :pending",
                ExpressionAttributeValues=typed(**values),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # --- dry runs and reports -----------------------------------------------------------------
    def lead_page(
        self, day: date, start_key: dict[str, Any] | None = None, limit: int = 250
    ) -> tuple[list[StoredLead], dict[str, Any] | None]:
        """One page of the leads received on ``day`` (oldest first) and where to go on."""
        items, next_key = self._query(day, start_key, limit, ())
        return [self.parse(item) for item in items], next_key

    def leads_between(
        self, first: date, last: date, attributes: tuple[str, ...]
    ) -> Iterator[dict[str, Any]]:
        """These attributes (a report's few, never the record) of every lead received from
        ``first`` to ``last`` (inclusive days), page by page."""
        day = first
        while day <= last:
            start: dict[str, Any] | None = None
            while True:
                items, start = self._query(day, start, 1000, attributes)
                yield from items
                if start is None:
                    break
            day += timedelta(days=1)

    def _query(
        self,
        day: date,
        start_key: dict[str, Any] | None,
        limit: int,
        attributes: tuple[str, ...],
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One gsi1 page of ``day``'s leads; ``attributes``: only these (else whole items)."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :day",
            "ExpressionAttributeValues": {":day": {"S": keys.leads_on(day)}},
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

    def scan(self) -> list[StoredLead]:
        """Every stored lead (a whole-table scan: for tests and tools, never a request path)."""
        return [self.parse(item) for item in scan_kind(self.name, keys.Kind.LEAD)]
