"""Finish an enrichment that missed the webhook's deadline (the enrichment queue's worker).

One message per lead (``{"lead_id"}``): read the stored lead, look its company (and person) up
again, with retries, within the invocation's time; then re-score it from the stored submission
with the found values under the stored precedence, and replace the stored record (only while
its enrichment is still pending: a redelivery changes nothing), keeping the first decision's
scores in ``history``. The outcome shown stays: a booking link is never shown after the fact.
``lead.rescored`` goes to the bus when the scores changed.

A lookup that fails again fails the record: SQS delivers it again, and after the queue's
``maxReceiveCount`` moves it to the dead-letter queue. Logs carry the lead id, never the email.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, Json

from leadops.enrichment import merge, split_stored, with_sources
from leadops.errors import NotFound
from leadops.lead_record import LeadRecord
from leadops.models import LeadInput
from leadops.normalise import EmailKind
from leadops.ports import (
    EnrichmentCache,
    EnrichmentUnavailable,
    EventBus,
    RemainingTime,
    RulebookSource,
    StoredLeads,
)
from leadops.qualification import company_domain_key
from leadops.rules import Rules
from leadops.scoring import LeadScores
from leadops.services.demo_requests import normalised_view
from leadops.services.enrichment import Enricher, Enrichment
from leadops.services.queue_records import QueueRecord, deadline_of

logger = Logger(child=True)
STALE_S = 60  # a lead not stored a minute after its message was sent never will be


class LeadTask(BaseModel):
    lead_id: str


class EnrichmentRecord(QueueRecord):
    body: Json[LeadTask]


@dataclass
class EnrichmentWorker:
    rules: RulebookSource
    leads: StoredLeads
    cache: EnrichmentCache
    enricher: Enricher | None  # None: the stack names no provider (every lookup fails)
    events: EventBus
    clock: Callable[[], datetime]
    margin_s: float = 5.0

    def complete(
        self, record: EnrichmentRecord, lambda_context: RemainingTime | None = None
    ) -> str:
        """The lead's enrichment finished ("rescored", "unchanged" or "done" already); raises
        (the record fails, SQS retries it) when a provider fails again."""
        lead_id = record.body.lead_id
        try:
            stored = self.leads.get(lead_id).record
        except NotFound:
            if self._stale(record):  # its commit failed; a redelivery queued its own message
                logger.warning("no such lead: message dropped", extra={"lead_id": lead_id})
                return "gone"
            raise  # sent before the webhook's commit: the record fails, SQS retries it
        if (stored.enrichment or {}).get("status") != "pending":
            return "done"
        rules = self.rules.current()
        deadline = deadline_of(lambda_context, self.margin_s)
        budget = None if deadline is None else max(0.0, deadline - time.monotonic())
        enrichment = self._lookup(stored, rules, budget)
        if enrichment.status == "pending":
            logger.warning("enrichment still unavailable", extra={"lead_id": lead_id})
            raise EnrichmentUnavailable("enrichment still unavailable: retried later")
        self.cache.remember(enrichment.writes)
        rescored = rescore(stored, enrichment, rules, self.clock())
        if not self.leads.rescore(lead_id, rescored):
            return "done"
        if rescored.answer["lead_score"] == stored.answer["lead_score"] and (
            rescored.answer["icp_score"] == stored.answer["icp_score"]
        ):
            logger.info("enrichment changed no score", extra={"lead_id": lead_id})
            return "unchanged"
        self.events.publish("lead.rescored", rescored_event(lead_id, stored, rescored))
        logger.info("lead re-scored", extra={"lead_id": lead_id})
        return "rescored"

    def _stale(self, record: EnrichmentRecord) -> bool:
        """Sent over a minute ago (a message without its send time is taken as fresh)."""
        sent = record.attributes.SentTimestamp
        return sent.timestamp() > 0 and (self.clock() - sent).total_seconds() > STALE_S

    def _lookup(self, stored: LeadRecord, rules: Rules, budget: float | None) -> Enrichment:
        if self.enricher is None:
            raise EnrichmentUnavailable("no enrichment provider configured")
        submission = stored.lead_input()
        if submission is None:  # every lead stored with an enrichment state has one
            raise ValueError("a pending lead without its submission")
        domain = submission.email.rpartition("@")[2]
        kind = rules.scorer.normaliser.email_kind(domain)
        company = company_domain_key(submission.company.domain or domain)
        wanted = self.enricher.wanted(
            company if kind is EmailKind.WORK else None,
            submission.email,
            bool(submission.job_title or submission.role),
            rules.rulebook.enrichment,
        )
        cached = self.cache.cached(wanted.keys())
        return self.enricher.enrich(wanted, cached, rules.rulebook.enrichment, budget)


def rescore(stored: LeadRecord, enrichment: Enrichment, rules: Rules, now: datetime) -> LeadRecord:
    """The stored record re-scored with the enrichment's values: scores, answer figures, the
    values and their sources; the first decision moves to ``history``; the outcome stays."""
    submission = LeadInput.model_validate(stored.submission or {})
    layers = [*split_stored(stored.submission or {}, stored.sources or {}), enrichment.layer()]
    scored, sources = merge(submission, layers, rules.rulebook.enrichment.precedence)
    lead = rules.scorer.normaliser.lead(scored)
    scores = rules.scorer.score_normalised(lead)
    answer = _rescored_answer(stored.answer, scores, enrichment)
    first = {key: stored.answer[key] for key in ("lead_score", "icp_score", "icp_tier")}
    history = [
        *(stored.history or []),
        {
            **first,
            "outcome": stored.outcome,
            "rulebook_version": stored.answer["rulebook_version"],
            "scores": stored.scores,
            "decided_at": stored.received_at.isoformat(),
        },
    ]
    return stored.model_copy(
        update={
            "answer": answer,
            "scores": with_sources(scores.as_dict(), sources),
            "normalised": normalised_view(lead),
            "submission": scored.model_dump(mode="json", exclude_none=True),
            "sources": sources,
            "enrichment": enrichment.state(now),
            "history": history,
        }
    )


def _rescored_answer(
    answer: dict[str, Any], scores: LeadScores, enrichment: Enrichment
) -> dict[str, Any]:
    lead, icp = scores.lead_score, scores.icp_score
    by = ", ".join(enrichment.providers) or "no provider (nothing known)"
    reason = (
        f"re-scored after enrichment by {by}: lead score {answer['lead_score']} -> {lead.total}, "
        f"ICP {answer['icp_score']} -> {icp.total} ({icp.tier}); the outcome shown "
        f"({answer['outcome']}) stands: a booking link is never shown after the fact"
    )
    return {
        **answer,
        "lead_score": lead.total,
        "icp_score": icp.total,
        "icp_tier": icp.tier,
        "reasons": [*answer["reasons"], reason],
        "rulebook_version": scores.rulebook_version,
    }


def rescored_event(lead_id: str, before: LeadRecord, after: LeadRecord) -> dict[str, Any]:
    """``lead.rescored`` (the shared contract): ids and scores only."""
    keys = ("lead_score", "icp_score", "icp_tier")
    return {
        "lead_id": lead_id,
        **{key: after.answer[key] for key in keys},
        "owner_id": after.owner_id,
        "rulebook_version": after.answer["rulebook_version"],
        "previous": {key: before.answer[key] for key in keys},
    }
