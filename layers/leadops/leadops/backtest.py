"""What a candidate rulebook would have decided, beside what the live rules decide: pure.

Leads are decided again from what was stored with them (the submission as received and
enriched, whether the account was a customer, its lockout, the time received), under the live
rules and under the candidate, so the difference is the rule change alone and never drift in
the data or rules that have changed since. Round robin is not replayed: a lead keeps the rep
availability it had. Accounts are routed as they stand now under both rulebooks.

``Tally`` adds pages up and round-trips through JSON, so a long dry run can stop, be stored,
and go on in another invocation.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadops.account import AccountRecord
from leadops.account_decision import AccountDecider
from leadops.classification import Label
from leadops.enrichment import with_sources
from leadops.lead_decision import Evaluation, evaluate, finalise
from leadops.lead_record import LeadRecord
from leadops.models import LeadInput
from leadops.qualification import Outcome
from leadops.reports import count, tally
from leadops.rules import Rules

LEAD_FIELDS = ("classification", "outcome", "scheduler_eligible", "rule")
SCORE_CARDS = ("lead_score", "icp_score")
ACCOUNT_FIELDS = ("team", "rule")


def changed_fields(
    before: dict[str, Any], after: dict[str, Any], fields: Iterable[str]
) -> list[str]:
    return [name for name in fields if before[name] != after[name]]


def _evaluated(
    submission: LeadInput,
    rules: Rules,
    *,
    is_customer: bool,
    locked_until: datetime | None,
    received_at: datetime,
) -> Evaluation:
    return evaluate(
        submission,
        rules.scorer.normaliser.lead(submission),
        is_customer=is_customer,
        locked_until=locked_until,
        now=received_at,
        rulebook=rules.rulebook,
        scorer=rules.scorer,
    )


def _headline(found: Evaluation, rules: Rules, had_rep: bool) -> dict[str, Any]:
    final = finalise(found, had_rep, rules.rulebook.demo_booking)
    return {
        "classification": found.label.value,
        "outcome": final.outcome.value,
        "scheduler_eligible": final.outcome is Outcome.INSTANT_SCHEDULER,
        "lead_score": found.scores.lead_score.total,
        "icp_tier": found.scores.icp_score.tier,
        "rule": final.rule,
        "territory": found.territory,
    }


def lead_decision(
    submission: LeadInput,
    rules: Rules,
    *,
    is_customer: bool,
    locked_until: datetime | None,
    received_at: datetime,
    had_rep: bool = True,
) -> dict[str, Any]:
    """The decision's headline under ``rules`` (no I/O, no round robin)."""
    found = _evaluated(
        submission,
        rules,
        is_customer=is_customer,
        locked_until=locked_until,
        received_at=received_at,
    )
    return _headline(found, rules, had_rep)


