"""Engagement: PostHog events -> per-person behaviour state -> MQL (issue 15).

``ingest`` takes a batch of events already read (``leadops.posthog_events``): it groups them by
person, reads those people in BatchGets, counts the events into each person's state (duplicate
uuids once, unknown names counted and ignored), and writes each person ONCE with a version check
(a concurrent writer makes it read that person again and re-apply: nothing is lost or counted
twice). A person whose score reaches the rulebook's MQL threshold gets ``lead.mql`` on the bus
(once; again only after falling below and re-crossing), an ``mql`` routing signal on their
account, and - through the bus, the PostHog sync - the person properties ``behaviour_score``,
``lead_grade`` and ``mql_at``. ``DecaySweep`` applies decay to every scored person (daily schedule).
Emails never reach the logs or the bus.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools import Logger

from leadops.behaviour import (
    BehaviourRules,
    PersonState,
    StoredPerson,
    apply_events,
    grade,
    mql_change,
    mql_reasons,
    person_id,
    score,
    total_of,
)
from leadops.errors import Invalid
from leadops.normalise import EmailKind
from leadops.ports import (
    DomainAccounts,
    EventBus,
    MqlRouting,
    PeopleStore,
    RepPools,
    RulebookSource,
)
from leadops.posthog_events import (
    EMAIL,
    Malformed,
    PersonEvent,
    PersonKey,
    Problem,
    events_of,
    read_all,
    read_lines,
)
from leadops.qualification import company_domain_key
from leadops.rules import Rules

logger = Logger(child=True)
SAVE_ATTEMPTS = 5
MAX_PROBLEMS = 100
PERSON_ID = re.compile(r"^p_[0-9a-f]{24}$")  # problems listed in a report (all are counted)
_COMPILED: dict[int, tuple[Any, BehaviourRules]] = {}


class PersonBusy(Exception):
    """A person kept changing under this batch (other writers won every attempt): the request
    is answered 503, and its retry counts each event once (uuids)."""


def behaviour_rules(live: Rules) -> BehaviourRules | None:
    """The live rulebook's behaviour section, compiled once per version (None: no section)."""
    section = live.rulebook.behaviour
    if section is None:
        return None
    cached = _COMPILED.get(id(section))
    if cached is None or cached[0] is not section:
        cached = _COMPILED[id(section)] = (section, BehaviourRules(section))
    return cached[1]


@dataclass
class IngestReport:
    """Counts of one request or file (no event values, no emails)."""

    received: int = 0
    counted: int = 0
    duplicates: int = 0
    malformed: int = 0
    unknown: Counter[str] = field(default_factory=Counter)
    people: int = 0
    writes: int = 0
    mql: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add_problem(self, problem: Problem) -> None:
        self.received += 1
        self.malformed += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "counted": self.counted,
            "duplicates": self.duplicates,
            "unknown": sum(self.unknown.values()),
            "unknown_events": dict(self.unknown.most_common(20)),
            "malformed": self.malformed,
            "problems": [p.as_dict() for p in self.problems],
            "people": self.people,
            "writes": self.writes,
            "mql": self.mql,
        }


