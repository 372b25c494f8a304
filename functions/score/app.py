"""POST /score: score one lead payload (lead score /70, ICP score /24) with the breakdown.

No state: parse the body, score it with the live rulebook (one GetItem a minute), answer. With
``"enrich": true`` and providers configured, the lead is enriched first as the webhook does.
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws
from leadops.adapters.enrichment import build_enricher
from leadops.adapters.leads_table import EnrichmentItems
from leadops.http.answers import answers
from leadops.http.answers.decisions import ScoreAnswer
from leadops.http.resolver import build_resolver, guard_body
from leadops.models import MAX_BODY_BYTES_SCORE, ScoreRequest
from leadops.services.ad_hoc_score import AdHocScores
from leadops.services.live_rulebook import LiveRulebook
from leadops.settings import EnrichedScoreSettings

logger = Logger()
app = build_resolver(logger, unavailable_on=aws.unavailable_errors())
settings = EnrichedScoreSettings.from_env()
scores = AdHocScores(
    rules=LiveRulebook.of(settings.rulebook_table),
    # Optional enrichment (issue 13): only with providers named (and the cache's table).
    enricher=build_enricher(settings, settings.leads_table, settings.enrichment_deadline_ms, 0),
    cache=EnrichmentItems(table) if (table := settings.leads_table) else None,
)


@app.post("/score", responses=answers(ScoreAnswer))
def score(lead: ScoreRequest) -> dict[str, Any]:
    return scores.score(lead)


@logger.inject_lambda_context(clear_state=True)
@guard_body(MAX_BODY_BYTES_SCORE)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
