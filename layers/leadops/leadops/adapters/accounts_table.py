"""The accounts table: the only code that knows its key schema.

Everything about one account shares the partition ``ACCT#<account_id>``, one item per writer so
writers never overwrite each other's attributes:

- ``SNAPSHOT``: the latest billing/usage snapshot (account import, BatchWriteItem)
- ``SIGNAL#<at>#<type>``: one routing signal (signals API), removed by TTL after the window
- ``ROUTING``: team, rule, owner, reasons, and the history of owner changes (the sweep)

A company domain's partition ``DOMAIN#<domain>`` serves the demo-request webhook, which knows a
lead's domain but not the account id, and reads these in its one BatchGetItem:

- ``ACCOUNT``: the imported account the domain belongs to, with its snapshot's ``plan`` and
  ``mrr`` (is it a paying customer?) - written with the snapshot (account import)
- ``OWNER``: that account's routing owner (``account_id``, ``owner_id``) - written with the
  ``ROUTING`` item of an account whose snapshot names the domain (the sweep, the signals API)

A scan returns a partition's items together and in sort-key order, so the sweep reads an
account as one group; ``group_items`` rebuilds the groups across pages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from leadops.account import AccountRecord, DomainAccount, ScanPage
from leadops.adapters.dynamodb import Table, batch_write, plain, typed
from leadops.errors import NotFound
from leadops.qualification import company_domain_key

if TYPE_CHECKING:  # imported where used: the webhook needs this module, not the routing rules
    from leadops.routing import AccountSnapshot


def _pk(account_id: str) -> str:
    return f"ACCT#{account_id}"


def _domain_pk(domain: str) -> str:
    """A domain as the webhook's account key has it: lower case, without ``www.``."""
    return f"DOMAIN#{company_domain_key(domain)}"


def _routing_key(account_id: str) -> dict[str, str]:
    return {"pk": _pk(account_id), "sk": "ROUTING"}


def _owner_key(domain: str) -> dict[str, str]:
    return {"pk": _domain_pk(domain), "sk": "OWNER"}


def _at(item: dict[str, Any]) -> tuple[str, str]:
    return str(item["pk"]), str(item["sk"])


def _owner(routing: dict[str, Any]) -> tuple[str | None, str | None]:
    """A routing document's owner: their id and role (None, None when it has none)."""
    owner = routing.get("owner")
    if not isinstance(owner, dict) or not owner.get("id"):
        return None, None
    return str(owner["id"]), str(owner.get("role") or "") or None


def _record(account_id: str, items: list[dict[str, Any]], now: float) -> AccountRecord:
    from leadops.routing import AccountSnapshot

    record = AccountRecord(account_id)
    for item in items:
        sk = item["sk"]
        if sk == "SNAPSHOT":
            record.snapshot = AccountSnapshot.model_validate_json(item["doc"])
        elif sk == "ROUTING":
            record.routing = json.loads(item["doc"])
        elif sk.startswith("SIGNAL#") and int(item.get("expires_at", now + 1)) > now:
            # TTL deletion lags: an expired signal still in the table does not count.
            record.signals.append(json.loads(item["doc"]))
    return record


def group_items(items: Iterable[dict[str, Any]], now: float) -> Iterator[AccountRecord]:
    """Consecutive items of one partition (a scan's order) as one account each."""
    current: str | None = None
    group: list[dict[str, Any]] = []
    for item in items:
        pk = item["pk"]
        if not pk.startswith("ACCT#"):
            continue  # a domain pointer, not an account
        if pk != current and group:
            yield _record(current.removeprefix("ACCT#"), group, now)  # type: ignore[union-attr]
            group = []
        current = pk
        group.append(item)
    if group and current is not None:
        yield _record(current.removeprefix("ACCT#"), group, now)


