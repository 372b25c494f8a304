"""Routing applied to stored accounts: decide (pure rules), then assign owners and keep history.

An account whose assignment is open keeps it unless the new decision puts it in another team
(DESIGN.md: "an account is not re-routed while its assignment is open"); every change of owner
is appended to the routing's history. Unchanged accounts produce no write, so a re-run over
unchanged data writes nothing. Round-robin slots are reserved per pool in one atomic update
for all the accounts of a page that need an owner from that pool.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from leadops.adapters.accounts_table import AccountRecord
from leadops.assignment import Rep, pick
from leadops.normalise import NormalisedLead
from leadops.ports import RepPools
from leadops.routing import TEAM_ROLE, AccountSnapshot, Router, RoutingDecision, Team, signals_from
from leadops.rulebook import Rulebook
from leadops.scoring import IcpScoreCard, Scorer

HISTORY_LIMIT = 50


class AccountRouting:
    def __init__(self, rulebook: Rulebook, scorer: Scorer, leads: RepPools, now: datetime):
        self.rulebook = rulebook
        self.scorer = scorer
        self.router = Router(rulebook, now)
        self.leads = leads
        self.now = now
        self._staffed: dict[tuple[Team, str], bool] = {}

    def icp(self, snapshot: AccountSnapshot) -> IcpScoreCard:
        """The account's ICP score from its snapshot (no role or email: those are a lead's)."""
        normaliser = self.scorer.normaliser
        lead = NormalisedLead(
            employees=snapshot.employees,
            annual_revenue=snapshot.annual_revenue,
            country=normaliser.country(snapshot.country),
            company_type=normaliser.company_type(snapshot.type),
            founded_year=snapshot.founded_year,
        )
        return self.scorer.icp_score(lead)

    def decide(self, record: AccountRecord) -> tuple[RoutingDecision, IcpScoreCard]:
        snapshot = record.snapshot or AccountSnapshot(account_id=record.account_id)
        icp = self.icp(snapshot)
        signals = signals_from(record.signals)
        return self.router.route(snapshot, signals, icp.tier == "high"), icp

    def apply(self, records: list[AccountRecord]) -> dict[str, dict[str, Any]]:
        """New routing documents for the accounts whose routing changes (others: absent)."""
        wanted: dict[tuple[Team, str], list[tuple[AccountRecord, RoutingDecision, Any]]]
        wanted = defaultdict(list)
        for record in records:
            decision, icp = self.decide(record)
            team = decision.team
            if team is None or not _needs_owner(record.routing, team):
                continue
            snapshot = record.snapshot
            country = self.scorer.normaliser.country(snapshot.country if snapshot else None)
            territory = self.rulebook.territories.of(country)
            if _waiting(record.routing, decision) and not self._has_active_rep(team, territory):
                continue  # still nobody to assign: no slot taken, nothing written
            wanted[(team, territory)].append((record, decision, icp))
        changed: dict[str, dict[str, Any]] = {}
        for (team, territory), accounts in wanted.items():
            pool = self.leads.take_position(TEAM_ROLE[team], territory, count=len(accounts))
            for offset, (record, decision, icp) in enumerate(accounts):
                rep = pick(pool.reps, pool.position + offset)
                routing = self._routing(record.routing, team, decision, icp, rep, territory)
                if routing is not None:
                    changed[record.account_id] = routing
        return changed

    def _has_active_rep(self, team: Team, territory: str) -> bool:
        """Whether the pool has an active rep (read once per pool per sweep)."""
        key = (team, territory)
        if key not in self._staffed:
            reps = self.leads.pool_reps(TEAM_ROLE[team], territory)
            self._staffed[key] = any(rep.active for rep in reps)
        return self._staffed[key]

    def _routing(
        self,
        current: dict[str, Any] | None,
        team: Team,
        decision: RoutingDecision,
        icp: IcpScoreCard,
        rep: Rep | None,
        territory: str,
    ) -> dict[str, Any] | None:
        owner = {"id": rep.rep_id, "name": rep.name, "role": rep.role.value} if rep else None
        current = current or {}
        previous_owner = current.get("owner")
        if (
            owner is None
            and previous_owner is None
            and current.get("team") == team.value
            and current.get("rule") == decision.rule
        ):
            return None  # still no rep for it: nothing new to write
        at = self.now.isoformat()
        history = list(current.get("history", []))
        if owner != previous_owner:
            history.append(
                {"at": at, "from": previous_owner, "to": owner, "team": team.value,
                 "rule": decision.rule}
            )  # fmt: skip
        role = TEAM_ROLE[team].value
        assigned = (
            f"assigned to {rep.name} ({role}) by weighted round robin in {territory}"
            if rep
            else f"no active {role} in {territory}: waiting for a rep"
        )
        return {
            "team": team.value,
            "rule": decision.rule,
            "owner": owner,
            "reasons": [*decision.reasons, assigned],
            "routed_at": at,
            "rulebook_version": self.rulebook.version,
            "icp_score": icp.total,
            "icp_tier": icp.tier,
            "territory": territory,
            "history": history[-HISTORY_LIMIT:],
        }


def _waiting(current: dict[str, Any] | None, decision: RoutingDecision) -> bool:
    """Already routed here by the same rule, only without an owner yet."""
    return (
        current is not None
        and current.get("owner") is None
        and current.get("team") == (decision.team.value if decision.team else None)
        and current.get("rule") == decision.rule
    )


def _needs_owner(current: dict[str, Any] | None, team: Team) -> bool:
    """A new team needs a new owner; the same team keeps its open assignment."""
    if current is None or current.get("team") != team.value:
        return True
    return current.get("owner") is None  # same team, still waiting for a rep
