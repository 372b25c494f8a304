"""``POST /score``: one lead scored by the live rulebook, with the breakdown; with
``"enrich": true`` enriched first exactly as the webhook enriches a demo request (issue 13):
the same cache, budget, deadline and precedence, every item then saying where its value came
from. Nothing is stored but the providers' answers in the cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from leadops.enrichment import with_sources
from leadops.models import LeadInput, ScoreRequest
from leadops.ports import EnrichmentCache, RulebookSource
from leadops.services.enrichment import NOTHING, Enricher, sourced, wanted_for

logger = Logger(child=True)


@dataclass(frozen=True)
class AdHocScores:
    rules: RulebookSource
    enricher: Enricher | None = None
    cache: EnrichmentCache | None = None

    def score(self, request: ScoreRequest) -> dict[str, Any]:
        rules = self.rules.current()
        lead = LeadInput.model_validate(request.model_dump(exclude={"enrich"}))
        if not request.enrich:
            scores = rules.scorer.score(lead)
            self._log(scores.as_dict())
            return scores.as_dict()
        normaliser = rules.scorer.normaliser
        kind = normaliser.email_kind(lead.email.rpartition("@")[2])
        wanted = wanted_for(self.enricher, lead, kind, rules)
        enrichment = NOTHING
        if wanted is not None and self.enricher is not None and self.cache is not None:
            cached = self.cache.cached(wanted.keys())
            enrichment = self.enricher.enrich(wanted, cached, rules.rulebook.enrichment)
            self.cache.remember(enrichment.writes)
        values = sourced(lead, {}, enrichment, rules)
        answer = with_sources(rules.scorer.score(values.scored).as_dict(), values.sources)
        answer["enrichment"] = {**enrichment.state(_now()), "reasons": list(enrichment.reasons)}
        if self.enricher is None:
            answer["enrichment"]["reasons"] = ["enrichment is off: the stack names no provider"]
        self._log(answer)
        return answer

    @staticmethod
    def _log(answer: dict[str, Any]) -> None:
        logger.info(
            "lead scored",
            extra={
                "lead_score": answer["lead_score"]["total"],
                "icp_score": answer["icp_score"]["total"],
                "icp_tier": answer["icp_score"]["tier"],
                "rulebook_version": answer["rulebook_version"],
            },
        )


def _now() -> datetime:
    return datetime.now(UTC)