class AccountsTable(Table):
    def get(self, account_id: str) -> AccountRecord:
        items: list[dict[str, Any]] = []
        paginator = self._db.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": _pk(account_id)}},
            ConsistentRead=True,
        ):
            items.extend(plain(item) for item in page["Items"])
        if not items:
            raise NotFound("account", account_id)
        return _record(account_id, items, time.time())

    def add_signal(
        self, account_id: str, signal: dict[str, Any], at: datetime, window_days: int
    ) -> None:
        self._db.put_item(**self.signal_put(account_id, signal, at, window_days)["Put"])

    def put_snapshots(self, snapshots: list[AccountSnapshot]) -> int:
        """Upsert snapshots (and their domain pointers, with the plan and MRR that tell a paying
        customer) in batches of 25, retrying unprocessed items; returns write calls."""
        items = []
        for snapshot in snapshots:
            doc = snapshot.model_dump_json(exclude_none=True)
            item = typed(pk=_pk(snapshot.account_id), sk="SNAPSHOT", doc=doc)
            items.append({"PutRequest": {"Item": item}})
            if snapshot.domain:
                mrr = Decimal(str(snapshot.mrr)) if snapshot.mrr is not None else None
                known = _firmographics(snapshot)  # issue 13: the account's company values
                company = json.dumps(known) if known else None
                facts = typed(
                    account_id=snapshot.account_id, plan=snapshot.plan, mrr=mrr, company=company
                )
                pointer = {**typed(**self.domain_key(snapshot.domain)), **facts}
                items.append({"PutRequest": {"Item": pointer}})
        return self._batch_write(items)

    # --- pieces of the webhook's own BatchGetItem and transaction ----------------------------
    @staticmethod
    def domain_key(domain: str) -> dict[str, str]:
        return {"pk": _domain_pk(domain), "sk": "ACCOUNT"}

    @classmethod
    def intake_keys(cls, account_key: str) -> list[dict[str, str]]:
        """The items the webhook reads for a lead's account key: the domain's pointer to an
        imported account, that account's routing owner (kept beside the pointer, as the
        account id is not known before the read), and the routing of an account known by the
        key itself (one the webhook's own demo_form signals created)."""
        return [cls.domain_key(account_key), _owner_key(account_key), _routing_key(account_key)]

    @classmethod
    def domain_account(cls, items: list[dict[str, Any]], account_key: str) -> DomainAccount:
        """What ``intake_keys``' items (plain, any order) say of the lead's account."""
        found = {_at(item): item for item in items}
        pointer = found.get(_at(cls.domain_key(account_key)))
        if pointer is None:
            routing = found.get(_at(_routing_key(account_key)))
            owner, role = _owner(json.loads(routing["doc"])) if routing else (None, None)
            return DomainAccount(account_key, owner_id=owner, owner_role=role)
        account_id = str(pointer["account_id"])
        mirror = found.get(_at(_owner_key(account_key))) or {}
        if mirror.get("account_id") != account_id:
            mirror = {}  # the domain points elsewhere now: that owner is another account's
        mrr = pointer.get("mrr")
        return DomainAccount(
            account_id,
            plan=pointer.get("plan"),
            mrr=float(mrr) if mrr is not None else None,
            owner_id=mirror.get("owner_id"),
            owner_role=mirror.get("owner_role"),
            company=json.loads(pointer["company"]) if "company" in pointer else {},
        )

    def signal_put(
        self, account_id: str, signal: dict[str, Any], at: datetime, window_days: int
    ) -> dict[str, Any]:
        """A ``Put`` (TransactWriteItems form) recording ``signal`` (``type``, optional
        ``detail``) at ``at``; it expires when it stops counting for routing."""
        doc = json.dumps({**signal, "at": at.isoformat()}, separators=(",", ":"))
        item = typed(pk=_pk(account_id), sk=f"SIGNAL#{at.isoformat()}#{signal['type']}", doc=doc,
                      expires_at=int(at.timestamp()) + window_days * 86400)  # fmt: skip
        return {"Put": {"TableName": self.name, "Item": item}}

    def put_routings(self, routings: dict[str, dict[str, Any]]) -> int:
        """Write changed routings (account id -> routing document) in batches of 25, each with
        its owner beside its ``domain``'s pointer when the document names one."""
        items = []
        for account_id, routing in routings.items():
            doc = json.dumps(routing, separators=(",", ":"))
            items.append({"PutRequest": {"Item": typed(**_routing_key(account_id), doc=doc)}})
            if routing.get("domain"):
                owner, role = _owner(routing)
                mirror = typed(**_owner_key(routing["domain"]), account_id=account_id,
                               owner_id=owner, owner_role=role)  # fmt: skip
                items.append({"PutRequest": {"Item": mirror}})
        return self._batch_write(items)

    def _batch_write(self, requests: list[dict[str, Any]]) -> int:
        return batch_write(self.name, requests)

    def scan_segment(
        self,
        segment: int,
        total_segments: int,
        start_key: dict[str, Any] | None,
        page_size: int = 500,
    ) -> ScanPage:
        """One page of a parallel-scan segment, cut back to whole accounts."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "Segment": segment,
            "TotalSegments": total_segments,
            "Limit": page_size,
        }
        if start_key:
            request["ExclusiveStartKey"] = start_key
        answer = self._db.scan(**request)
        items = [plain(item) for item in answer["Items"]]
        last_key = answer.get("LastEvaluatedKey")
        if last_key and items:
            # The page may end inside an account: hold its items back for the next page.
            tail_pk = items[-1]["pk"]
            whole = [item for item in items if item["pk"] != tail_pk]
            if whole:
                items = whole
                last = items[-1]
                last_key = {"pk": {"S": last["pk"]}, "sk": {"S": last["sk"]}}
        records = list(group_items(items, time.time()))
        return ScanPage(records, last_key, read_calls=1)

    # --- engagement (issue 15) ---------------------------------------------------------------
    def account_of_domain(self, domain: str) -> str:
        """The imported account a company domain belongs to (its snapshot's ``domain``), or
        the domain itself when no snapshot names it (as the webhook's demo_form signals)."""
        answer = self._db.get_item(TableName=self.name, Key=typed(**self.domain_key(domain)))
        pointer = plain(answer["Item"]) if "Item" in answer else None
        return str(pointer["account_id"]) if pointer else company_domain_key(domain)


def _firmographics(snapshot: AccountSnapshot) -> dict[str, Any]:
    """The snapshot's company values in the form's terms (the webhook reads them beside the
    plan and MRR, with no call of its own)."""
    values = {
        "name": snapshot.name,
        "country": snapshot.country,
        "employees": snapshot.employees,
        "annual_revenue": snapshot.annual_revenue,
        "type": snapshot.type,
        "founded_year": snapshot.founded_year,
    }
    return {key: value for key, value in values.items() if value is not None}
