"""Behaviour score (the glossary's second axis, seeds 003 / 004): points for PostHog events,
capped per window, decayed for inactivity, the MQL threshold and the fit x engagement grade.
Pure: the rules are the rulebook's ``[behaviour]`` section.

A person's state is what was counted, not a running total: per UTC day, how many events each
rule matched (``days``), and the uuids already seen. The score is recomputed from that state
whenever it is read, walking the days in date order, so the same events give the same score
whatever order they arrive in, and decay is applied on read up to the day asked about:

- each day's events add ``points`` per occurrence, at most ``cap`` occurrences of a rule in one
  window of ``cap_window_days`` (fixed windows counted from 1970-01-01);
- between two active days, and from the last one to today, each whole ``decay.every_days``
  without activity takes ``decay.points`` (-10), never below 0; points lost to decay do not
  come back when the person is active again.

An event is scored by the first rule (in the rulebook's order) whose event name, URL path and
properties match; an event whose name no rule names is unknown (counted and ignored); one whose
name is known but that matches no rule's filters is activity worth nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from leadops.rulebook import Behaviour, BehaviourRule
from leadops.scoring import ScoreItem

_EPOCH = date(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
ACTIVITY = "_activity"  # a known event that matched no rule: activity without points


def day_number(at: datetime) -> int:
    """Days since 1970-01-01 (UTC) of ``at``."""
    return at.astimezone(UTC).date().toordinal() - _EPOCH_ORDINAL


def day_of(number: int) -> date:
    return date.fromordinal(_EPOCH.toordinal() + number)


@dataclass(frozen=True, slots=True)
class Event:
    """A PostHog event as scoring reads it (``leadops.posthog_events`` builds it)."""

    uuid: str
    name: str
    at: datetime
    path: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)


class _Compiled:
    __slots__ = ("filters", "path", "rule")

    def __init__(self, rule: BehaviourRule) -> None:
        self.rule = rule
        self.path = re.compile(rule.url_path) if rule.url_path else None
        self.filters = tuple(rule.properties.items())

    def matches(self, event: Event) -> bool:
        if self.path is not None and (event.path is None or not self.path.search(event.path)):
            return False
        if not self.filters:
            return True
        props = event.properties
        return all(props.get(name) == value for name, value in self.filters)


class BehaviourRules:
    """The ``[behaviour]`` section compiled once per rulebook version."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.section = behaviour
        self.by_id = {rule.id: rule for rule in behaviour.rules}
        self.points = {rule.id: rule.points for rule in behaviour.rules}
        self.caps = {rule.id: rule.cap for rule in behaviour.rules}
        self.every = behaviour.decay.every_days
        self.loss = -behaviour.decay.points
        self.window = behaviour.cap_window_days
        self._by_event: dict[str, list[_Compiled]] = {}
        for rule in behaviour.rules:
            self._by_event.setdefault(rule.event, []).append(_Compiled(rule))

    def match(self, event: Event) -> str | None:
        """The id of the rule that scores ``event``; ``ACTIVITY`` for a known event no rule's
        filters match; None for an unknown event name."""
        compiled = self._by_event.get(event.name)
        if compiled is None:
            return None
        for candidate in compiled:
            if candidate.matches(event):
                return candidate.rule.id
        return ACTIVITY


