"""A CRM's daily API allowance, as its answers report it (pure).

Salesforce answers every REST call with ``Sforce-Limit-Info: api-usage=N/M`` (N calls used of
the org's M in the last 24 hours; its REST API guide, "Limit Info Header"). leadops is one of
many integrations sharing that allowance, so its sync slows down before the org runs out and
stops before it does: at ``slow_at`` (a share of M) a worker makes at most one call per
invocation (the rest of its batch waits in the queue); at ``stop_at`` it makes none and the
records wait (then the DLQ, for ``leadops dlq redrive``). A stop is held for ``hold_s``; then
one call goes through, and its header says whether the allowance is back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class Pace(StrEnum):
    FULL = "full"
    SLOW = "slow"  # one call per invocation
    STOP = "stop"  # no call


def parse_usage(header: str | None) -> tuple[int, int] | None:
    """(used, limit) from a ``Sforce-Limit-Info`` value; None when it carries no api-usage."""
    match = _USAGE.search(header or "")
    if match is None or int(match.group(2)) <= 0:
        return None
    return int(match.group(1)), int(match.group(2))


@dataclass
class ApiUsage:
    slow_at: float = 0.80
    stop_at: float = 0.95
    hold_s: float = 900.0
    used: int | None = None
    limit: int | None = None
    seen_at: float = 0.0  # time.monotonic() of the last reading

    def observe(self, header: str | None, now: float) -> None:
        reading = parse_usage(header)
        if reading is not None:
            self.used, self.limit = reading
            self.seen_at = now

    def pace(self, now: float) -> Pace:
        if self.used is None or self.limit is None:
            return Pace.FULL
        share = self.used / self.limit
        if share >= self.stop_at:
            return Pace.STOP if now - self.seen_at < self.hold_s else Pace.SLOW
        return Pace.SLOW if share >= self.slow_at else Pace.FULL

    def calls_allowed(self, now: float) -> int | None:
        """How many calls this invocation may make: None (no bound), 1 or 0."""
        pace = self.pace(now)
        return None if pace is Pace.FULL else (1 if pace is Pace.SLOW else 0)
