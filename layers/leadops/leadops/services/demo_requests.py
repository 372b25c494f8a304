"""One demo-request form submission, from validated body to stored decision (seed 001, "Demo
booking"). The decisions are the pure modules' (classification, scoring, qualification,
assignment, ``lead_decision.finalise``); this module orders the I/O, through the ports, so that a
failure never leaves half a lead:

- every read first (one read: replay? account profile? lockout? imported account, its plan and
  MRR, its routing owner?), then, for a sales lead, its rep: the account's owner when it has an
  active one of the rulebook's ``owner_roles`` (one GetItem of the rep, in place of the round
  robin's slot: ownership before round robin), else the next slot of the round robin, then
- the support ticket message, sent *before* the lead is stored (a retry re-sends it; the worker's
  Zendesk idempotency key keeps it to one ticket), then
- one unit of work that stores the lead, counts the rep's assignment and records the account's
  profile and ``demo_form`` signal, conditional on the lead being new, then
- the ``lead.qualified`` event.

A delivery that fails before the commit stored nothing and may be retried; one that fails after
it is answered from the stored lead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from leadops.assignment import Rep, RepRole, pick
from leadops.classification import Label, Verdict, second_opinion
from leadops.enrichment import account_values, with_sources
from leadops.lead_decision import Evaluation, Final, evaluate, finalise
from leadops.lead_record import Intake, LeadRecord, lead_id_for
from leadops.models import CompanyInput, FormSubmission
from leadops.normalise import NormalisedLead
from leadops.ports import (
    AlreadyStored,
    DemoRequestStore,
    EnrichmentTasks,
    EventBus,
    RepPools,
    RulebookSource,
    SecondOpinion,
    SubmissionWrites,
    TicketQueue,
)
from leadops.qualification import account_key
from leadops.rules import Rules
from leadops.services.enrichment import NOTHING, Enricher, Sourced, sourced, wanted_for
from leadops.tickets import SupportTicket

logger = Logger(child=True)

# Company fields remembered per account, to enrich later submissions that leave them out.
# Pairs are alternatives: a form that gives either one needs neither from memory.
_ALTERNATIVES = (("employees", "employees_range"), ("annual_revenue", "revenue_range"))
_SINGLE_FIELDS = ("name", "industry", "type", "founded_year", "country")
_PROFILE_FIELDS = _SINGLE_FIELDS + tuple(field for pair in _ALTERNATIVES for field in pair)


@dataclass(frozen=True, slots=True)
class _Decided:
    """One submission's decision, as the answer, the stored record and the event read it."""

    lead_id: str
    submission: FormSubmission  # as enriched from the account's profile
    lead: NormalisedLead
    account: str
    now: datetime
    intake: Intake
    evaluation: Evaluation
    final: Final
    reasons: list[str]
    owner: Rep | None
    values: Sourced  # where each value came from; the enrichment's answer
    enriching: bool  # enrichment was asked (its state is stored with the lead)


