"""In-memory stand-ins for the ports the account services use (``leadops.ports``): no moto, no
DynamoDB, and they type-check as the ports they stand in for."""

from __future__ import annotations

import copy
import math
from collections import Counter
from datetime import datetime
from typing import Any

from leadops.account import AccountRecord, ScanPage
from leadops.assignment import Pool, Rep, RepRole
from leadops.errors import NotFound
from leadops.ports import AccountSegments, AccountStore, RepPools

BATCH = 25  # routings per write call, as DynamoDB's BatchWriteItem takes them


class MemoryAccounts:
    """Accounts by id. A scan's segment ``s`` of ``n`` holds every n-th account in id order;
    each call hands out copies, as a table would."""

    def __init__(self, *records: AccountRecord) -> None:
        self.records = {record.account_id: record for record in records}
        self.writes: list[dict[str, dict[str, Any]]] = []  # one entry per put_routings call
        self.scans = 0

    def get(self, account_id: str) -> AccountRecord:
        if account_id not in self.records:
            raise NotFound("account", account_id)
        return copy.deepcopy(self.records[account_id])

    def add_signal(
        self, account_id: str, signal: dict[str, Any], at: datetime, window_days: int
    ) -> None:
        record = self.records.setdefault(account_id, AccountRecord(account_id))
        record.signals.append({**signal, "at": at.isoformat()})

    def put_routings(self, routings: dict[str, dict[str, Any]]) -> int:
        self.writes.append(copy.deepcopy(routings))
        for account_id, routing in routings.items():
            self.records.setdefault(account_id, AccountRecord(account_id)).routing = routing
        return math.ceil(len(routings) / BATCH)

    def scan_segment(
        self,
        segment: int,
        total_segments: int,
        start_key: dict[str, Any] | None,
        page_size: int = 500,
    ) -> ScanPage:
        self.scans += 1
        ids = sorted(self.records)[segment::total_segments]
        after = start_key["after"] if start_key else None
        rest = [account_id for account_id in ids if after is None or account_id > after]
        page = rest[:page_size]
        next_key = {"after": page[-1]} if len(rest) > page_size else None
        return ScanPage([copy.deepcopy(self.records[i]) for i in page], next_key, read_calls=1)

    def routing(self, account_id: str) -> dict[str, Any] | None:
        return self.records[account_id].routing


class MemoryPools:
    """Round-robin pools over the reps given; every reservation is recorded."""

    def __init__(self, *reps: Rep) -> None:
        self.reps = list(reps)
        self.positions: Counter[tuple[RepRole, str]] = Counter()
        self.reservations: list[tuple[RepRole, str, int]] = []

    def take_position(self, role: RepRole, territory: str, count: int = 1) -> Pool:
        first = self.positions[(role, territory)]
        self.positions[(role, territory)] += count
        self.reservations.append((role, territory, count))
        return Pool(reps=self.pool_reps(role, territory), position=first)

    def pool_reps(self, role: RepRole, territory: str) -> list[Rep]:
        return [rep for rep in self.reps if rep.role is role and rep.territory == territory]


def rep(rep_id: str, role: RepRole, territory: str = "EMEA", active: bool = True) -> Rep:
    return Rep(rep_id=rep_id, name=f"Rep {rep_id}", email=f"{rep_id}@example.com", role=role,
               team="t", territory=territory, weight=1, active=active)  # fmt: skip


# The fakes are the ports: mypy holds them to it here, so a port change breaks this line first.
_STORE: AccountStore = MemoryAccounts()
_SEGMENTS: AccountSegments = MemoryAccounts()
_POOLS: RepPools = MemoryPools()
