"""One demo-request form submission, from validated body to stored decision (seed 001, "Demo
booking"). The decisions are the pure modules' (classification, scoring, qualification,
assignment); this module orders the I/O so that a failure never leaves half a lead:

- every read first (one BatchGetItem: replay? account profile? lockout?), then
- the support ticket message, sent *before* the lead is stored (a retry re-sends it; the worker's
  Zendesk idempotency key keeps it to one ticket), then
- one transaction that stores the lead, counts the rep's assignment and records the account's
  profile and ``demo_form`` signal, conditional on the lead being new, then
- the ``lead.qualified`` event.

A delivery that fails before the transaction stored nothing and may be retried; one that fails
after it is answered from the stored lead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.bedrock import BedrockClassifier
from leadops.adapters.events import LeadEvents
from leadops.adapters.leads_table import AlreadyStored, Intake, LeadsTable, lead_id_for
from leadops.adapters.queues import SupportQueue
from leadops.assignment import Rep, RepRole, pick
from leadops.classification import Label, Verdict
from leadops.lead_decision import Evaluation, decision_rule, evaluate, outcome_of
from leadops.models import CompanyInput, FormSubmission
from leadops.normalise import NormalisedLead
from leadops.qualification import SchedulerCheck, account_key
from leadops.rulebook import Rulebook
from leadops.services.live_rulebook import LiveRulebook
from leadops.tickets import SupportTicket

logger = Logger(child=True)

# Company fields remembered per account, to enrich later submissions that leave them out.
# Pairs are alternatives: a form that gives either one needs neither from memory.
_ALTERNATIVES = (("employees", "employees_range"), ("annual_revenue", "revenue_range"))
_SINGLE_FIELDS = ("name", "industry", "type", "founded_year", "country")
_PROFILE_FIELDS = _SINGLE_FIELDS + tuple(field for pair in _ALTERNATIVES for field in pair)


@dataclass(frozen=True)
class DemoRequests:
    """Everything the webhook needs, built once per container."""

    rules: LiveRulebook
    table: LeadsTable
    tickets: SupportQueue
    events: LeadEvents
    clock: Callable[[], datetime]
    ai: BedrockClassifier | None = None
    accounts: AccountsTable | None = None  # where routing signals go (the accounts table)

    def handle(self, submission: FormSubmission) -> dict[str, Any]:
        rules = self.rules.current()
        normaliser = rules.scorer.normaliser
        lead_id = lead_id_for(submission.submission_id)
        lead = normaliser.lead(submission)
        account = account_key(submission.email, lead.email_kind, submission.company.domain)
        domain = (self.accounts.name, self.accounts.domain_key(account)) if self.accounts else None
        intake = self.table.read_intake(lead_id, account, domain)
        if intake.lead is not None:
            logger.info("replayed submission", extra={"lead_id": lead_id})
            return _stored_answer(intake.lead)
        enriched = _enriched(submission, intake)
        if enriched is not submission:
            submission, lead = enriched, normaliser.lead(enriched)
        known = Known(bool((intake.profile or {}).get("customer")), _locked_until(intake.lockout))
        now = self.clock()
        evaluation = evaluate(
            submission,
            lead,
            is_customer=known.is_customer,
            locked_until=known.locked_until,
            now=now,
            rulebook=rules.rulebook,
            scorer=rules.scorer,
            second_opinion=self._second_opinion(self.ai, submission) if self.ai else None,
        )
        decision = _Decision(lead_id, evaluation, known)
        if evaluation.label is Label.SPAM:
            decision.reasons.append("dropped: kept in quarantine for audit, not routed")
            keep = timedelta(days=rules.rulebook.demo_booking.quarantine_days)
            return self._store(decision, submission, lead, account, now, expires=now + keep)
        if evaluation.label is Label.SUPPORT:
            decision.reasons.append("a Zendesk ticket will be created; no round robin")
            self.tickets.send(_ticket(submission, lead_id))
            return self._store(decision, submission, lead, account, now)
        self._assign(decision, evaluation, rules.rulebook)
        signal = []
        if self.accounts is not None:  # seed NB-1: "completed the book a demo form"
            routed_as = self.accounts.account_for(next(iter(intake.other), None), account)
            window = rules.rulebook.routing.signal_window_days
            signal.append(self.accounts.signal_put(routed_as, {"type": "demo_form"}, now, window))
        answer = self._store(decision, submission, lead, account, now, sales=True, also=signal)
        self._announce(answer, decision)
        return answer

    @staticmethod
    def _second_opinion(
        ai: BedrockClassifier, submission: FormSubmission
    ) -> Callable[[Verdict], Verdict]:
        return lambda verdict: _second_opinion(verdict, ai.classify(submission), ai.model_id)

    def _assign(self, decision: _Decision, evaluation: Evaluation, rulebook: Rulebook) -> None:
        """Round robin in the lead's territory; without an active TAE the lead waits."""
        check, territory = evaluation.scheduler, evaluation.territory
        if check is None or territory is None:
            raise ValueError("only a sales lead is assigned")
        decision.reasons.extend(check.reasons)
        pool = self.table.take_position(RepRole.TAE, territory)
        rep = pick(pool.reps, pool.position)
        decision.territory = territory
        if rep is None:
            decision.reasons.append(
                f"no active TAE in {territory}: the lead waits in manual review unassigned"
            )
        else:
            decision.reasons.append(
                f"assigned to {rep.name} by weighted round robin in {territory}"
            )
        decision.owner = rep
        decision.scheduler = (
            check if rep else SchedulerCheck(False, check.criteria_met, check.locked_out_until, ())
        )
        decision.outcome = outcome_of(Label.SALES, check, rep is not None)
        decision.rule = decision_rule(
            Label.SALES,
            check,
            evaluation.scores.lead_score.total,
            rep is not None,
            rulebook.demo_booking,
        )

    def _store(
        self,
        decision: _Decision,
        submission: FormSubmission,
        lead: NormalisedLead,
        account: str,
        now: datetime,
        *,
        expires: datetime | None = None,
        sales: bool = False,
        also: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        answer = decision.answer()
        record = {
            "answer": answer,
            "submission_id": submission.submission_id,
            "email": submission.email,
            "account": account,
            "territory": decision.territory,
            "outcome": answer["outcome"],
            "scores": decision.scores.as_dict(),
            "normalised": _normalised(lead),
            "received_at": now.isoformat(),
            "rule": decision.rule,
            # What the decision was made from, so a dry run can make it again under other rules.
            "submission": submission.model_dump(mode="json", exclude_none=True),
            "customer": decision.known.is_customer,
            "locked_until": decision.known.locked_until.isoformat()
            if decision.known.locked_until
            else None,
        }
        try:
            self.table.save_lead(
                decision.lead_id,
                record,
                received_at=now,
                account=account,
                owner_id=decision.owner.rep_id if decision.owner else None,
                profile=_profile(submission.company) if sales else None,  # enrichment memory
                expires_at=int(expires.timestamp()) if expires else None,
                also=also,
            )
        except AlreadyStored:
            # A concurrent delivery of the same submission won: answer as it did.
            logger.info("concurrent duplicate", extra={"lead_id": decision.lead_id})
            return _stored_answer(self.table.get_lead(decision.lead_id))
        logger.info(
            "lead decided",
            extra={
                "lead_id": decision.lead_id,
                "classification": answer["classification"],
                "outcome": answer["outcome"],
                "lead_score": answer["lead_score"],
                "icp_tier": answer["icp_tier"],
                "owner_id": decision.owner.rep_id if decision.owner else None,
                "rulebook_version": answer["rulebook_version"],
            },
        )
        return answer

    def _announce(self, answer: dict[str, Any], decision: _Decision) -> None:
        detail = {key: answer[key] for key in ("lead_id", "classification", "outcome")}
        detail |= {
            "lead_score": answer["lead_score"],
            "icp_score": answer["icp_score"],
            "icp_tier": answer["icp_tier"],
            "owner_id": decision.owner.rep_id if decision.owner else None,
            "territory": decision.territory,
            "rulebook_version": answer["rulebook_version"],
        }
        try:
            self.events.publish("lead.qualified", detail)
        except Exception:  # the lead is stored and answered; the event is a notification
            logger.exception("lead.qualified not published", extra={"lead_id": answer["lead_id"]})


@dataclass(frozen=True, slots=True)
class Known:
    """What was known about the lead's account when it was decided."""

    is_customer: bool
    locked_until: datetime | None


class _Decision:
    """The decision under construction; ``answer()`` is the webhook's contract."""

    def __init__(self, lead_id: str, evaluation: Evaluation, known: Known) -> None:
        self.lead_id = lead_id
        self.label = evaluation.label
        self.reasons = list(evaluation.verdict.reasons)
        self.scores = evaluation.scores
        self.known = known
        self.outcome = outcome_of(evaluation.label, None, has_rep=False)
        self.rule = evaluation.label.value  # spam / support; a sales lead's is set by _assign
        self.scheduler: SchedulerCheck | None = None
        self.owner: Rep | None = None
        self.territory: str | None = None

    def answer(self) -> dict[str, Any]:
        scheduler = self.scheduler or SchedulerCheck(False, (), None, ())
        owner = None
        if self.owner is not None:
            owner = {
                "id": self.owner.rep_id,
                "name": self.owner.name,
                "role": self.owner.role.value,
                "booking_url": str(self.owner.booking_url)
                if scheduler.eligible and self.owner.booking_url
                else None,
            }
        return {
            "lead_id": self.lead_id,
            "classification": self.label.value,
            "outcome": self.outcome.value,
            "lead_score": self.scores.lead_score.total,
            "icp_score": self.scores.icp_score.total,
            "icp_tier": self.scores.icp_score.tier,
            "scheduler": scheduler.as_dict(),
            "owner": owner,
            "reasons": self.reasons,
            "rulebook_version": self.scores.rulebook_version,
        }


def _second_opinion(verdict: Verdict, ai_label: Label | None, model_id: str) -> Verdict:
    """The AI classifier, when configured and answering, overrides the rules; each is a reason."""
    if ai_label is None:
        return Verdict(verdict.label, (*verdict.reasons, "AI classifier unavailable: rules used"))
    if ai_label is verdict.label:
        return Verdict(verdict.label, (*verdict.reasons, f"AI classifier ({model_id}) agrees"))
    return Verdict(
        ai_label,
        (*verdict.reasons, f"AI classifier ({model_id}) says {ai_label.value}, which wins"),
    )


def _stored_answer(item: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(item["doc"])["answer"]
    return answer


def _locked_until(lockout: dict[str, Any] | None) -> datetime | None:
    # TTL deletion lags by up to days: the expiry itself is checked in check_scheduler.
    return datetime.fromisoformat(lockout["locked_until"]) if lockout else None


def _enriched(submission: FormSubmission, intake: Intake) -> FormSubmission:
    """The submission with company fields it left out taken from the account's profile."""
    remembered = (intake.profile or {}).get("company") or {}
    given = submission.company.model_dump(exclude_none=True)
    fill = {f: remembered[f] for f in _SINGLE_FIELDS if f not in given and f in remembered}
    for pair in _ALTERNATIVES:
        if not any(field in given for field in pair):
            fill |= {field: remembered[field] for field in pair if field in remembered}
    if not fill:
        return submission
    company = CompanyInput.model_validate({**given, **fill})
    return submission.model_copy(update={"company": company})


def _profile(company: CompanyInput) -> dict[str, Any] | None:
    known = {field: getattr(company, field) for field in _PROFILE_FIELDS}
    known = {k: (str(v) if isinstance(v, float) else v) for k, v in known.items() if v is not None}
    return {"company": known} if known else None


def _normalised(lead: NormalisedLead) -> dict[str, Any]:
    return {
        "employees": lead.employees,
        "annual_revenue": lead.annual_revenue,
        "role": lead.role,
        "sub_role": lead.sub_role,
        "country": lead.country,
        "company_type": lead.company_type,
        "founded_year": lead.founded_year,
        "email_kind": lead.email_kind.value if lead.email_kind else None,
    }


def _ticket(submission: FormSubmission, lead_id: str) -> SupportTicket:
    name = " ".join(part for part in (submission.first_name, submission.last_name) if part)
    return SupportTicket(
        submission_id=submission.submission_id,
        lead_id=lead_id,
        requester_email=submission.email,
        requester_name=name or submission.email,
        subject=f"Demo form support request ({submission.company.name or 'company unknown'})",
        body=submission.message or "",
        tags=["leadops", "demo_form"],
    )