@dataclass(frozen=True)
class DemoRequests:
    """Everything the webhook needs, built once per container."""

    rules: RulebookSource
    store: DemoRequestStore
    pools: RepPools
    tickets: TicketQueue
    events: EventBus
    clock: Callable[[], datetime]
    ai: SecondOpinion | None = None
    # Enrichment (issue 13): None without a provider configured (behaviour as before it).
    enricher: Enricher | None = None
    enrichment_tasks: EnrichmentTasks | None = None

    def handle(self, submission: FormSubmission) -> dict[str, Any]:
        rules = self.rules.current()
        normaliser = rules.scorer.normaliser
        lead_id = lead_id_for(submission.submission_id)
        email_kind = normaliser.email_kind(submission.email.rpartition("@")[2])
        account = account_key(submission.email, email_kind, submission.company.domain)
        wanted = wanted_for(self.enricher, submission, email_kind, rules)
        if wanted is None:  # no enrichment: the read as it always was
            intake = self.store.read_intake(lead_id, account)
        else:  # the cached answers join the same BatchGetItem
            intake = self.store.read_intake(lead_id, account, wanted.keys())
        if intake.lead is not None:
            logger.info("replayed submission", extra={"lead_id": lead_id})
            return intake.lead.answer
        # An existing customer: flagged on its profile, or its imported account is paying.
        paying = rules.rulebook.customers.paying(intake.plan, intake.mrr)
        intake = replace(intake, customer=intake.customer or paying)
        enrichment = NOTHING
        if wanted is not None and self.enricher is not None:
            rulebook = rules.rulebook.enrichment
            enrichment = self.enricher.enrich(wanted, intake.enrichment_cache, rulebook)
        account_known = intake.company  # the profile: what the account's earlier forms said
        if self.enricher is not None:  # with enrichment, its imported snapshot first
            account_known = account_values(intake.snapshot_company, intake.company)
        values = sourced(submission, account_known, enrichment, rules)
        if not isinstance(values.scored, FormSubmission):  # merge keeps the model's class
            raise TypeError("a form submission merges into a form submission")
        submission = values.scored
        lead = normaliser.lead(submission)  # once: after enrichment, the only change it gets
        now = self.clock()
        evaluation = evaluate(
            submission,
            lead,
            is_customer=intake.customer,
            locked_until=intake.locked_until,
            now=now,
            rulebook=rules.rulebook,
            scorer=rules.scorer,
            second_opinion=self._second_opinion(submission),
        )
        reasons = [*evaluation.verdict.reasons, *enrichment.reasons]
        owner = self._route(evaluation, reasons, submission, lead_id, intake, rules)
        final = finalise(evaluation, owner is not None, rules.rulebook.demo_booking)
        decided = _Decided(
            lead_id, submission, lead, account, now, intake, evaluation, final, reasons, owner,
            values, wanted is not None,
        )  # fmt: skip
        return self._store(decided, rules)

    def _second_opinion(self, submission: FormSubmission) -> Callable[[Verdict], Verdict] | None:
        ai = self.ai
        return (lambda verdict: _second_opinion(verdict, ai, submission)) if ai else None

    def _route(
        self,
        evaluation: Evaluation,
        reasons: list[str],
        submission: FormSubmission,
        lead_id: str,
        intake: Intake,
        rules: Rules,
    ) -> Rep | None:
        """Where the lead goes: quarantine, a support ticket, or a rep (the one it returns)."""
        if evaluation.label is Label.SALES:
            roles = rules.rulebook.demo_booking.owner_roles
            return self._assign(evaluation, reasons, self._owner(intake, roles, reasons))
        if evaluation.label is Label.SUPPORT:
            reasons.append("a Zendesk ticket will be created; no round robin")
            self.tickets.send(_ticket(submission, lead_id))
        else:
            reasons.append("dropped: kept in quarantine for audit, not routed")
        return None

    def _owner(self, intake: Intake, roles: frozenset[str], reasons: list[str]) -> Rep | None:
        """The account's owner (its open routing assignment), if active and of a role that
        takes demo requests; None (and why, when there is an owner) for the round robin."""
        if intake.owner_id is None:
            return None
        if intake.owner_role not in roles:
            reasons.append(f"the account's owner is a {intake.owner_role}: round robin")
            return None
        rep = self.store.rep(intake.owner_id)
        if rep is None or not rep.active or rep.role.value not in roles:
            reasons.append("the account's owner is no longer an active rep: round robin")
            return None
        return rep

    def _assign(self, evaluation: Evaluation, reasons: list[str], owner: Rep | None) -> Rep | None:
        """The account's owner, else round robin in the lead's territory; without an active TAE
        the lead waits."""
        check, territory = evaluation.scheduler, evaluation.territory
        if check is None or territory is None:
            raise ValueError("only a sales lead is assigned")
        reasons.extend(check.reasons)
        if owner is not None:
            reasons.append(
                f"assigned to {owner.name} ({owner.role.value}), who already owns the account "
                "(its open routing assignment): ownership before round robin"
            )
            return owner
        pool = self.pools.take_position(RepRole.TAE, territory)
        rep = pick(pool.reps, pool.position)
        if rep is None:
            reasons.append(
                f"no active TAE in {territory}: the lead waits in manual review unassigned"
            )
        else:
            reasons.append(f"assigned to {rep.name} by weighted round robin in {territory}")
        return rep

    def _store(self, decided: _Decided, rules: Rules) -> dict[str, Any]:
        """One commit of everything the submission writes; the answer (a concurrent delivery's,
        if it stored the lead first)."""
        answer = _answer(decided)
        owner_id = decided.owner.rep_id if decided.owner else None
        sales = decided.evaluation.label is Label.SALES
        expires = None
        if decided.evaluation.label is Label.SPAM:
            keep = timedelta(days=rules.rulebook.demo_booking.quarantine_days)
            expires = int((decided.now + keep).timestamp())
        writes = self.store.writes()
        record = _record(decided, answer)
        writes.add_lead(decided.lead_id, record, owner_id=owner_id, expires_at=expires)
        if sales:
            if owner_id is not None:
                writes.count_assignment(owner_id)
            if company := _profile(decided.values.known):  # the account's memory
                writes.remember_profile(decided.account, company, decided.now)
            # seed NB-1: "completed the book a demo form"
            window = rules.rulebook.routing.signal_window_days
            writes.add_signal(decided.intake.routed_as, {"type": "demo_form"}, decided.now, window)
            # the person's fit, for their behaviour grade (issue 15)
            writes.remember_person(decided.submission.email, decided.lead_id, answer, decided.now)
            self._enrichment_writes(decided, writes)
        try:
            writes.commit()
        except AlreadyStored:
            # A concurrent delivery of the same submission won: answer as it did.
            logger.info("concurrent duplicate", extra={"lead_id": decided.lead_id})
            return self.store.lead(decided.lead_id).answer
        logger.info("lead decided", extra=_log_fields(answer, owner_id))
        if sales:
            self._announce(answer, owner_id, decided.evaluation.territory)
        return answer

    def _enrichment_writes(self, decided: _Decided, writes: SubmissionWrites) -> None:
        """Provider answers cached with the lead; a pending lookup queued for the worker before
        the commit (a lead whose commit then fails is retried by the vendor; the worker skips
        a lead it cannot find once its retries are used)."""
        for entry in decided.values.enrichment.writes:
            writes.remember_enrichment(entry)
        if decided.values.enrichment.status == "pending" and self.enrichment_tasks is not None:
            self.enrichment_tasks.send(decided.lead_id)

    def _announce(
        self, answer: dict[str, Any], owner_id: str | None, territory: str | None
    ) -> None:
        detail = {key: answer[key] for key in ("lead_id", "classification", "outcome")}
        detail |= {
            "lead_score": answer["lead_score"],
            "icp_score": answer["icp_score"],
            "icp_tier": answer["icp_tier"],
            "owner_id": owner_id,
            "territory": territory,
            "rulebook_version": answer["rulebook_version"],
        }
        try:
            self.events.publish("lead.qualified", detail)
        except Exception:  # the lead is stored and answered; the event is a notification
            logger.exception("lead.qualified not published", extra={"lead_id": answer["lead_id"]})


