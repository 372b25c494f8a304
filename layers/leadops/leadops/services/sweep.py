"""The routing sweep: a planner fans one task per DynamoDB parallel-scan segment out over SQS;
a worker scans its segment page by page, routes each page's accounts and writes the changes in
batches. A worker running short of time hands the rest of its segment on as a continuation
task (the scan key of the last whole account), so no segment ever needs one long invocation
and memory stays one page deep however many accounts there are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from leadops.adapters.dynamodb import BATCH_LIMIT
from leadops.ports import AccountSegments, EventBatches
from leadops.services.account_routing import AccountRouting, announce_routed, routed_events


class SweepTask(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    sweep_id: Annotated[str, Field(min_length=1, max_length=64)]
    segment: int = Field(ge=0)
    total_segments: int = Field(ge=1, le=1000)
    start_key: dict[str, Any] | None = None
    continuation: int = Field(default=0, ge=0)


def plan(sweep_id: str, total_segments: int) -> list[SweepTask]:
    return [SweepTask(sweep_id=sweep_id, segment=s, total_segments=total_segments)
            for s in range(total_segments)]  # fmt: skip


@dataclass
class SegmentStats:
    pages: int = 0
    accounts: int = 0
    changed: int = 0
    read_calls: int = 0
    write_calls: int = 0


def run_segment(
    task: SweepTask,
    accounts: AccountSegments,
    routing: AccountRouting,
    time_left_ms: Callable[[], int],
    reserve_ms: int = 20_000,
    page_size: int = 500,
    events: EventBatches | None = None,
) -> tuple[SegmentStats, SweepTask | None]:
    """Sweep the task's segment; returns what was done and the continuation, if any. Each
    change of team, rule or owner is announced (``account.routed``) once it is written."""
    stats = SegmentStats()
    start_key = task.start_key
    pending: dict[str, dict[str, Any]] = {}  # changed routings not yet written: < 25 + a page
    routed: dict[str, dict[str, Any]] = {}  # their account.routed details, by account id

    def flush(whole_batches_only: bool) -> None:
        nonlocal pending
        keep = len(pending) % BATCH_LIMIT if whole_batches_only else 0
        if len(pending) - keep <= 0:
            return
        items = list(pending.items())
        ready, pending = dict(items[: len(items) - keep]), dict(items[len(items) - keep :])
        stats.write_calls += accounts.put_routings(ready)
        announce_routed(events, [routed.pop(i) for i in ready if i in routed])

    while True:
        page = accounts.scan_segment(task.segment, task.total_segments, start_key, page_size)
        changed = routing.apply(page.records)
        stats.pages += 1
        stats.accounts += len(page.records)
        stats.changed += len(changed)
        stats.read_calls += page.read_calls
        pending.update(changed)
        routed.update(routed_events(page.records, changed))
        flush(whole_batches_only=True)  # full batches of 25 only: fewer, fuller write calls
        start_key = page.next_key
        if start_key is None:
            flush(whole_batches_only=False)
            return stats, None
        if time_left_ms() < reserve_ms:
            flush(whole_batches_only=False)  # a continuation starts with nothing pending
            rest = task.model_copy(
                update={"start_key": start_key, "continuation": task.continuation + 1}
            )
            return stats, rest
