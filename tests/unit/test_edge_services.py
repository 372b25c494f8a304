"""The services behind the thin queue and S3 handlers, on in-memory fakes (no moto): the ICP
sync, the account import, the support tickets, and the SQS record models."""

import json
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from leadops.errors import VendorError
from leadops.icp_sync import DistinctIdSource, IcpPerson, IcpUpdate
from leadops.routing import AccountSnapshot
from leadops.rules import packaged_rules
from leadops.services.account_import import AccountImport, Upload
from leadops.services.icp_sync import IcpSync
from leadops.services.queue_records import RecordProcessor, SweepRecord
from leadops.services.support_tickets import SupportTickets, TicketRecord
from leadops.settings import AccountImportSettings
from leadops.tickets import SupportTicket
from tests.unit.rulebook_fakes import FixedRules

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


# --- ICP sync --------------------------------------------------------------------------------
class Ledger:
    """The leads table's ICP-sync side; like BatchGetItem, it refuses one key asked twice."""

    def __init__(self, people: dict[str, str | IcpPerson]) -> None:
        self.people_by_lead = {
            lead: person if isinstance(person, IcpPerson) else IcpPerson(person)
            for lead, person in people.items()
        }
        self.synced: dict[str, dict[str, Any]] = {}

    def people(self, lead_ids: list[str]) -> dict[str, IcpPerson]:
        assert len(lead_ids) == len(set(lead_ids)), "Provided list of item keys contains duplicates"
        return {lead: self.people_by_lead[lead] for lead in lead_ids if lead in self.people_by_lead}

    def last_sync(self, distinct_ids: list[str]) -> dict[str, dict[str, Any]]:
        assert len(distinct_ids) == len(set(distinct_ids))
        return {d: self.synced[d] for d in distinct_ids if d in self.synced}

    def remember_sync(self, sent: dict[str, tuple[int, str]], at: datetime) -> None:
        for distinct_id, (score, tier) in sent.items():
            self.synced[distinct_id] = {"icp_score": score, "icp_tier": tier}


class PostHog:
    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.batches: list[list[IcpUpdate]] = []
        self.deadlines: list[float | None] = []

    def send(self, updates: Iterable[IcpUpdate], deadline: float | None = None) -> int:
        self.deadlines.append(deadline)
        if self.down:
            raise VendorError("posthog answered 500", 500, True)
        self.batches.append(list(updates))
        return len(self.batches[-1])


class Context:
    """A Lambda context with ``left_ms`` left."""

    def __init__(self, left_ms: int) -> None:
        self.left_ms = left_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.left_ms


def _qualified(message_id: str, lead_id: str, score: int | None = 12) -> dict[str, Any]:
    detail = {"lead_id": lead_id, "icp_score": score, "icp_tier": "high", "rulebook_version": "v1"}
    return {"messageId": message_id, "body": json.dumps({"detail": detail})}


def test_one_batch_is_one_posthog_request_and_a_repeat_sends_nothing() -> None:
    ledger, posthog = Ledger({"l-1": "a@acme.io", "l-2": "b@acme.io"}), PostHog()
    sync = IcpSync(ledger, lambda: posthog, clock=lambda: NOW)
    assert sync.sync([_qualified("m-1", "l-1"), _qualified("m-2", "l-2")]) == []
    assert [[u.distinct_id for u in b] for b in posthog.batches] == [["a@acme.io", "b@acme.io"]]
    assert sync.sync([_qualified("m-1", "l-1")]) == []
    assert posthog.batches[-1] == []  # PostHog already has that score


def test_posthog_down_fails_every_message_and_an_unreadable_one_fails_alone() -> None:
    sync = IcpSync(Ledger({"l-1": "a@acme.io"}), lambda: PostHog(down=True))
    junk = {"messageId": "junk", "body": "not json"}
    assert sync.sync([junk, _qualified("m-1", "l-1")]) == ["junk", "m-1"]
    assert IcpSync(Ledger({}), PostHog).sync([junk, _qualified("m-1", "l-1")]) == ["junk"]


def test_one_lead_twice_in_a_batch_is_one_update_and_two_successes() -> None:
    ledger, posthog = Ledger({"l-1": "a@acme.io"}), PostHog()
    sync = IcpSync(ledger, lambda: posthog, clock=lambda: NOW)
    assert sync.sync([_qualified("m-1", "l-1"), _qualified("m-2", "l-1", score=14)]) == []
    (batch,) = posthog.batches
    assert [(u.distinct_id, u.icp_score) for u in batch] == [("a@acme.io", 14)]  # the later one