def _answer(decided: _Decided) -> dict[str, Any]:
    """The webhook's contract."""
    final, scores, owner = decided.final, decided.evaluation.scores, decided.owner
    shown = None
    if owner is not None:
        shown = {
            "id": owner.rep_id,
            "name": owner.name,
            "role": owner.role.value,
            "booking_url": str(owner.booking_url)
            if final.scheduler.eligible and owner.booking_url
            else None,
        }
    return {
        "lead_id": decided.lead_id,
        "classification": decided.evaluation.label.value,
        "outcome": final.outcome.value,
        "lead_score": scores.lead_score.total,
        "icp_score": scores.icp_score.total,
        "icp_tier": scores.icp_score.tier,
        "scheduler": final.scheduler.as_dict(),
        "owner": shown,
        "reasons": decided.reasons,
        "rulebook_version": scores.rulebook_version,
    }


def _record(decided: _Decided, answer: dict[str, Any]) -> LeadRecord:
    return LeadRecord(
        answer=answer,
        submission_id=decided.submission.submission_id,
        email=decided.submission.email,
        account=decided.account,
        territory=decided.evaluation.territory,
        outcome=answer["outcome"],
        scores=with_sources(decided.evaluation.scores.as_dict(), decided.values.sources),
        normalised=normalised_view(decided.lead),
        received_at=decided.now,
        rule=decided.final.rule,
        # What the decision was made from, so a dry run can make it again under other rules.
        submission=decided.submission.model_dump(mode="json", exclude_none=True),
        customer=decided.intake.customer,
        locked_until=decided.intake.locked_until,
        sources=decided.values.sources,
        enrichment=decided.values.enrichment.state(decided.now) if decided.enriching else None,
    )


def _log_fields(answer: dict[str, Any], owner_id: str | None) -> dict[str, Any]:
    keys = ("lead_id", "classification", "outcome", "lead_score", "icp_tier", "rulebook_version")
    return {**{key: answer[key] for key in keys}, "owner_id": owner_id}


def _second_opinion(verdict: Verdict, ai: SecondOpinion, submission: FormSubmission) -> Verdict:
    """Asks the AI classifier, telling it the rules' evidence; classification decides who wins."""
    return second_opinion(verdict, ai.classify(submission, verdict.reasons), ai.model_id)


def _profile(company: CompanyInput) -> dict[str, Any] | None:
    """The company fields to remember for the account; None when the form gave none."""
    known = {field: getattr(company, field) for field in _PROFILE_FIELDS}
    known = {k: (str(v) if isinstance(v, float) else v) for k, v in known.items() if v is not None}
    return known or None


def normalised_view(lead: NormalisedLead) -> dict[str, Any]:
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
