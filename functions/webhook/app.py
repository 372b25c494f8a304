"""POST /webhooks/demo-request: a form vendor's demo-request submission, signed with HMAC.

Guards (size, signature) -> validation (FormSubmission) -> the layer decides and stores ->
the decision is the answer. 5xx only when nothing was stored, so the vendor retries.
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws, wiring
from leadops.http.answers import answers
from leadops.http.answers.decisions import DecisionAnswer
from leadops.http.resolver import build_resolver, guard_body, require_signature
from leadops.http.signature import secrets_from
from leadops.models import MAX_BODY_BYTES_WEBHOOK, FormSubmission
from leadops.settings import EnrichedWebhookSettings

logger = Logger()
app = build_resolver(logger, unavailable_on=aws.unavailable_errors())
settings = EnrichedWebhookSettings.from_env()
# Optional enrichment (issue 13): on when the stack names providers; no retries within the
# webhook's deadline, a lookup that misses it is finished by the enrichment worker.
demo_requests = wiring.enriched_demo_requests(settings)


def webhook_secrets() -> list[str]:
    """The shared secret(s), cached for 5 minutes (a rotation is picked up within that)."""
    value = aws.secret(settings.webhook_secret_arn, max_age=300)
    return secrets_from(str(value))


@app.post("/webhooks/demo-request", responses=answers(DecisionAnswer, 401))
def demo_request(submission: FormSubmission) -> dict[str, Any]:
    return demo_requests.handle(submission)


@logger.inject_lambda_context(clear_state=True)
@guard_body(MAX_BODY_BYTES_WEBHOOK)
@require_signature(webhook_secrets)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
