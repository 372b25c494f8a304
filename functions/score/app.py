"""POST /score: score one lead payload (lead score /70, ICP score /24) with the breakdown.

No state: parse the body, score it with the live rulebook (one GetItem a minute), answer.
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws
from leadops.http.answers import answers
from leadops.http.answers.decisions import ScoreAnswer
from leadops.http.resolver import build_resolver, guard_body
from leadops.models import MAX_BODY_BYTES_SCORE, LeadInput
from leadops.services.live_rulebook import LiveRulebook
from leadops.settings import ScoreSettings

logger = Logger()
app = build_resolver(logger, unavailable_on=aws.unavailable_errors())
settings = ScoreSettings.from_env()
rules = LiveRulebook.of(settings.rulebook_table)


@app.post("/score", responses=answers(ScoreAnswer))
def score(lead: LeadInput) -> dict[str, Any]:
    scores = rules.current().scorer.score(lead)
    logger.info(
        "lead scored",
        extra={
            "lead_score": scores.lead_score.total,
            "icp_score": scores.icp_score.total,
            "icp_tier": scores.icp_score.tier,
            "rulebook_version": scores.rulebook_version,
        },
    )
    return scores.as_dict()


@logger.inject_lambda_context(clear_state=True)
@guard_body(MAX_BODY_BYTES_SCORE)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