def stored_lead_decisions(
    record: LeadRecord, current: Rules, candidate: Rules
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(live, candidate) decisions of a stored lead record; None if it was stored without its
    submission (before dry runs existed)."""
    submission = record.lead_input()
    if submission is None:
        return None
    facts: dict[str, Any] = {
        "is_customer": record.customer,
        "locked_until": record.locked_until,
        "received_at": record.received_at,
    }
    found = _evaluated(submission, current, **facts)
    # Rep availability as it was: a sales lead left unassigned in its territory stays so.
    no_rep = record.classification == Label.SALES.value and record.owner_id is None
    had_rep = not (no_rep and record.territory == found.territory)
    before = _headline(found, current, had_rep)
    after = lead_decision(submission, candidate, **facts, had_rep=had_rep)
    return before, after


def sourced_scores(
    submission: LeadInput, rules: Rules, sources: Mapping[str, str]
) -> dict[str, Any]:
    """Both breakdowns under ``rules``, every item naming where its value came from (group ->
    ``form``, ``account`` or a provider, as stored with the lead; ``form`` when not named)."""
    return with_sources(rules.scorer.score(submission).as_dict(), sources)


def changed_items(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The score items whose band or points differ between two sourced breakdowns: the score,
    the metric, the value scored and its ``source``, the points before and after (None where
    a rulebook has no such item)."""
    changed = []
    for card in SCORE_CARDS:
        was = {item["metric"]: item for item in before[card]["items"]}
        now = {item["metric"]: item for item in after[card]["items"]}
        for metric in [*now, *(name for name in was if name not in now)]:
            old, new = was.get(metric, {}), now.get(metric, {})
            if (old.get("band"), old.get("points")) == (new.get("band"), new.get("points")):
                continue
            shown = new or old
            changed.append(
                {"score": card, "metric": metric, "value": shown["value"],
                 "source": shown["source"], "before": old.get("points"),
                 "after": new.get("points")}
            )  # fmt: skip
    return changed


def stored_score_items(
    record: LeadRecord, current: Rules, candidate: Rules
) -> list[dict[str, Any]]:
    """The changed score items of a stored lead, with the sources it was stored with."""
    submission = record.lead_input()
    if submission is None:
        return []
    sources = record.sources or {}
    return changed_items(
        sourced_scores(submission, current, sources), sourced_scores(submission, candidate, sources)
    )


def account_decisions(
    record: AccountRecord, current: AccountDecider, candidate: AccountDecider
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(live, candidate) routing of an account, as it stands now."""
    views = []
    for decider in (current, candidate):
        decided = decider.decide(record)
        team = decided.routing.team
        views.append(
            {
                "team": team.value if team else None,
                "rule": decided.routing.rule,
                "icp_tier": decided.icp.tier,
            }
        )
    return views[0], views[1]


@dataclass
class Tally:
    examples_wanted: int = 10
    leads: dict[str, Any] = field(default_factory=dict)
    accounts: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.leads = self.leads or {
            "evaluated": 0,
            "skipped": 0,
            "changed": dict.fromkeys((*LEAD_FIELDS, "any"), 0),
            "examples": [],
            "counts": {"current": {}, "candidate": {}},
        }
        self.accounts = self.accounts or {
            "evaluated": 0,
            "changed": dict.fromkeys((*ACCOUNT_FIELDS, "any"), 0),
            "examples": [],
        }

    def add_lead(
        self,
        lead_id: str,
        pair: tuple[dict[str, Any], dict[str, Any]] | None,
        deal_outcome: str | None,
        score_items: Callable[[], list[dict[str, Any]]] | None = None,
    ) -> None:
        """Count a lead; an example (a lead whose decision changed) also lists its changed
        score items, asked of ``score_items`` only then (most leads never need them)."""
        if pair is None:
            self.leads["skipped"] += 1
            return
        before, after = pair
        self.leads["evaluated"] += 1
        for side, decision in (("current", before), ("candidate", after)):
            if decision["classification"] == Label.SALES.value:
                bucket = Counter(self.leads["counts"][side])
                count(bucket, decision["scheduler_eligible"], deal_outcome)
                self.leads["counts"][side] = dict(bucket)
        example = self._changes(self.leads, LEAD_FIELDS, "lead_id", lead_id, before, after)
        if example is not None:
            example["score_items"] = score_items() if score_items is not None else []

    def add_account(self, account_id: str, pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
        self.accounts["evaluated"] += 1
        self._changes(self.accounts, ACCOUNT_FIELDS, "account_id", account_id, *pair)

    def _changes(
        self,
        part: dict[str, Any],
        fields: tuple[str, ...],
        id_name: str,
        key: str,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> dict[str, Any] | None:
        """Count the changed fields; the example kept, if this one is."""
        changed = changed_fields(before, after, fields)
        for name in changed:
            part["changed"][name] += 1
        if not changed:
            return None
        part["changed"]["any"] += 1
        if len(part["examples"]) >= self.examples_wanted:
            return None
        example = {id_name: key, "before": before, "after": after, "changed": changed}
        part["examples"].append(example)
        return example

    def result(self, target: float) -> dict[str, Any]:
        """The answer's ``leads`` and ``accounts``: conversion as a report row per rulebook."""
        leads = {key: value for key, value in self.leads.items() if key != "counts"}
        leads["conversion"] = {
            side: tally(Counter(counts), target) for side, counts in self.leads["counts"].items()
        }
        return {"leads": leads, "accounts": self.accounts}

    def to_json(self) -> str:
        return json.dumps(
            {"examples_wanted": self.examples_wanted, "leads": self.leads,
             "accounts": self.accounts}
        )  # fmt: skip

    @classmethod
    def from_json(cls, text: str) -> Tally:
        return cls(**json.loads(text))