@pytest.mark.parametrize(
    "detail",
    [{"icp_score": None}, {"icp_score": "high"}, {"lead_id": None}, {"icp_tier": ""}],
)
def test_a_message_with_a_bad_field_fails_alone(detail: dict[str, Any]) -> None:
    posthog = PostHog()
    bad = json.loads(_qualified("bad", "l-2")["body"])
    bad["detail"].update(detail)
    sync = IcpSync(Ledger({"l-1": "a@acme.io", "l-2": "b@acme.io"}), lambda: posthog)
    records = [{"messageId": "bad", "body": json.dumps(bad)}, _qualified("m-1", "l-1")]
    assert sync.sync(records) == ["bad"]
    assert [[u.distinct_id for u in batch] for batch in posthog.batches] == [["a@acme.io"]]


def test_the_distinct_id_is_the_form_s_when_so_configured_else_the_email() -> None:
    people = {"l-1": IcpPerson("a@acme.io", "ph-visitor-1"), "l-2": IcpPerson("b@acme.io")}
    sources: list[tuple[DistinctIdSource, list[str]]] = [
        ("email", ["a@acme.io", "b@acme.io"]),
        ("form_field", ["ph-visitor-1", "b@acme.io"]),
    ]
    for source, expected in sources:
        posthog = PostHog()
        sync = IcpSync(Ledger(people), lambda p=posthog: p, distinct_id=source)  # type: ignore[misc]
        assert sync.sync([_qualified("m-1", "l-1"), _qualified("m-2", "l-2")]) == []
        assert [u.distinct_id for u in posthog.batches[0]] == expected


def test_the_posthog_request_is_bounded_by_the_lambda_s_time_left() -> None:
    posthog = PostHog()
    sync = IcpSync(Ledger({"l-1": "a@acme.io"}), lambda: posthog, margin_s=3.0)
    before = time.monotonic()
    sync.sync([_qualified("m-1", "l-1")], Context(left_ms=10_000))
    (deadline,) = posthog.deadlines
    assert deadline is not None
    assert before + 7.0 <= deadline <= time.monotonic() + 7.0  # 10 s left, less the margin


# --- account import --------------------------------------------------------------------------
class Bucket:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.reports: dict[str, dict[str, Any]] = {}

    @contextmanager
    def opened(self, bucket: str, key: str, version_id: str | None) -> Iterator[Any]:
        data = self.files.get(key)
        yield None if data is None else [data[i : i + 7] for i in range(0, len(data), 7)]

    def put_report(self, bucket: str, key: str, document: dict[str, Any]) -> None:
        self.reports[key] = document


class Store:
    def __init__(self) -> None:
        self.batches: list[list[AccountSnapshot]] = []

    def put_snapshots(self, snapshots: list[AccountSnapshot]) -> int:
        self.batches.append(list(snapshots))
        return 1


def _importer(bucket: Bucket, store: Store, **settings: int) -> AccountImport:
    config = AccountImportSettings.model_validate({"accounts_table": "t", **settings})
    return AccountImport(bucket, store, config, FixedRules(packaged_rules()), clock=lambda: NOW)


def test_an_upload_is_imported_in_batches_and_reported_beside_the_file() -> None:
    rows = b"".join(b'{"account_id": "a-%d"}\n' % i for i in range(5))
    bucket, store = Bucket({"in/a.jsonl": rows}), Store()
    (summary,) = _importer(bucket, store, import_batch_size=2).handle(
        [Upload("ObjectCreated:Put", "b", "in/a.jsonl")], lambda: 60_000
    )
    assert (summary["imported"], summary["report"]) == (5, "s3://b/in/a.jsonl.report.json")
    assert [len(batch) for batch in store.batches] == [2, 2, 1]
    assert bucket.reports["in/a.jsonl.report.json"]["imported"] == 5


def test_reports_deletions_and_gone_files_are_not_imported() -> None:
    bucket = Bucket({"in/a.jsonl.report.json": b"{}"})
    importer = _importer(bucket, Store())
    uploads = [
        Upload("ObjectCreated:Put", "b", "in/a.jsonl.report.json"),  # our own output
        Upload("ObjectRemoved:Delete", "b", "in/x.jsonl"),
        Upload("ObjectCreated:Put", "b", "in/gone.jsonl"),
    ]
    assert importer.handle(uploads, lambda: 60_000) == [
        {"source": "s3://b/in/gone.jsonl", "status": "missing"}
    ]
    assert bucket.reports == {}


# --- support tickets and SQS records ---------------------------------------------------------
TICKET = {"submission_id": "s-1", "requester_email": "ada@acme.io", "requester_name": "Ada",
          "subject": "Help"}  # fmt: skip


