"""An account's items in the leads table: its profile (company data last seen, customer flag)
and its lockout (after a disqualification; TTL removes it later)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadops.adapters.dynamodb import Table, plain, typed
from leadops.adapters.leads_table import keys
from leadops.adapters.leads_table.reads import scan_kind


@dataclass(frozen=True, slots=True)
class AccountProfile:
    company: dict[str, Any]  # the company fields last seen in the account's submissions
    customer: bool


class AccountProfiles(Table):
    """``ACCOUNT#<key>`` / ``PROFILE``."""

    @staticmethod
    def parse(item: dict[str, Any] | None) -> AccountProfile:
        """The profile in a plain item, or an empty one when there is no item."""
        item = item or {}
        return AccountProfile(dict(item.get("company") or {}), bool(item.get("customer")))

    def get(self, account: str) -> AccountProfile | None:
        answer = self._db.get_item(TableName=self.name, Key=keys.profile(account).typed)
        return self.parse(plain(answer["Item"])) if "Item" in answer else None

    def scan(self) -> dict[str, AccountProfile]:
        """Every account's profile (a whole-table scan: for tests and tools)."""
        items = scan_kind(self.name, keys.Kind.PROFILE)
        return {keys.account_of(item): self.parse(item) for item in items}

    def update(self, account: str, company: dict[str, Any], at: datetime) -> dict[str, Any]:
        """An ``Update`` (TransactWriteItems form) of the company fields: an update, not a put,
        because other writers (imports) own the profile's other attributes."""
        return {
            "Update": {
                "TableName": self.name,
                "Key": keys.profile(account).typed,
                "UpdateExpression": "SET company = :company, updated_at = :at",
                "ExpressionAttributeValues": typed(**{":company": company, ":at": at.isoformat()}),
            }
        }


class AccountLockouts(Table):
    """``ACCOUNT#<key>`` / ``LOCKOUT``: ``locked_until``; ``expires_at`` lets TTL remove it."""

    @staticmethod
    def locked_until(item: dict[str, Any] | None) -> datetime | None:
        # TTL deletion lags by up to days: the expiry itself is checked in check_scheduler.
        return datetime.fromisoformat(item["locked_until"]) if item else None

    def put(self, account: str, lead_id: str, reason: str, until: datetime) -> dict[str, Any]:
        """A ``Put`` (TransactWriteItems form) locking the account out until ``until``."""
        item = {
            **keys.lockout(account).typed,
            **typed(
                account=account,
                lead_id=lead_id,
                reason=reason,
                locked_until=until.isoformat(),
                expires_at=int(until.timestamp()),
            ),
        }
        return {"Put": {"TableName": self.name, "Item": item}}
