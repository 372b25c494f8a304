"""Behaviour-score figures for `make bench` (issue 15): PostHog events scored per second on one
core (pure), DynamoDB writes per person per batch (on moto), and memory over a 1 M-event batch
export streamed from a generated file (tracemalloc peak at 100 k beside 1 M)."""

from __future__ import annotations

import gzip
import json
import os
import random
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from calls import counting_aws
from moto import mock_aws

import leadops.adapters.aws
from leadops.adapters.leads_table import People
from leadops.behaviour import BehaviourRules, PersonState, StoredPerson, apply_events, total_of
from leadops.posthog_events import PersonEvent, gunzipped, read_all, split_lines
from leadops.rules import Rules, packaged_rules
from leadops.services.engagement import Engagement, IngestReport, ingest_lines
from leadops_local.provision import provision
from leadops_local.template import SamTemplate

NAMES = [("$pageview", "/pricing"), ("$pageview", "/blog/post"), ("$pageview", "/docs"),
         ("demo_requested", None), ("email_clicked", None), ("webinar_attended", None),
         ("$autocapture", None), ("content_downloaded", None)]  # fmt: skip
START = datetime(2026, 10, 1, tzinfo=UTC)


def export_rows(count: int, people: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """Batch-export rows (the events model), ``people`` persons over 60 days."""
    rng = random.Random(seed)
    for n in range(count):
        name, path = rng.choice(NAMES)
        at = START + timedelta(seconds=rng.randrange(60 * 86400))
        person = rng.randrange(people)
        email = f"person{person}@company{person % 50}.io"
        yield {"uuid": f"0192f0c1-{n:012d}", "event": name, "distinct_id": email,
               "properties": {"$current_url": f"https://x.io{path or '/'}"},
               "person_properties": {"email": email},
               "timestamp": at.isoformat()}  # fmt: skip


def _best(runs: int, work: Any) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def events_per_second(count: int = 50_000, batch: int = 5_000) -> dict[str, float]:
    """Pure: events counted into each person's state and every touched person scored, batch by
    batch (what ``Engagement.ingest`` does between its read and its writes); and the same with
    the reading of the PostHog rows in front."""
    rows = list(export_rows(count, people=2_000))
    events, problems = read_all(rows, "person_email")
    assert not problems
    rules = BehaviourRules(packaged_rules().rulebook.behaviour)  # type: ignore[arg-type]
    today = (START + timedelta(days=61)).date()

    def scored(batch_events: list[PersonEvent], states: dict[str, PersonState]) -> None:
        by_person: dict[str, list[PersonEvent]] = {}
        for item in batch_events:
            by_person.setdefault(item.email, []).append(item)
        for email, group in by_person.items():
            state = states.setdefault(email, PersonState())
            apply_events(state, rules, (e.event for e in group), 500)
            total_of(state, rules, today)

    def pure() -> None:
        states: dict[str, PersonState] = {}
        for start in range(0, count, batch):
            scored(events[start : start + batch], states)

    def with_reading() -> None:
        states: dict[str, PersonState] = {}
        for start in range(0, count, batch):
            found, _ = read_all(rows[start : start + batch], "person_email")
            scored(found, states)

    return {
        "behaviour_events_scored_per_s": count / _best(5, pure),
        "behaviour_events_read_and_scored_per_s": count / _best(3, with_reading),
    }


class _Bus:
    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        pass


class _Routing:
    def record_mql(self, domain: str, at: datetime) -> str:
        return domain


class _Live:
    def current(self) -> Rules:
        return packaged_rules()


def writes_per_person(
    template: SamTemplate, batches: int = 3, batch: int = 2_000
) -> dict[str, float]:
    """On moto: each batch of events (many per person, duplicates included) costs one BatchGet
    per 100 people and ONE write call per person that changed."""
    os.environ.setdefault("AWS_REGION", "us-east-1")
    leadops.adapters.aws.client.cache_clear()
    rows = list(export_rows(batches * batch, people=400))
    with mock_aws():
        provision(template, None)
        people = People(template.physical_name("LeadsTable"))
        engagement = Engagement(_Live(), people, _Bus(), _Routing())
        writes = touched = 0
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            events, _ = read_all([*chunk, *chunk[:200]], "person_email")  # 200 redelivered
            with counting_aws() as calls:
                report = engagement.ingest(events, IngestReport())
            writes += calls["UpdateItem"] + calls["TransactWriteItems"] + calls["PutItem"]
            touched += report.people
    leadops.adapters.aws.client.cache_clear()
    print(f"  {batches} batches of {batch:,} events: {writes} write calls for {touched} people")
    return {"behaviour_dynamodb_writes_per_person_per_batch": writes / touched}


class _NullPeople:
    """Stores nothing: the memory measured is the import's own, not a store's."""

    def get_many(self, person_ids: list[str]) -> dict[str, StoredPerson]:
        return {}

    def get(self, person_id: str) -> StoredPerson | None:
        return None

    def save(self, person: StoredPerson, at: datetime) -> bool:
        return True

    def scored(self) -> Iterator[StoredPerson]:
        return iter([])


def _export_file(folder: Path, count: int) -> Path:
    path = folder / f"export-{count}.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        for row in export_rows(count, people=50_000):
            out.write(json.dumps(row, separators=(",", ":")) + "\n")
    return path


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as raw:
        while chunk := raw.read(64 * 1024):
            yield chunk


def import_memory(sizes: tuple[int, ...] = (100_000, 1_000_000)) -> dict[str, float]:
    """tracemalloc peak of the streamed import of a generated gzip JSON Lines export."""
    engagement = Engagement(_Live(), _NullPeople(), _Bus(), _Routing())
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = _export_file(Path(folder), size)
            tracemalloc.start()
            started = time.perf_counter()
            report, finished = ingest_lines(
                engagement, split_lines(gunzipped(_chunks(path))), "person_email", 5_000
            )
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            assert finished
            assert report.received == size
            print(f"  import of {size:,} events: peak {peak:.1f} MB, {elapsed:.0f} s (traced)")
            results[f"behaviour_import_peak_mb_{size}_events"] = peak
    first, last = (results[f"behaviour_import_peak_mb_{s}_events"] for s in sizes)
    results["behaviour_import_peak_1m_vs_100k"] = last / first
    return results
