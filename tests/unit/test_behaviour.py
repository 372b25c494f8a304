"""The behaviour score, pure (leadops.behaviour, leadops.posthog_events) and the engagement
service on in-memory fakes (leadops.services.engagement)."""

import gzip
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from leadops.behaviour import (
    BehaviourRules,
    Event,
    PersonState,
    StoredPerson,
    apply_events,
    day_number,
    grade,
    mql_change,
    person_id,
    score,
)
from leadops.posthog_events import (
    Malformed,
    events_of,
    gunzipped,
    read_all,
    read_event,
    read_lines,
    split_lines,
)
from leadops.rulebook import Rulebook, load_rulebook
from leadops.rules import Rules, packaged_rules
from leadops.services.engagement import Engagement, IngestReport, behaviour_compared

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
RULES = BehaviourRules(load_rulebook().behaviour)  # type: ignore[arg-type]
SECTION = RULES.section


def ev(name: str, day: float = 0, path: str | None = None, uid: str | None = None) -> Event:
    return Event(uid or f"u-{random.random()}", name, T0 + timedelta(days=day), path)


def scored(events: list[Event], today_day: float = 0) -> int:
    state = PersonState()
    apply_events(state, RULES, events, 500)
    return score(state, RULES, (T0 + timedelta(days=today_day)).date()).total


# --- points, caps, decay -----------------------------------------------------------------------
def test_the_glossary_example_pricing_twice_and_a_demo_is_60() -> None:
    """Seed 004: "visits the pricing page twice (+30), and requests a demo (+30)"."""
    events = [
        ev("$pageview", 0, "/pricing"),
        ev("$pageview", 1, "/pricing"),
        ev("demo_requested", 2),
    ]
    assert scored(events, 2) == 60


def test_the_cap_holds_per_window_not_for_ever() -> None:
    """pricing_page: at most 2 a window of 7 days, windows counted from 1970-01-01."""
    window_start = -(day_number(T0) % 7)  # days from T0 back to its window's first day
    in_one = [ev("$pageview", window_start + d, "/pricing") for d in (0, 1, 6)]
    in_two = [*in_one[:2], ev("$pageview", window_start + 7, "/pricing")]
    assert scored(in_one, 10) == 30
    assert scored(in_two, 10) == 45


def test_a_page_that_is_not_pricing_is_activity_worth_nothing() -> None:
    state = PersonState()
    applied = apply_events(state, RULES, [ev("$pageview", 0, "/blog"), ev("$pageleave", 0)], 500)
    assert (applied.counted, dict(applied.unknown)) == (1, {"$pageleave": 1})
    assert score(state, RULES, T0.date()).total == 0
    assert state.last_active_day is not None


@pytest.mark.parametrize(("idle_days", "total"), [(29, 60), (30, 50), (31, 50), (59, 50),
                                                   (60, 40), (200, 0)])  # fmt: skip
def test_decay_takes_10_for_each_whole_30_days_without_activity(idle_days: int, total: int) -> None:
    """Seed 004: "No activity in 30 days -10"; never below 0."""
    events = [
        ev("$pageview", 0, "/pricing"),
        ev("$pageview", 1, "/pricing"),
        ev("demo_requested", 2),
    ]
    assert scored(events, 2 + idle_days) == total


def test_points_lost_to_decay_do_not_come_back_and_never_go_below_zero() -> None:
    """15 points, 90 idle days (-30, but floored at 0), then a demo: 30, not 15 or 45."""
    state = PersonState()
    apply_events(state, RULES, [ev("$pageview", 0, "/pricing"), ev("demo_requested", 90)], 500)
    result = score(state, RULES, (T0 + timedelta(days=90)).date())
    assert result.total == 30
    assert result.items[-1].metric == "decay"
    assert result.items[-1].points == -15  # only what there was to lose
    assert sum(item.points for item in result.items) == result.total


