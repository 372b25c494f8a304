"""GET /people/{email}/score (IAM auth): a person's fit (their latest stored lead's scores),
behaviour score with every point explained, fit x engagement grade and MQL status."""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws
from leadops.adapters.leads_table import People
from leadops.http.answers import answers
from leadops.http.answers.engagement import PersonScoreAnswer
from leadops.http.resolver import build_resolver, guard_body
from leadops.services.engagement import read_person_score
from leadops.services.live_rulebook import LiveRulebook
from leadops.settings import PeopleApiSettings

logger = Logger()
app = build_resolver(logger, unavailable_on=aws.unavailable_errors())
settings = PeopleApiSettings.from_env()
people = People(settings.leads_table)
rules = LiveRulebook.of(settings.rulebook_table)


@app.get("/people/<email>/score", responses=answers(PersonScoreAnswer))
def person_score(email: str) -> dict[str, Any]:
    return read_person_score(people, rules.current(), email, datetime.now(UTC))


@logger.inject_lambda_context(clear_state=True)
@guard_body(16 * 1024)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