@dataclass(slots=True)
class PersonState:
    """One person's behaviour as stored: counts per day and rule, seen uuids (oldest first),
    and the MQL status (``mql_at``: since when the person is an MQL; None: not now)."""

    days: dict[int, dict[str, int]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    mql_at: str | None = None
    last_mql_at: str | None = None
    mql_count: int = 0

    def copy(self) -> PersonState:
        """A copy a batch may change (the stored one stays as read)."""
        days = {day: dict(counts) for day, counts in self.days.items()}
        return PersonState(days, list(self.seen), self.mql_at, self.last_mql_at, self.mql_count)

    def as_doc(self) -> dict[str, Any]:
        return {
            "days": {str(day): counts for day, counts in self.days.items()},
            "seen": self.seen,
            "mql_at": self.mql_at,
            "last_mql_at": self.last_mql_at,
            "mql_count": self.mql_count,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> PersonState:
        doc = doc or {}
        days = {
            int(day): {k: int(v) for k, v in c.items()} for day, c in doc.get("days", {}).items()
        }
        return cls(days, list(doc.get("seen", [])), doc.get("mql_at"), doc.get("last_mql_at"),
                   int(doc.get("mql_count", 0)))  # fmt: skip

    @property
    def last_active_day(self) -> int | None:
        return max(self.days) if self.days else None


@dataclass(slots=True)
class Applied:
    """What one batch did to a person: events counted, duplicates and unknown names skipped."""

    counted: int = 0
    duplicates: int = 0
    unknown: dict[str, int] = field(default_factory=dict)  # event name -> events


def apply_events(
    state: PersonState, rules: BehaviourRules, events: Iterable[Event], keep_uuids: int
) -> Applied:
    """Count ``events`` into ``state`` (in place). A uuid already seen counts once; the last
    ``keep_uuids`` uuids are remembered."""
    applied = Applied()
    seen = set(state.seen)
    for event in events:
        if event.uuid in seen:
            applied.duplicates += 1
            continue
        rule_id = rules.match(event)
        if rule_id is None:
            applied.unknown[event.name] = applied.unknown.get(event.name, 0) + 1
            continue
        seen.add(event.uuid)
        state.seen.append(event.uuid)
        counts = state.days.setdefault(day_number(event.at), {})
        counts[rule_id] = counts.get(rule_id, 0) + 1
        applied.counted += 1
    if len(state.seen) > keep_uuids:
        del state.seen[: len(state.seen) - keep_uuids]
    return applied


@dataclass(frozen=True, slots=True)
class BehaviourScore:
    total: int
    items: tuple[ScoreItem, ...]
    last_activity: date | None
    decayed: int  # points lost to decay so far

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "items": [item.as_dict() for item in self.items],
            "last_activity": self.last_activity.isoformat() if self.last_activity else None,
        }


def _walk(
    state: PersonState, rules: BehaviourRules, today: date
) -> tuple[int, dict[str, int], int, int | None]:
    """(total, occurrences counted per rule, points lost to decay, last active day): the days
    walked in date order (module docstring). The hot path: locals only, no items built."""
    every, loss, window = rules.every, rules.loss, rules.window
    points, caps = rules.points, rules.caps
    used: dict[tuple[str, int], int] = {}
    counted: dict[str, int] = {}
    total = decayed = 0
    previous: int | None = None
    days = state.days
    for day in sorted(days) if len(days) > 1 else days:
        if previous is not None and day - previous >= every:
            lost = min(total, (day - previous) // every * loss)
            total, decayed = total - lost, decayed + lost
        for rule_id, count in days[day].items():
            worth = points.get(rule_id)
            if worth is None:  # activity, or a rule a later rulebook dropped
                continue
            cap = caps[rule_id]
            if cap is not None:
                key = (rule_id, day // window)
                taken = used.get(key, 0)
                count = min(count, cap - taken)
                used[key] = taken + count
            counted[rule_id] = counted.get(rule_id, 0) + count
            total += count * worth
        previous = day
    if previous is not None:
        idle = (today.toordinal() - _EPOCH_ORDINAL) - previous
        if idle >= every:
            lost = min(total, idle // every * loss)
            total, decayed = total - lost, decayed + lost
    return total, counted, decayed, previous


def total_of(state: PersonState, rules: BehaviourRules, today: date) -> int:
    """The behaviour score on ``today`` (``score`` without the items)."""
    return _walk(state, rules, today)[0]


def score(state: PersonState, rules: BehaviourRules, today: date) -> BehaviourScore:
    """The behaviour score on ``today``, every point explained as an item."""
    total, counted, decayed, previous = _walk(state, rules, today)
    items = [
        ScoreItem(rule.id, counted[rule.id], rule.label, counted[rule.id] * rule.points)
        for rule in rules.section.rules
        if counted.get(rule.id)
    ]
    if decayed:
        every, loss = rules.every, rules.loss
        items.append(ScoreItem("decay", f"-{loss} per {every} days without activity",
                               None, -decayed))  # fmt: skip
    last = day_of(previous) if previous is not None else None
    return BehaviourScore(total, tuple(items), last, decayed)


@dataclass(frozen=True, slots=True)
class Grade:
    fit_letter: str
    engagement: str
    reasons: tuple[str, ...]

    @property
    def grade(self) -> str:
        return f"{self.fit_letter}{self.engagement}"


def grade(section: Behaviour, icp_score: int | None, behaviour_score: int) -> Grade:
    """Seed 004's grid: the fit letter from the ICP score, the engagement number from the
    behaviour score."""
    grades = section.grades
    letter = grades.fit_letter(icp_score)
    number = grades.engagement_number(behaviour_score)
    fit = (f"fit {letter}: ICP score {icp_score}" if icp_score is not None
           else f"fit {letter}: no stored lead, so no ICP score yet")  # fmt: skip
    return Grade(letter, number, (fit, f"engagement {number}: behaviour score {behaviour_score}"))


def mql_change(state: PersonState, total: int, threshold: int, now: datetime) -> str | None:
    """Move the MQL status (in place): ``"crossed"`` when ``total`` reaches the threshold and
    the person is not an MQL (emit ``lead.mql``), ``"fell"`` when it drops below it (a later
    crossing emits again), None otherwise."""
    if total >= threshold and state.mql_at is None:
        state.mql_at = state.last_mql_at = now.isoformat()
        state.mql_count += 1
        return "crossed"
    if total < threshold and state.mql_at is not None:
        state.mql_at = None
        return "fell"
    return None


def mql_reasons(state: PersonState, total: int, threshold: int) -> list[str]:
    if state.mql_at is not None:
        return [f"MQL since {state.mql_at}: behaviour score {total} >= threshold {threshold}"]
    why = f"not an MQL: behaviour score {total} < threshold {threshold}"
    if state.last_mql_at:
        why += f" (was one from {state.last_mql_at})"
    return [why]


def person_id(email: str) -> str:
    """A person's id in events and keys: a hash of the lower-case email (no PII on the bus)."""
    return "p_" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


@dataclass(slots=True)
class StoredPerson:
    """A person's item: behaviour state (``version`` guards concurrent writers) and the fit of
    their latest stored lead, written by the demo-request webhook."""

    person_id: str
    email: str
    domain: str | None = None
    state: PersonState = field(default_factory=PersonState)
    version: int = 0
    score: int = 0
    lead_id: str | None = None
    icp_score: int | None = None
    lead_score: int | None = None
    grade: str | None = None  # fit x engagement when last written (set on the person's lead)
