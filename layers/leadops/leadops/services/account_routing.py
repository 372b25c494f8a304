"""Routing applied to stored accounts: decide (``leadops.account_decision``, pure), then assign
owners from the rep pools (``leadops.ports.RepPools``) and keep history.

An account whose assignment is open keeps it unless the new decision puts it in another team
(DESIGN.md: "an account is not re-routed while its assignment is open"); every change of owner
is appended to the routing's history. Unchanged accounts produce no write, so a re-run over
unchanged data writes nothing. Round-robin slots are reserved per pool in one atomic update
for all the accounts of a page that need an owner from that pool.

A routing document names the snapshot's ``domain``, so the accounts table keeps its owner
beside that domain's pointer, where the demo-request webhook reads it (ownership before round
robin). An account whose routing stands but whose snapshot's domain is not the one its routing
names (a new domain, or a routing written before domains were named) gets its routing written
again with the domain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from leadops.account import AccountRecord
from leadops.account_decision import AccountDecider, AccountDecision
from leadops.assignment import Rep, pick
from leadops.ports import EventBatches, RepPools
from leadops.qualification import company_domain_key
from leadops.routing import TEAM_ROLE, RoutingDecision, Team
from leadops.rulebook import Rulebook
from leadops.scoring import Scorer

HISTORY_LIMIT = 50
logger = Logger(child=True)

Decided = tuple[AccountRecord, AccountDecision]


class AccountRouting:
    def __init__(self, rulebook: Rulebook, scorer: Scorer, pools: RepPools, now: datetime):
        self.rulebook = rulebook
        self.decider = AccountDecider(rulebook, scorer, now)
        self.pools = pools
        self.now = now
        self._staffed: dict[tuple[Team, str], bool] = {}

    def apply(self, records: Iterable[AccountRecord]) -> dict[str, dict[str, Any]]:
        """Decide each account, then ``assign``: the routings that change."""
        return self.assign((record, self.decider.decide(record)) for record in records)

    def assign(self, decided: Iterable[Decided]) -> dict[str, dict[str, Any]]:
        """New routing documents for the decided accounts whose routing changes (others:
        absent), one round-robin reservation per pool for all of them."""
        wanted: dict[tuple[Team, str], list[Decided]] = defaultdict(list)
        changed: dict[str, dict[str, Any]] = {}
        for record, decision in decided:
            team, territory = decision.routing.team, decision.territory
            if team is None or not _needs_owner(record.routing, team):
                if (renamed := _with_new_domain(record)) is not None:
                    changed[record.account_id] = renamed
                continue
            if _waiting(record.routing, decision.routing) and not self._has_active_rep(
                team, territory
            ):
                continue  # still nobody to assign: no slot taken, nothing written
            wanted[(team, territory)].append((record, decision))
        for (team, territory), accounts in wanted.items():
            pool = self.pools.take_position(TEAM_ROLE[team], territory, count=len(accounts))
            for offset, (record, decision) in enumerate(accounts):
                rep = pick(pool.reps, pool.position + offset)
                routing = self._routing(record, team, decision, rep)
                if routing is not None:
                    changed[record.account_id] = routing
        return changed

    def _has_active_rep(self, team: Team, territory: str) -> bool:
        """Whether the pool has an active rep (read once per pool per sweep)."""
        key = (team, territory)
        if key not in self._staffed:
            reps = self.pools.pool_reps(TEAM_ROLE[team], territory)
            self._staffed[key] = any(rep.active for rep in reps)
        return self._staffed[key]

    def _routing(
        self,
        record: AccountRecord,
        team: Team,
        decided: AccountDecision,
        rep: Rep | None,
    ) -> dict[str, Any] | None:
        decision, icp, territory = decided.routing, decided.icp, decided.territory
        owner = {"id": rep.rep_id, "name": rep.name, "role": rep.role.value} if rep else None
        current = record.routing or {}
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
        routing = {
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
        if domain := _domain(record):
            routing["domain"] = domain
        return routing


def _domain(record: AccountRecord) -> str | None:
    """The snapshot's company domain, as the webhook's account key spells it."""
    domain = record.snapshot.domain if record.snapshot else None
    return company_domain_key(domain) if domain else None


def _with_new_domain(record: AccountRecord) -> dict[str, Any] | None:
    """The standing routing naming the snapshot's domain, when it names another (or none)."""
    domain = _domain(record)
    if record.routing is None or domain is None or record.routing.get("domain") == domain:
        return None
    return {**record.routing, "domain": domain}


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


# --- account.routed (issue 14): what the destinations hear about a routing change -----------
ROUTED = "account.routed"


def _routed_fields(routing: dict[str, Any] | None) -> dict[str, Any]:
    current = routing or {}
    owner = current.get("owner")
    return {
        "team": current.get("team"),
        "rule": current.get("rule"),
        "owner_id": owner.get("id") if isinstance(owner, dict) else None,
    }


def routed_events(
    records: Iterable[AccountRecord], changed: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The ``account.routed`` detail of each account whose team, rule or owner ``changed``
    moves (by account id): ids only, never a name. A routing rewritten only to name a new
    domain is no change of routing."""
    events: dict[str, dict[str, Any]] = {}
    for record in records:
        routing = changed.get(record.account_id)
        if routing is None:
            continue
        before, after = _routed_fields(record.routing), _routed_fields(routing)
        if before == after:
            continue
        domain = routing.get("domain") or _domain(record) or _domain_id(record.account_id)
        events[record.account_id] = {
            "account_id": record.account_id,
            "domain": domain,
            **after,
            "rulebook_version": routing.get("rulebook_version"),
            "previous": before,
        }
    return events


def _domain_id(account_id: str) -> str | None:
    """An account id that is a company domain (a demo request's account without a snapshot)."""
    is_domain = "." in account_id and company_domain_key(account_id) == account_id
    return account_id if is_domain else None


def announce_routed(events: EventBatches | None, details: list[dict[str, Any]]) -> None:
    """Publish ``account.routed`` for routings already written. The routing is stored; the
    event is a notification, so a bus failure is logged (ids only), not raised."""
    if events is None or not details:
        return
    try:
        events.publish_all(ROUTED, details)
    except Exception:
        logger.exception(
            "account.routed not published", extra={"accounts": [d["account_id"] for d in details]}
        )
