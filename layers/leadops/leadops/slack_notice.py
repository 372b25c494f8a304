"""What a rep reads in Slack about a qualified lead: pure data, rendered as Block Kit.

``LeadNotice.of`` takes what is stored with the lead (the submission, both score cards, the
outcome and reasons the webhook answered); ``blocks`` renders the message and ``text`` its
fallback (what notifications and screen readers show). Everything the form sent is untrusted:
it is escaped for Slack's mrkdwn (``&``, ``<``, ``>``), so a name cannot become a link or an
``@channel`` mention, and every text is cut to Block Kit's limits (header 150 characters, a
section field 2,000, a section text 3,000).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadops.lead_record import StoredLead

HEADER_MAX = 150
FIELD_MAX = 2000
TEXT_MAX = 3000
REASONS_MAX = 12  # the rest are one `leadops explain` away
_OUTCOMES = {
    "instant_scheduler": "Instant scheduler",
    "manual_review": "Manual review",
}


def escape(text: str) -> str:
    """Slack's three control characters in mrkdwn, as its formatting guide asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _card(scores: dict[str, Any], name: str, default_max: int) -> tuple[int, int]:
    card = scores.get(name)
    if not isinstance(card, dict):
        card = {}
    return int(card.get("total", 0)), int(card.get("max", default_max))


@dataclass(frozen=True, slots=True)
class LeadNotice:
    lead_id: str
    person: str | None  # first and last name as the form sent them
    title: str | None
    company: str | None  # the company's name, else its domain
    lead_score: int
    lead_max: int
    icp_score: int
    icp_max: int
    icp_tier: str
    outcome: str
    booking_shown: bool
    owner: str | None  # the assigned rep's name
    reasons: tuple[str, ...]
    rulebook_version: str

    @classmethod
    def of(cls, lead: StoredLead) -> LeadNotice:
        record = lead.record
        answer, submission = record.answer, record.submission or {}
        company = submission.get("company") or {}
        names = (submission.get("first_name"), submission.get("last_name"))
        owner = answer.get("owner") or {}
        lead_score, lead_max = _card(record.scores, "lead_score", 70)
        icp_score, icp_max = _card(record.scores, "icp_score", 24)
        return cls(
            lead_id=lead.lead_id,
            person=" ".join(n for n in names if n) or None,
            title=submission.get("job_title"),
            company=company.get("name") or company.get("domain"),
            lead_score=lead_score,
            lead_max=lead_max,
            icp_score=icp_score,
            icp_max=icp_max,
            icp_tier=str(answer.get("icp_tier", "")),
            outcome=record.outcome,
            booking_shown=bool(owner.get("booking_url")),
            owner=owner.get("name"),
            reasons=tuple(str(reason) for reason in answer.get("reasons", ())),
            rulebook_version=str(answer.get("rulebook_version", "")),
        )

    @property
    def who(self) -> str:
        person = self.person or "Someone (no name given)"
        return f"{person}, {self.title}" if self.title else person

    @property
    def outcome_label(self) -> str:
        return _OUTCOMES.get(self.outcome, self.outcome.replace("_", " ").capitalize())

    def text(self) -> str:
        """The fallback: one line, what a notification shows."""
        company = f" at {self.company}" if self.company else ""
        line = (
            f"New demo request: {self.who}{company}. Lead score {self.lead_score}/"
            f"{self.lead_max}, ICP {self.icp_score}/{self.icp_max} ({self.icp_tier}). "
            f"{self.outcome_label}."
        )
        return _cut(escape(line), TEXT_MAX)

    def blocks(self) -> list[dict[str, Any]]:
        """The Block Kit message: a header, the facts as fields, the reasons, where to look."""
        header = _cut(
            f"New demo request: {self.person or self.company or self.lead_id}", HEADER_MAX
        )
        booking = "shown to the visitor" if self.booking_shown else "not shown"
        facts = [
            ("Who", self.who),
            ("Company", self.company or "not given"),
            ("Lead score", f"{self.lead_score} / {self.lead_max}"),
            ("ICP score", f"{self.icp_score} / {self.icp_max} ({self.icp_tier})"),
            ("Outcome", self.outcome_label),
            ("Booking link", booking),
        ]
        return [
            {"type": "header", "text": {"type": "plain_text", "text": header}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": _cut(f"*{label}*\n{escape(value)}", FIELD_MAX)}
                    for label, value in facts
                ],
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": self._why()}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": self._where()}]},
        ]

    def _why(self) -> str:
        shown = [f"• {escape(reason)}" for reason in self.reasons[:REASONS_MAX]]
        if len(self.reasons) > REASONS_MAX:
            shown.append(f"• … {len(self.reasons) - REASONS_MAX} more")
        return _cut(
            "\n".join(["*Why*", *shown]) if shown else "*Why*\nno reasons recorded", TEXT_MAX
        )

    def _where(self) -> str:
        owner = f"Assigned to {escape(self.owner)} · " if self.owner else "No rep assigned · "
        return _cut(
            f"{owner}rulebook {escape(self.rulebook_version)} · the whole decision: "
            f"`leadops explain {self.lead_id}` or `GET /leads/{self.lead_id}`",
            TEXT_MAX,
        )


# --- issue 15: a person became a marketing-qualified lead -----------------------------------
@dataclass(frozen=True, slots=True)
class MqlNotice:
    """A ``lead.mql``: who (the stored lead's name and company, when the person has a lead;
    else the company's domain), the behaviour score and the grade."""

    lead_id: str | None
    person: str | None
    company: str | None
    behaviour_score: int
    grade: str

    @classmethod
    def of(
        cls, lead: StoredLead | None, domain: str | None, behaviour_score: int, grade: str
    ) -> MqlNotice:
        notice = LeadNotice.of(lead) if lead is not None else None
        return cls(
            lead_id=lead.lead_id if lead is not None else None,
            person=notice.person if notice is not None else None,
            company=(notice.company if notice is not None else None) or domain,
            behaviour_score=behaviour_score,
            grade=grade,
        )

    def text(self) -> str:
        """One line: "<who> became a marketing-qualified lead: behaviour score N, grade A1"."""
        who = self.person or "Someone"
        company = f" at {self.company}" if self.company else ""
        line = (
            f"{who}{company} became a marketing-qualified lead: behaviour score "
            f"{self.behaviour_score}, grade {self.grade}"
        )
        return _cut(escape(line), TEXT_MAX)

    def blocks(self) -> list[dict[str, Any]]:
        """The line as a section, and where to look (the lead, when there is one)."""
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": self.text()}}
        ]
        if self.lead_id:
            where = f"The lead: `leadops explain {self.lead_id}` or `GET /leads/{self.lead_id}`"
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": where}]})
        return blocks