@settings(max_examples=50, deadline=None)
@given(st.permutations(list(range(8))), st.integers(min_value=1, max_value=8))
def test_the_same_events_in_any_order_and_batches_give_the_same_score(
    order: list[int], batch: int
) -> None:
    names = [("$pageview", "/pricing"), ("demo_requested", None), ("email_clicked", None),
             ("$pageview", "/pricing"), ("$pageview", "/pricing"), ("webinar_attended", None),
             ("email_clicked", None), ("demo_requested", None)]  # fmt: skip
    days = [0, 3, 4, 5, 40, 41, 42, 120]
    events = [
        ev(n, d, p, uid=f"u{i}") for i, ((n, p), d) in enumerate(zip(names, days, strict=True))
    ]
    reference = PersonState()
    apply_events(reference, RULES, events, 500)
    shuffled = [events[i] for i in order]
    state = PersonState()
    for start in range(0, len(shuffled), batch):
        state = PersonState.from_doc(json.loads(json.dumps(state.as_doc())))  # stored between
        apply_events(state, RULES, shuffled[start : start + batch] * 2, 500)  # and redelivered
    today = (T0 + timedelta(days=130)).date()
    assert score(state, RULES, today) == score(reference, RULES, today)


def test_a_uuid_counts_once_and_only_the_latest_uuids_are_kept() -> None:
    state = PersonState()
    first = apply_events(state, RULES, [ev("demo_requested", 0, uid="same")] * 3, 500)
    assert (first.counted, first.duplicates) == (1, 2)
    apply_events(state, RULES, [ev("email_clicked", 0, uid=f"x{i}") for i in range(10)], 5)
    assert state.seen == [f"x{i}" for i in range(5, 10)]


def test_mql_is_crossed_once_then_again_only_after_falling_below() -> None:
    state = PersonState()
    assert mql_change(state, 60, 50, T0) == "crossed"
    assert mql_change(state, 70, 50, T0) is None
    assert mql_change(state, 40, 50, T0) == "fell"
    assert mql_change(state, 45, 50, T0) is None
    assert mql_change(state, 50, 50, T0) == "crossed"
    assert state.mql_count == 2


def test_the_grade_is_the_fit_letter_and_the_engagement_number() -> None:
    assert grade(SECTION, 24, 60).grade == "A1"
    assert grade(SECTION, 12, 30).grade == "B2"
    assert grade(SECTION, 5, 0).grade == "D4"
    assert grade(SECTION, -10, 1).grade == "D3"
    assert grade(SECTION, None, 60).grade == "X1"


# --- the rulebook section ----------------------------------------------------------------------
def _document(**changes: Any) -> dict[str, Any]:
    document = load_rulebook().model_dump(mode="json")
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = document
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value
    return document


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"behaviour.mql_threshold": 0}, "behaviour.mql_threshold"),
        ({"behaviour.decay.points": 10}, "behaviour.decay.points"),
        ({"behaviour.rules.0.url_path": "(unclosed"}, "behaviour.rules.0"),
        ({"behaviour.rules.1.id": "pricing_page"}, "behaviour"),
        ({"behaviour.rules.0.cap": 0}, "behaviour.rules.0.cap"),
    ],
)
def test_an_invalid_behaviour_section_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Rulebook.model_validate(_document(**changes))
    where = {".".join(str(p) for p in error["loc"]) for error in refused.value.errors()}
    assert any(loc.startswith(field) for loc in where), where


def test_a_rulebook_without_the_section_scores_no_behaviour() -> None:
    document = _document()
    del document["behaviour"]
    rules = Rules.of(Rulebook.model_validate(document), "override")
    answer = behaviour_compared([_webhook("demo_requested")], None, rules, rules, T0)
    (person,) = answer["people"].values()
    assert person["before"]["score"] is None


# --- reading PostHog's shapes ------------------------------------------------------------------
def _webhook(name: str, email: str = "ada@acme.io", **props: Any) -> dict[str, Any]:
    event = {"uuid": "u-1", "event": name, "distinct_id": "anon", "properties": props,
             "timestamp": "2026-11-02T09:00:00.000Z", "elements_chain": "", "url": ""}  # fmt: skip
    return {"event": event, "person": {"id": "p", "properties": {"email": email}, "name": ""}}


