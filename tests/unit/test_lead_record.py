"""The stored form of a lead's record (the lead item's ``doc``): exactly the JSON the webhook has
always written, read back to the same record; records from before dry runs still read."""

import json
from datetime import UTC, datetime

from leadops.lead_record import LeadRecord

AS_STORED = {
    "answer": {"lead_id": "ld_1", "classification": "sales", "icp_tier": "high",
               "owner": {"id": "tae-1"}, "reasons": ["Zoë's team"]},
    "submission_id": "sub-1",
    "email": "ada@acme-analytics.io",
    "account": "acme-analytics.io",
    "territory": "EMEA",
    "outcome": "instant_scheduler",
    "scores": {"lead_score": {"total": 40}},
    "normalised": {"employees": 300, "annual_revenue": 25000000},
    "received_at": "2026-11-23T09:30:00.123456+00:00",
    "rule": "instant:revenue+title",
    "submission": {"submission_id": "sub-1", "email": "ada@acme-analytics.io"},
    "customer": False,
    "locked_until": "2026-12-01T00:00:00+00:00",
}  # fmt: skip


def test_the_stored_json_is_written_and_read_field_for_field() -> None:
    text = json.dumps(AS_STORED, separators=(",", ":"))
    record = LeadRecord.from_json(text)
    assert record.to_json() == text
    assert record.received_at == datetime(2026, 11, 23, 9, 30, 0, 123456, tzinfo=UTC)
    assert (record.classification, record.icp_tier, record.owner_id) == ("sales", "high", "tae-1")


def test_a_record_from_before_dry_runs_reads_without_its_submission() -> None:
    old = {k: v for k, v in AS_STORED.items()
           if k not in ("rule", "submission", "customer", "locked_until")}  # fmt: skip
    record = LeadRecord.from_json(json.dumps(old))
    assert (record.rule, record.submission, record.customer) == (None, None, False)
    assert record.lead_input() is None