class Desk:
    """Zendesk: ``filed`` maps external ids to the tickets already there."""

    def __init__(self, refuse: bool = False, filed: dict[str, int] | None = None) -> None:
        self.refuse = refuse
        self.filed = dict(filed or {})
        self.keys: list[str] = []
        self.deadlines: list[float | None] = []

    def find_ticket(self, external_id: str, deadline: float | None = None) -> int | None:
        self.deadlines.append(deadline)
        return self.filed.get(external_id)

    def create_ticket(
        self, ticket: SupportTicket, idempotency_key: str, deadline: float | None = None
    ) -> int:
        if self.refuse:
            raise VendorError("zendesk answered 422 (RecordInvalid)", 422, False)
        self.keys.append(idempotency_key)
        self.filed[ticket.submission_id] = 1000 + len(self.keys)
        return self.filed[ticket.submission_id]


def _event(*bodies: str) -> dict[str, Any]:
    return {"Records": [{"messageId": f"m-{i}", "body": body, "eventSource": "aws:sqs"}
                        for i, body in enumerate(bodies, start=1)]}  # fmt: skip


def test_each_ticket_is_filed_under_its_submission_id_and_a_bad_body_fails_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    desk = Desk()
    tickets = SupportTickets(lambda: desk)
    processor = RecordProcessor(TicketRecord, refused="invalid support ticket message")
    bad = json.dumps({**TICKET, "submission_id": "s-2", "requester_email": "leaky"})
    answer = process_partial_response(
        event=_event(json.dumps(TICKET), bad), record_handler=tickets.file, processor=processor
    )
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert desk.keys == ["s-1"]
    (refused,) = [r for r in caplog.records if r.getMessage() == "invalid support ticket message"]
    assert refused.__dict__["fields"] == ["requester_email"]
    assert "leaky" not in str([r.__dict__ for r in caplog.records])


def test_a_refused_ticket_fails_its_record_and_a_batch_of_failures_raises() -> None:
    tickets = SupportTickets(lambda: Desk(refuse=True))
    processor = RecordProcessor(TicketRecord, refused="invalid support ticket message")
    with pytest.raises(BatchProcessingError):
        process_partial_response(
            event=_event(json.dumps(TICKET)), record_handler=tickets.file, processor=processor
        )


def test_a_sweep_task_that_does_not_parse_fails_alone() -> None:
    done: list[int] = []
    processor = RecordProcessor(SweepRecord, refused="invalid sweep task")
    task = json.dumps({"sweep_id": "s", "segment": 0, "total_segments": 2})
    answer = process_partial_response(
        event=_event(task, '{"sweep_id": "s"}'),
        record_handler=lambda record: done.append(record.body.segment),
        processor=processor,
    )
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert done == [0]


def test_a_ticket_found_by_its_external_id_is_not_created_again() -> None:
    desk = Desk(filed={"s-1": 77})
    tickets = SupportTickets(lambda: desk)
    processor = RecordProcessor(TicketRecord, refused="invalid support ticket message")
    other = json.dumps({**TICKET, "submission_id": "s-2"})
    answer = process_partial_response(
        event=_event(json.dumps(TICKET), other), record_handler=tickets.file, processor=processor
    )
    assert answer == {"batchItemFailures": []}
    assert desk.keys == ["s-2"]


def test_records_past_the_budget_fail_untried_and_the_rest_are_bounded_by_it() -> None:
    """With 1.5 s left and a 1 s margin, each call's deadline is 0.5 s away; with 0.5 s left
    nothing is tried and every record fails (the batch raises, SQS delivers it again)."""
    desk = Desk()
    tickets = SupportTickets(lambda: desk, margin_s=1.0)
    processor = RecordProcessor(TicketRecord, refused="invalid support ticket message")
    before = time.monotonic()
    process_partial_response(
        event=_event(json.dumps(TICKET)), record_handler=tickets.file, processor=processor,
        context=Context(left_ms=1_500),  # type: ignore[arg-type]
    )  # fmt: skip
    (deadline,) = desk.deadlines
    assert deadline is not None
    assert before + 0.5 <= deadline <= time.monotonic() + 0.5
    late = Desk()
    with pytest.raises(BatchProcessingError):
        process_partial_response(
            event=_event(json.dumps(TICKET)), record_handler=SupportTickets(lambda: late).file,
            processor=processor, context=Context(left_ms=500),  # type: ignore[arg-type]
        )  # fmt: skip
    assert (late.deadlines, late.keys) == ([], [])
