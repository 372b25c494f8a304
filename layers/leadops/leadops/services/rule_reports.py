"""Conversion reports (``GET /reports/conversion``): stored leads of a window of days, grouped
(leadops.reports), against the live rulebook's conversion target."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadops.errors import Invalid
from leadops.ports import LeadsReceived, RulebookSource
from leadops.reports import ATTRIBUTES, GroupBy, conversion

MAX_WINDOW_DAYS = 366


class ReportQuery(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", populate_by_name=True)
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    by: GroupBy = GroupBy.RULE


def window(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """Both ends inclusive; defaults: the 30 days to today."""
    last = last or today
    first = first or last - timedelta(days=29)
    if first > last:
        raise Invalid("from", "from must not be after to")
    if (last - first).days >= MAX_WINDOW_DAYS:
        raise Invalid("to", f"a window is at most {MAX_WINDOW_DAYS} days")
    return first, last


class RuleReports:
    def __init__(
        self,
        rules: RulebookSource,
        leads: LeadsReceived,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.rules = rules
        self.leads = leads
        self.clock = clock

    def conversion_report(self, query: ReportQuery) -> dict[str, Any]:
        first, last = window(query.from_, query.to, self.clock().date())
        target = self.rules.current().rulebook.reporting.conversion_target
        items = self.leads.leads_between(first, last, attributes=ATTRIBUTES)
        return {"from": first.isoformat(), "to": last.isoformat(),
                **conversion(items, query.by, target)}  # fmt: skip