def test_both_documented_shapes_read_the_same_event() -> None:
    webhook = read_event(
        _webhook("$pageview", "Ada@Acme.io", **{"$current_url": "https://x.io/pricing?a=1"}),
        "person_email",
    )
    row = {"uuid": "u-1", "event": "$pageview", "distinct_id": "anon", "person_id": "p",
           "properties": json.dumps({"$current_url": "https://x.io/pricing?a=1"}),
           "person_properties": json.dumps({"email": "ada@acme.io"}),
           "timestamp": "2026-11-02 09:00:00+00:00"}  # fmt: skip
    exported = read_event(row, "person_email")
    assert webhook.email == exported.email == "ada@acme.io"
    assert webhook.event.path == exported.event.path == "/pricing"
    assert webhook.event.at == exported.event.at


def test_the_distinct_id_can_be_the_email() -> None:
    item = _webhook("demo_requested", email="")
    item["event"]["distinct_id"] = "lin@initech.com"
    assert read_event(item, "distinct_id").email == "lin@initech.com"
    with pytest.raises(Malformed, match=r"person\.properties\.email"):
        read_event(item, "person_email")


@pytest.mark.parametrize(
    ("body", "count"), [({"batch": [1, 2]}, 2), ([1, 2, 3], 3), ({"event": "x"}, 1)]
)
def test_a_request_holds_one_event_or_a_batch(body: Any, count: int) -> None:
    assert len(events_of(body)) == count


def test_malformed_events_are_named_by_position_and_field_without_values() -> None:
    bad_time = _webhook("x")
    bad_time["event"]["timestamp"] = "2026-11-02T09:00:00"  # no zone
    found, problems = read_all(
        [_webhook("x"), bad_time, {"event": {"uuid": "u"}}, None], "person_email"
    )
    assert len(found) == 1
    assert [(p.position, p.field) for p in problems] == [
        (1, "timestamp"),
        (2, "event"),
        (3, "event"),
    ]


def test_lines_stream_from_chunks_gzip_included_and_a_huge_line_is_skipped() -> None:
    lines = [json.dumps(_webhook("demo_requested")).encode(), b"x" * 50, b"", b"{}"]
    raw = b"\n".join(lines)
    chunks = [raw[i : i + 7] for i in range(0, len(raw), 7)]
    assert list(split_lines(iter(chunks), max_line_bytes=40))[1] == b"\x00"
    zipped = gzip.compress(raw)
    unzipped = b"".join(gunzipped(iter([zipped[i : i + 5] for i in range(0, len(zipped), 5)])))
    assert unzipped == raw
    read = list(read_lines(split_lines(iter([raw])), "person_email"))
    assert [type(r).__name__ for r in read] == ["PersonEvent", "Problem", "Problem"]


# --- the service on fakes ----------------------------------------------------------------------
class People:
    def __init__(self, conflicts: int = 0) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.saves = 0
        self.conflicts = conflicts

    def _load(self, pid: str) -> StoredPerson | None:
        item = self.items.get(pid)
        if item is None:
            return None
        return StoredPerson(pid, item["email"], item["domain"], PersonState.from_doc(item["doc"]),
                            item["version"], item["score"])  # fmt: skip

    def get_many(self, person_ids: list[str]) -> dict[str, StoredPerson]:
        return {pid: p for pid in person_ids if (p := self._load(pid)) is not None}

    def get(self, person_id: str) -> StoredPerson | None:
        return self._load(person_id)

    def save(self, person: StoredPerson, at: datetime) -> bool:
        self.saves += 1
        if self.conflicts:  # another writer got there first: it counted one more event
            self.conflicts -= 1
            other = self._load(person.person_id) or StoredPerson(person.person_id, person.email)
            apply_events(other.state, RULES, [ev("email_clicked", 0, uid="other")], 500)
            self.items[person.person_id] = {"email": person.email, "domain": person.domain,
                                            "doc": other.state.as_doc(), "score": 5,
                                            "version": other.version + 1}  # fmt: skip
            return False
        stored = self.items.get(person.person_id, {"version": 0})
        if stored["version"] != person.version:
            return False
        self.items[person.person_id] = {"email": person.email, "domain": person.domain,
                                        "doc": person.state.as_doc(), "score": person.score,
                                        "version": person.version + 1}  # fmt: skip
        person.version += 1
        return True

    def scored(self) -> Iterator[StoredPerson]:
        return iter([])


