"""POST /webhooks/posthog: PostHog's HTTP Webhook destination (one event, a list, or
{"batch": [...]}), authenticated by the X-Leadops-Secret header; each event scored into its
person's behaviour state (leadops.services.engagement). A malformed event is reported and
counted, never failing the others; 5xx only when AWS failed (then PostHog retries)."""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws
from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.events import LeadEvents
from leadops.adapters.leads_table import People, Pools
from leadops.http.answers import answers
from leadops.http.answers.engagement import IngestAnswer
from leadops.http.resolver import build_resolver, guard_body
from leadops.http.shared_secret import require_shared_secret
from leadops.http.signature import secrets_from
from leadops.services.engagement import AccountMql, Engagement, PersonBusy, ingest_body
from leadops.services.live_rulebook import LiveRulebook
from leadops.settings import PostHogWebhookSettings

logger = Logger()
app = build_resolver(logger, unavailable_on=(*aws.unavailable_errors(), PersonBusy))
settings = PostHogWebhookSettings.from_env()
rules = LiveRulebook.of(settings.rulebook_table)
accounts = AccountsTable(settings.accounts_table)
engagement = Engagement(
    rules,
    People(settings.leads_table),
    LeadEvents(settings.event_bus_name),
    AccountMql(accounts, Pools(settings.leads_table), rules),
)


def webhook_secrets() -> list[str]:
    """The shared secret(s), cached for 5 minutes (a rotation is picked up within that)."""
    return secrets_from(str(aws.secret(settings.posthog_webhook_secret_arn, max_age=300)))


@app.post("/webhooks/posthog", responses=answers(IngestAnswer, 401))
def posthog_events() -> dict[str, Any]:
    return ingest_body(engagement, app.current_event.json_body, settings.posthog_person_key)


@logger.inject_lambda_context(clear_state=True)
@guard_body(1024 * 1024)
@require_shared_secret(webhook_secrets)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
