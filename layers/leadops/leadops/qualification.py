"""Who may book a call instantly (seed 001, "Demo booking"): not locked out by a recent
disqualification on the account, at least 2 of the 3 revenue / title / industry criteria, and a
lead score of at least 20; otherwise a TAE reviews the lead by hand. Pure: every step a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from leadops.normalise import EmailKind, NormalisedLead
from leadops.rulebook import DemoBooking, fold


class Outcome(StrEnum):
    INSTANT_SCHEDULER = "instant_scheduler"
    MANUAL_REVIEW = "manual_review"
    SUPPORT_TICKET = "support_ticket"
    DROPPED_SPAM = "dropped_spam"


@dataclass(frozen=True, slots=True)
class SchedulerCheck:
    eligible: bool
    criteria_met: tuple[str, ...]
    locked_out_until: datetime | None
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        until = self.locked_out_until.isoformat() if self.locked_out_until else None
        return {
            "eligible": self.eligible,
            "criteria_met": list(self.criteria_met),
            "locked_out_until": until,
        }


def account_key(email: str, email_kind: EmailKind | None, company_domain: str | None) -> str:
    """The account a lead belongs to: its company's domain, or for a free-mail or disposable
    address the address itself (never "gmail.com" for everyone)."""
    if email_kind is not EmailKind.WORK:  # free-mail, disposable, or unknown
        return email.lower()
    return company_domain_key(company_domain or email.rpartition("@")[2])


def company_domain_key(domain: str) -> str:
    """A company domain as accounts are keyed by it: lower case, without ``www.``."""
    return domain.lower().strip().removeprefix("www.")


def criteria_met(lead: NormalisedLead, industry: str | None, rules: DemoBooking) -> list[str]:
    criteria = rules.criteria
    met = []
    if lead.annual_revenue is not None and lead.annual_revenue >= criteria.revenue_min_usd:
        met.append("revenue")
    if lead.role in criteria.title_roles:
        met.append("title")
    if industry:
        padded = f" {fold(industry)} "
        if any(f" {fold(keyword)} " in padded for keyword in criteria.industry_keywords):
            met.append("industry")
    return met


def check_scheduler(
    lead: NormalisedLead,
    industry: str | None,
    lead_score: int,
    locked_until: datetime | None,
    now: datetime,
    rules: DemoBooking,
) -> SchedulerCheck:
    reasons = []
    locked = locked_until if locked_until is not None and locked_until > now else None
    if locked is not None:
        reasons.append(
            f"locked out until {locked.date().isoformat()}: a lead of this account was "
            f"disqualified within the last {rules.lockout_days} days"
        )
    met = criteria_met(lead, industry, rules)
    enough = len(met) >= rules.criteria_required
    reasons.append(
        f"{len(met)} of 3 criteria met ({', '.join(met) or 'none'}); "
        f"{rules.criteria_required} needed"
    )
    high_enough = lead_score >= rules.instant_scheduler_min_lead_score
    comparison = ">=" if high_enough else "<"
    reasons.append(f"lead score {lead_score} {comparison} {rules.instant_scheduler_min_lead_score}")
    eligible = locked is None and enough and high_enough
    reasons.append(
        "instant scheduler shown" if eligible else "manual review by a TAE: scheduler not shown"
    )
    return SchedulerCheck(eligible, tuple(met), locked, tuple(reasons))
