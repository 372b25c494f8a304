"""The Slack message (pure) and the Slack worker's use case on in-memory ports: one post per
lead, the claim a concurrent delivery loses, a failed post giving its claim back.

Block Kit limits the message is held to (Slack's Block Kit reference): a ``header`` block's
``plain_text`` is at most 150 characters, a ``section``'s ``text`` at most 3,000 and each of its
(at most 10) ``fields`` at most 2,000; in mrkdwn "&", "<" and ">" are control characters to be
escaped as ``&amp;``, ``&lt;``, ``&gt;`` (Slack's "Formatting text for app surfaces")."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadops.assignment import Rep, RepRole
from leadops.errors import NotFound, VendorError
from leadops.lead_record import LeadRecord, StoredLead
from leadops.services.slack_notify import SlackNotifier, SlackRecord
from leadops.slack_notice import HEADER_MAX, LeadNotice

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def stored(lead_id: str = "ld_1", owner: str | None = "grace", **submission: Any) -> StoredLead:
    answer = {
        "lead_id": lead_id, "classification": "sales", "outcome": "manual_review",
        "lead_score": 30, "icp_score": 12, "icp_tier": "medium",
        "owner": {"id": owner, "name": "Grace Hopper", "role": "TAE", "booking_url": None}
        if owner else None,
        "reasons": ["1 of 3 criteria met (revenue); 2 needed"], "rulebook_version": "v1",
    }  # fmt: skip
    form = {"first_name": "Ada", "last_name": "Lovelace", "job_title": "CTO",
            "company": {"name": "Acme"}, **submission}  # fmt: skip
    record = LeadRecord(
        answer=answer, submission_id="s-1", email="ada@acme.io", account="acme.io",
        territory="EMEA", outcome="manual_review", normalised={}, received_at=NOW,
        scores={"lead_score": {"total": 30, "max": 70}, "icp_score": {"total": 12, "max": 24}},
        submission=form,
    )  # fmt: skip
    return StoredLead(lead_id, "acme.io", owner, "manual:criteria", None, record)


def test_the_message_says_who_which_company_both_scores_the_outcome_and_where_to_look() -> None:
    notice = LeadNotice.of(stored())
    blocks = notice.blocks()
    assert [block["type"] for block in blocks] == ["header", "section", "section", "context"]
    fields = [field["text"] for field in blocks[1]["fields"]]
    assert fields == [
        "*Who*\nAda Lovelace, CTO",
        "*Company*\nAcme",
        "*Lead score*\n30 / 70",
        "*ICP score*\n12 / 24 (medium)",
        "*Outcome*\nManual review",
        "*Booking link*\nnot shown",
    ]
    assert blocks[2]["text"]["text"] == "*Why*\n• 1 of 3 criteria met (revenue); 2 needed"
    assert "`leadops explain ld_1` or `GET /leads/ld_1`" in blocks[3]["elements"][0]["text"]
    assert notice.text() == (
        "New demo request: Ada Lovelace, CTO at Acme. Lead score 30/70, ICP 12/24 (medium). "
        "Manual review."
    )


def test_what_the_form_sent_cannot_mention_or_link() -> None:
    notice = LeadNotice.of(stored(first_name="<!channel>", company={"name": "A&B <http://x|y>"}))
    rendered = json.dumps(notice.blocks()[1:]) + notice.text()
    assert "<!channel>" not in rendered
    assert "&lt;!channel&gt;" in rendered
    assert "A&amp;B &lt;http://x|y&gt;" in rendered


def test_long_values_are_cut_to_block_kit_limits() -> None:
    notice = LeadNotice.of(stored(first_name="A" * 500, job_title="T" * 5000))
    blocks = notice.blocks()
    assert len(blocks[0]["text"]["text"]) == HEADER_MAX
    assert all(len(field["text"]) <= 2000 for field in blocks[1]["fields"])
    assert len(notice.text()) <= 3000


def test_a_lead_stored_without_its_submission_still_reads() -> None:
    lead = stored()
    old = StoredLead(lead.lead_id, lead.account, None, None, None,
                     lead.record.model_copy(update={"submission": None}))  # fmt: skip
    notice = LeadNotice.of(old)
    assert notice.who == "Someone (no name given)"
    assert notice.blocks()[0]["text"]["text"] == "New demo request: ld_1"


# --- the use case on in-memory ports ----------------------------------------------------------
class MemoryLedger:
    def __init__(self, *leads: StoredLead, reps: dict[str, Rep] | None = None) -> None:
        self.leads = {lead.lead_id: lead for lead in leads}
        self.reps = reps or {}
        self.ts: dict[str, str] = {}
        self.claims: dict[str, tuple[str, datetime]] = {}

    def lead(self, lead_id: str) -> tuple[StoredLead, str | None]:
        if lead_id not in self.leads:
            raise NotFound("lead", lead_id)
        return self.leads[lead_id], self.ts.get(lead_id)

    def rep(self, rep_id: str) -> Rep | None:
        return self.reps.get(rep_id)

    def claim(self, lead_id: str, token: str, now: datetime, until: datetime) -> bool:
        held = self.claims.get(lead_id)
        if lead_id in self.ts or (held is not None and held[1] >= now):
            return False
        self.claims[lead_id] = (token, until)
        return True

    def posted(self, lead_id: str, channel: str, ts: str, at: datetime) -> bool:
        self.claims.pop(lead_id, None)
        return self.ts.setdefault(lead_id, ts) == ts

    def release(self, lead_id: str, token: str) -> bool:
        if self.claims.get(lead_id, ("", NOW))[0] != token:
            return False
        del self.claims[lead_id]
        return True


class MemorySlack:
    def __init__(self, fail: VendorError | None = None) -> None:
        self.posts: list[tuple[str, str]] = []
        self.fail = fail

    def post_message(
        self, channel: str, text: str, blocks: list[dict[str, Any]], deadline: float | None = None
    ) -> str:
        if self.fail is not None:
            raise self.fail
        self.posts.append((channel, text))
        return f"1700000000.{len(self.posts):06d}"


def record(lead_id: str = "ld_1") -> SlackRecord:
    body = {"id": "evt-1", "detail": {"lead_id": lead_id, "owner_id": "grace"}}
    return SlackRecord.model_validate(
        {"messageId": "m-1", "body": json.dumps(body), "eventSource": "aws:sqs"}
    )


GRACE = Rep(rep_id="grace", name="Grace Hopper", email="grace@seller.io", role=RepRole.TAE,
            team="new_business", territory="EMEA", weight=1, slack_user_id="U0GRACE01")  # fmt: skip


def notifier(ledger: MemoryLedger, slack: MemorySlack) -> SlackNotifier:
    return SlackNotifier(ledger, lambda: slack, "C0LEADS01", clock=lambda: NOW)


def test_one_post_per_lead_however_often_it_is_delivered() -> None:
    ledger, slack = MemoryLedger(stored(), reps={"grace": GRACE}), MemorySlack()
    assert notifier(ledger, slack).notify(record()) == "posted"
    assert notifier(ledger, slack).notify(record()) == "already posted"
    assert [channel for channel, _ in slack.posts] == ["U0GRACE01"]


def test_a_delivery_that_finds_a_live_claim_leaves_the_post_to_its_holder() -> None:
    ledger, slack = MemoryLedger(stored()), MemorySlack()
    ledger.claims["ld_1"] = ("someone-else", NOW + timedelta(seconds=30))
    assert notifier(ledger, slack).notify(record()) == "being posted"
    assert slack.posts == []
    ledger.claims["ld_1"] = ("someone-else", NOW - timedelta(seconds=1))  # it died: expired
    assert notifier(ledger, slack).notify(record()) == "posted"


def test_a_failed_post_gives_the_claim_back_and_fails_the_record() -> None:
    ledger = MemoryLedger(stored(owner=None))
    with pytest.raises(VendorError):
        notifier(ledger, MemorySlack(VendorError("slack answered 503", 503, True))).notify(record())
    assert ledger.claims == {}
    slack = MemorySlack()
    assert notifier(ledger, slack).notify(record()) == "posted"
    assert [channel for channel, _ in slack.posts] == ["C0LEADS01"]


def test_a_lead_that_is_not_stored_is_logged_and_not_retried() -> None:
    slack = MemorySlack()
    assert notifier(MemoryLedger(), slack).notify(record("ld_missing")) == "no such lead"
    assert slack.posts == []


def test_an_mql_notice_is_one_escaped_line_and_names_no_lead_without_one() -> None:
    from leadops.slack_notice import MqlNotice

    notice = MqlNotice.of(None, "<!channel>.io", 55, "A1")
    assert notice.text() == (
        "Someone at &lt;!channel&gt;.io became a marketing-qualified lead: "
        "behaviour score 55, grade A1"
    )
    assert [block["type"] for block in notice.blocks()] == ["section"]
