"""The live rulebook: the packaged one unless an override is active in the rulebook table.

Every function asks ``LiveRulebook.current()`` per request. The answer is cached for
``ttl_s`` (60 s) per container, so a ``PUT /rulebook`` is picked up everywhere within a minute
without a deploy, at the cost of one GetItem per container per minute. If the table cannot be
read, a container that already has rules keeps them (logged); one that has none raises, so the
request fails retryably rather than being decided by rules that may not be the live ones. A
stored override that no longer validates (a newer layer tightened the model) is logged and the
packaged rulebook is used: decisions record which version made them.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from leadops.adapters.rulebook_table import RulebookTable
from leadops.ports import ActiveRulebook, StoredRulebook
from leadops.rules import Rules, override_rules, packaged_rules

logger = Logger(child=True)
TTL_S = 60.0


_EVERY: weakref.WeakSet[LiveRulebook] = weakref.WeakSet()


def rules_from(stored: StoredRulebook) -> Rules:
    """Rules from a stored document (raises pydantic.ValidationError if it no longer fits)."""
    return override_rules(stored.document, stored.activated_at)


def expire_all() -> None:
    """Every LiveRulebook of this process forgets its rules (a test's fresh moto, where one
    process hosts many containers' worth of functions)."""
    for live in list(_EVERY):
        live._rules = None


class LiveRulebook:
    def __init__(
        self,
        table: ActiveRulebook | None,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.table = table
        self.ttl_s = ttl_s
        self.clock = clock
        self._rules: Rules | None = None
        self._fetched_at = 0.0
        _EVERY.add(self)

    @classmethod
    def of(cls, table_name: str | None) -> LiveRulebook:
        """A rulebook table (every deployed function has one): live; None: packaged only."""
        return cls(RulebookTable(table_name) if table_name else None)

    def current(self) -> Rules:
        if self.table is None:
            return packaged_rules()
        now = self.clock()
        if self._rules is not None and now - self._fetched_at < self.ttl_s:
            return self._rules
        try:
            stored = self.table.active()
        except Exception:
            if self._rules is None:
                raise
            logger.exception("rulebook table unreadable: keeping the rules already loaded")
            self._fetched_at = now  # try again after another ttl, not on every request
            return self._rules
        self._rules = self._from(stored)
        self._fetched_at = now
        return self._rules

    @staticmethod
    def _from(stored: StoredRulebook | None) -> Rules:
        if stored is None:
            return packaged_rules()
        try:
            return rules_from(stored)
        except ValidationError:
            logger.exception(
                "active rulebook override no longer validates: using the packaged rulebook",
                extra={"override_version": stored.version},
            )
            return packaged_rules()
