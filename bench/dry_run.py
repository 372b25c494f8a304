"""Dry-run figure for `make bench`: stored leads re-decided under the live rules and a candidate
per second (pure: parse the stored record, decide twice, tally), and what that makes of a
window of 100,000 leads (CPU, plus the Query calls to read it, 250 leads a page)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from leadops.backtest import Tally, lead_decision, stored_lead_decisions
from leadops.lead_record import LeadRecord
from leadops.models import FormSubmission
from leadops.rules import Rules, packaged_rules

RECEIVED = datetime(2026, 11, 23, 9, tzinfo=UTC)


def _records(bodies: list[dict[str, Any]]) -> list[str]:
    """Lead items' ``doc`` as the webhook stores them (the fields a dry run reads)."""
    live = packaged_rules()
    docs = []
    for i, body in enumerate(bodies):
        submission = FormSubmission.model_validate({**body, "submission_id": f"s{i}"})
        decided = lead_decision(
            submission, live, is_customer=False, locked_until=None, received_at=RECEIVED
        )
        answer = {"classification": decided["classification"], "owner": {"id": "r1"}}
        record = LeadRecord(
            answer=answer,
            submission_id=submission.submission_id,
            email=submission.email,
            account=submission.email,
            territory=decided["territory"],
            outcome=decided["outcome"],
            scores={},
            normalised={},
            received_at=RECEIVED,
            rule=decided["rule"],
            submission=submission.model_dump(mode="json", exclude_none=True),
        )
        docs.append(record.to_json())
    return docs


def dry_run_throughput(bodies: list[dict[str, Any]]) -> dict[str, float]:
    current = packaged_rules()
    document = current.rulebook.model_dump(mode="json")
    document["version"] = "bench.1"
    document["demo_booking"]["instant_scheduler_min_lead_score"] = 35
    candidate = Rules.of(type(current.rulebook).model_validate(document), "candidate")
    docs = _records(bodies)
    best = float("inf")
    for _ in range(3):
        tally = Tally()
        start = time.perf_counter()
        for i, doc in enumerate(docs):
            pair = stored_lead_decisions(LeadRecord.from_json(doc), current, candidate)
            tally.add_lead(str(i), pair, "won" if i % 5 == 0 else None)
        best = min(best, time.perf_counter() - start)
    per_s = len(docs) / best
    return {
        "dry_run_leads_per_s": per_s,
        "dry_run_100000_leads_cpu_s": 100_000 / per_s,
        "dry_run_100000_leads_query_calls": 100_000 / 250,
    }
