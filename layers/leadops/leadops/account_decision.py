"""An account's ICP score, routing decision and territory from what is stored about it: pure.

The sweep, the accounts API and the dry run all decide an account here; what they do with the
decision (assign an owner, show it, compare two rulebooks) is theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadops.account import AccountRecord
from leadops.normalise import NormalisedLead
from leadops.routing import AccountSnapshot, Router, RoutingDecision, signals_from
from leadops.rulebook import Rulebook
from leadops.scoring import IcpScoreCard, Scorer


@dataclass(frozen=True, slots=True)
class AccountDecision:
    routing: RoutingDecision
    icp: IcpScoreCard
    territory: str  # from the snapshot's country: the pool an owner comes from


class AccountDecider:
    """Decides accounts under one rulebook at one moment (build per sweep or request)."""

    def __init__(self, rulebook: Rulebook, scorer: Scorer, now: datetime) -> None:
        self.rulebook = rulebook
        self.scorer = scorer
        self.router = Router(rulebook, now)
        self.now = now

    def decide(self, record: AccountRecord) -> AccountDecision:
        snapshot = self._snapshot(record)
        country = self.scorer.normaliser.country(snapshot.country)  # once: ICP and territory
        icp = self._icp(snapshot, country)
        signals = signals_from(record.signals)
        routing = self.router.route(snapshot, signals, icp.tier == "high", country)
        return AccountDecision(routing, icp, self.rulebook.territories.of(country))

    def icp(self, record: AccountRecord) -> IcpScoreCard:
        """The ICP score alone (reading an account needs no routing decision)."""
        snapshot = self._snapshot(record)
        return self._icp(snapshot, self.scorer.normaliser.country(snapshot.country))

    @staticmethod
    def _snapshot(record: AccountRecord) -> AccountSnapshot:
        return record.snapshot or AccountSnapshot(account_id=record.account_id)

    def _icp(self, snapshot: AccountSnapshot, country: str | None) -> IcpScoreCard:
        """The account's ICP score from its snapshot (no role or email: those are a lead's)."""
        lead = NormalisedLead(
            employees=snapshot.employees,
            annual_revenue=snapshot.annual_revenue,
            country=country,
            company_type=self.scorer.normaliser.company_type(snapshot.type),
            founded_year=snapshot.founded_year,
        )
        return self.scorer.icp_score(lead)