class Engagement:
    def __init__(
        self,
        rules: RulebookSource,
        people: PeopleStore,
        events: EventBus,
        routing: MqlRouting,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.rules = rules
        self.people = people
        self.events = events
        self.routing = routing
        self.clock = clock

    def ingest(self, events: Iterable[PersonEvent], report: IngestReport) -> IngestReport:
        """Count one batch into ``report`` (one write per person, see the module docstring)."""
        live = self.rules.current()
        compiled = behaviour_rules(live)
        by_email: dict[str, list[PersonEvent]] = defaultdict(list)
        for item in events:
            report.received += 1
            by_email[item.email].append(item)
        if compiled is None:
            report.unknown.update(e.event.name for group in by_email.values() for e in group)
            return report
        ids = {email: person_id(email) for email in by_email}
        stored = self.people.get_many(list(ids.values()))
        now = self.clock()
        for email, group in by_email.items():
            person = stored.get(ids[email]) or StoredPerson(ids[email], email)
            self._one_person(person, group, live, compiled, now, report)
        report.people += len(by_email)
        return report

    def _one_person(
        self,
        person: StoredPerson,
        group: list[PersonEvent],
        live: Rules,
        compiled: BehaviourRules,
        now: datetime,
        report: IngestReport,
    ) -> None:
        section = compiled.section
        for _ in range(SAVE_ATTEMPTS):
            state = person.state.copy()
            applied = apply_events(state, compiled, (e.event for e in group), section.seen_uuids)
            total = total_of(state, compiled, now.date())
            change = mql_change(state, total, section.mql_threshold, now)
            if not applied.counted and change is None:
                break  # duplicates and unknown names only: nothing to write
            person.state, person.score = state, total
            person.grade = grade(section, person.icp_score, total).grade
            person.email = group[0].email
            person.domain = person.domain or self._account(live, person.email)
            report.writes += 1
            if self.people.save(person, now):
                break
            person = self.people.get(person.person_id) or StoredPerson(person.person_id, "")
        else:
            raise PersonBusy(person.person_id)
        report.counted += applied.counted
        report.duplicates += applied.duplicates
        report.unknown.update(applied.unknown)
        if change == "crossed":
            report.mql += 1
            self._announce(person, live, compiled, now)

    @staticmethod
    def _account(live: Rules, email: str) -> str | None:
        """The account the person belongs to: their company's domain; None for a free-mail or
        disposable address (no company: no account signal, and no address on the bus)."""
        domain = email.rpartition("@")[2]
        kind = live.scorer.normaliser.email_kind(domain)
        return company_domain_key(domain) if kind is EmailKind.WORK else None

    def _announce(
        self, person: StoredPerson, live: Rules, compiled: BehaviourRules, now: datetime
    ) -> None:
        """``lead.mql`` on the bus, then the account's ``mql`` routing signal. The person is
        stored first: a failure here is logged and the crossing stays recorded."""
        graded = grade(compiled.section, person.icp_score, person.score)
        detail = {
            "person_id": person.person_id,
            "lead_id": person.lead_id,
            "domain": person.domain,
            "behaviour_score": person.score,
            "fit_letter": graded.fit_letter,
            "grade": graded.grade,
            "mql_at": person.state.mql_at,
        }
        try:
            self.events.publish("lead.mql", detail)
        except Exception:
            logger.exception("lead.mql not published", extra={"person_id": person.person_id})
        if person.domain:
            try:
                self.routing.record_mql(person.domain, now)
            except Exception:
                logger.exception("mql signal not recorded", extra={"person_id": person.person_id})
        logger.info("MQL", extra={"person_id": person.person_id, "grade": graded.grade})


class DecaySweep:
    """The daily decay sweep: every person with a score, scored again today; those whose score
    or MQL status changed are written (a lost race means a writer just scored them anew)."""

    def __init__(
        self,
        rules: RulebookSource,
        people: PeopleStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.rules = rules
        self.people = people
        self.clock = clock

    def run(self, stop: Callable[[], bool] = lambda: False) -> dict[str, int]:
        """``stop()`` true: end early (tomorrow's run goes on from the start)."""
        compiled = behaviour_rules(self.rules.current())
        seen = written = 0
        if compiled is None:
            return {"people": 0, "written": 0}
        now = self.clock()
        for person in self.people.scored():
            seen += 1
            total = total_of(person.state, compiled, now.date())
            change = mql_change(person.state, total, compiled.section.mql_threshold, now)
            if total != person.score or change is not None:
                person.score = total
                person.grade = grade(compiled.section, person.icp_score, total).grade
                written += int(self.people.save(person, now))
            if stop():
                break
        logger.info("behaviour decay sweep", extra={"people": seen, "written": written})
        return {"people": seen, "written": written}


def person_view(
    person: StoredPerson | None, email: str, live: Rules, today: datetime, pid: str = ""
) -> dict[str, Any]:
    """``GET /people/{email}/score``: fit (the latest stored lead's), behaviour, grade, MQL."""
    compiled = behaviour_rules(live)
    person = person or StoredPerson(pid or person_id(email), email)
    fit = {"lead_id": person.lead_id, "icp_score": person.icp_score,
           "lead_score": person.lead_score}  # fmt: skip
    if compiled is None:
        return {"person_id": person.person_id, "fit": fit, "behaviour": None, "grade": None,
                "mql": None, "rulebook_version": live.version}  # fmt: skip
    section = compiled.section
    behaviour = score(person.state, compiled, today.date())
    graded = grade(section, person.icp_score, behaviour.total)
    state = PersonState.from_doc(person.state.as_doc())  # decayed below since the last sweep?
    mql_change(state, behaviour.total, section.mql_threshold, today)
    return {
        "person_id": person.person_id,
        "fit": {**fit, "letter": graded.fit_letter},
        "behaviour": {**behaviour.as_dict(), "threshold": section.mql_threshold},
        "grade": {"grade": graded.grade, "reasons": list(graded.reasons)},
        "mql": {
            "is_mql": state.mql_at is not None,
            "mql_at": state.mql_at,
            "last_mql_at": state.last_mql_at,
            "times": state.mql_count,
            "reasons": mql_reasons(state, behaviour.total, section.mql_threshold),
        },
        "rulebook_version": live.version,
    }


class AccountMql:
    """``MqlRouting`` over the accounts table: the ``mql`` signal is recorded on the account
    the person's company domain belongs to, and the account is routed at once (as the signals
    API does), by the live rulebook's rules (NB-MQL: new business)."""

    def __init__(self, accounts: DomainAccounts, pools: RepPools, rules: RulebookSource) -> None:
        self.accounts = accounts
        self.pools = pools
        self.rules = rules

    def record_mql(self, domain: str, at: datetime) -> str:
        from leadops.routing import SignalType
        from leadops.services.account_routing import AccountRouting
        from leadops.services.accounts import SignalInput, record_signal

        account_id = self.accounts.account_of_domain(domain)
        live = self.rules.current()
        routing = AccountRouting(live.rulebook, live.scorer, self.pools, at)
        window = live.rulebook.routing.signal_window_days
        record_signal(self.accounts, routing, account_id, SignalInput(type=SignalType.MQL), window)
        return account_id


FUTURE_SLACK = timedelta(days=1)  # clocks differ; an event later than this is malformed
MAX_EVENTS_PER_REQUEST = 1_000  # one write per person: bounded well within the timeout


def ingest_body(engagement: Engagement, body: Any, key: PersonKey) -> dict[str, Any]:
    """A webhook request: its events read (each malformed one reported by position and field,
    the others scored), then one ``ingest``. A body that holds no events is a 422."""
    try:
        items = events_of(body)
    except Malformed as exc:
        raise Invalid(exc.field, exc.message) from None
    if len(items) > MAX_EVENTS_PER_REQUEST:
        raise Invalid("batch", f"at most {MAX_EVENTS_PER_REQUEST} events per request")
    found, problems = read_all(items, key, engagement.clock() + FUTURE_SLACK)
    report = IngestReport()
    for problem in problems:
        report.add_problem(problem)
    engagement.ingest(found, report)
    answer = report.as_dict()
    logger.info("PostHog events", extra={k: v for k, v in answer.items() if isinstance(v, int)})
    return answer


def ingest_lines(
    engagement: Engagement,
    lines: Iterable[bytes],
    key: PersonKey,
    batch_size: int,
    time_left: Callable[[], bool] = lambda: True,
) -> tuple[IngestReport, bool]:
    """A JSON Lines export, streamed: events are scored ``batch_size`` at a time (one write per
    person per batch), so memory stays flat whatever the file's size. Returns the report and
    whether the whole file was read (``time_left()`` false: stop after the current batch)."""
    report = IngestReport()
    batch: list[PersonEvent] = []
    for read in read_lines(iter(lines), key, engagement.clock() + FUTURE_SLACK):
        if isinstance(read, Problem):
            report.add_problem(read)
            continue
        batch.append(read)
        if len(batch) >= batch_size:
            engagement.ingest(batch, report)
            batch = []
            if not time_left():
                return report, False
    engagement.ingest(batch, report)
    return report, True


def read_person_score(
    people: PeopleStore, live: Rules, email: str, now: datetime
) -> dict[str, Any]:
    """``GET /people/{email}/score``: the email (URL-decoded) must be an address (422 naming
    ``email`` otherwise); a person never seen answers with an empty behaviour score."""
    address = unquote(email).strip().lower()
    if PERSON_ID.match(address):  # a lead's person_id (GET /leads/{id}): no email in the URL
        return person_view(people.get(address), "", live, now, address)
    if not EMAIL.match(address):
        raise Invalid("email", "not an email address (or a person id p_...)")
    return person_view(people.get(person_id(address)), address, live, now)


def behaviour_compared(
    items: list[Any], icp_score: int | None, current: Rules, candidate: Rules, now: datetime
) -> dict[str, Any]:
    """A dry run of PostHog events (``POST /rulebook/dry-run {"events": [...]}``): each
    person's behaviour score, grade and MQL status under the live rules and the candidate, as
    if these were all their events (nothing is read or written). Malformed events are listed."""
    found, problems = read_all(items, "person_email", now + FUTURE_SLACK)
    by_person: dict[str, list[PersonEvent]] = defaultdict(list)
    for item in found:
        by_person[person_id(item.email)].append(item)
    people = {}
    for pid, group in by_person.items():
        sides = [_scored_under(group, icp_score, rules, now) for rules in (current, candidate)]
        changed = [key for key in ("score", "grade", "mql") if sides[0][key] != sides[1][key]]
        people[pid] = {"before": sides[0], "after": sides[1], "changed": changed}
    return {"people": people, "problems": [p.as_dict() for p in problems[:MAX_PROBLEMS]]}


def _scored_under(
    group: list[PersonEvent], icp_score: int | None, live: Rules, now: datetime
) -> dict[str, Any]:
    compiled = behaviour_rules(live)
    if compiled is None:
        return {"score": None, "items": [], "grade": None, "mql": None}
    state = PersonState()
    apply_events(state, compiled, (e.event for e in group), len(group) + 1)
    scored = score(state, compiled, now.date())
    graded = grade(compiled.section, icp_score, scored.total)
    return {
        "score": scored.total,
        "items": [i.as_dict() for i in scored.items],
        "grade": graded.grade,
        "mql": scored.total >= compiled.section.mql_threshold,
    }