class Bus:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        self.sent.append((detail_type, detail))


class Routing:
    def __init__(self) -> None:
        self.domains: list[str] = []

    def record_mql(self, domain: str, at: datetime) -> str:
        self.domains.append(domain)
        return domain


class Live:
    def current(self) -> Rules:
        return packaged_rules()


def _service(people: People) -> tuple[Engagement, Bus, Routing]:
    bus, routing = Bus(), Routing()
    return (
        Engagement(Live(), people, bus, routing, clock=lambda: T0 + timedelta(days=3)),
        bus,
        routing,
    )


def _events(email: str, *names: str) -> list[Any]:
    items = []
    for i, name in enumerate(names):
        item = _webhook(name, email, **{"$current_url": "https://x.io/pricing"})
        item["event"]["uuid"] = f"{email}-{i}"
        item["event"]["timestamp"] = (T0 + timedelta(days=i)).isoformat()
        items.append(item)
    return read_all(items, "person_email")[0]


def test_one_write_per_person_per_batch_and_mql_once() -> None:
    people = People()
    engagement, bus, routing = _service(people)
    batch = [*_events("ada@acme.io", "$pageview", "$pageview", "demo_requested"),
             *_events("bo@gmail.com", "demo_requested", "webinar_attended")]  # fmt: skip
    report = engagement.ingest(batch, IngestReport())
    assert (report.people, report.writes, people.saves, report.mql) == (2, 2, 2, 2)
    assert [d["domain"] for _, d in bus.sent] == ["acme.io", None]  # no address on the bus
    assert routing.domains == ["acme.io"]  # a free-mail person has no company account
    again = engagement.ingest(batch, IngestReport())
    assert (again.duplicates, again.writes, again.mql, len(bus.sent)) == (5, 0, 0, 2)
    assert "ada@acme.io" not in json.dumps(bus.sent)
    assert "bo@gmail.com" not in json.dumps(bus.sent)


def test_a_concurrent_writer_is_read_again_and_nothing_is_lost_or_counted_twice() -> None:
    people = People(conflicts=1)
    engagement, _, _ = _service(people)
    report = engagement.ingest(
        _events("ada@acme.io", "$pageview", "demo_requested"), IngestReport()
    )
    assert (report.counted, people.saves) == (2, 2)
    stored = people.get(person_id("ada@acme.io"))
    assert stored is not None
    assert stored.score == 50  # 15 + 30 + the other writer's email click
    assert set(stored.state.seen) == {"other", "ada@acme.io-0", "ada@acme.io-1"}


def test_the_dry_run_scores_events_under_both_rulebooks() -> None:
    live = packaged_rules()
    document = _document(**{"behaviour.mql_threshold": 70, "version": "2099-01-01.1"})
    candidate = Rules.of(Rulebook.model_validate(document), "candidate")
    items = [*(_e for _e in [_webhook("demo_requested"), _webhook("webinar_attended")])]
    items[1]["event"]["uuid"] = "u-2"
    answer = behaviour_compared(items, 24, live, candidate, T0)
    (person,) = answer["people"].values()
    assert (person["before"]["score"], person["before"]["mql"], person["after"]["mql"]) == (
        50,
        True,
        False,
    )
    assert person["changed"] == ["mql"]


@pytest.mark.parametrize(
    ("timestamp", "message"),
    [
        ("2026-11-04T09:00:00Z", "more than a day in the future"),  # it would hold decay off
        ("9999-12-31T23:59:59-05:00", "not an ISO 8601 date-time"),  # beyond datetime in UTC
        ("2026-11-02", "needs a time zone"),
    ],
)
def test_a_timestamp_must_be_a_zoned_time_not_far_in_the_future(
    timestamp: str, message: str
) -> None:
    item = _webhook("demo_requested")
    item["event"]["timestamp"] = timestamp
    with pytest.raises(Malformed, match=message):
        read_event(item, "person_email", not_after=T0 + timedelta(days=1))
