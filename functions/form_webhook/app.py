"""POST /webhooks/forms/{source_id}: a form vendor's own webhook delivery (Typeform, Tally,
Webflow, HubSpot, Jotform, or ours), verified the vendor's way, mapped by the form source and
decided as /webhooks/demo-request decides (docs/forms.md). A function of its own, so the demo
request webhook's cold start stays as it was.
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws, wiring
from leadops.adapters.leads_table import FormSources
from leadops.http.answers import answers
from leadops.http.answers.decisions import DecisionAnswer
from leadops.http.deliveries import answer_refusals, guard_raw_body, signed_request
from leadops.http.resolver import build_resolver
from leadops.http.signature import secrets_from
from leadops.models import MAX_BODY_BYTES_WEBHOOK
from leadops.services.form_webhooks import FormWebhooks
from leadops.settings import FormWebhookSettings

logger = Logger()
app = build_resolver(logger, unavailable_on=aws.unavailable_errors())
answer_refusals(app)
settings = FormWebhookSettings.from_env()
demo_requests = wiring.demo_requests(settings)


def source_secrets(secret_name: str) -> list[str]:
    """A source's secret value(s), cached for 5 minutes (a rotation is picked up within that)."""
    return secrets_from(str(aws.secret(secret_name, max_age=300)))


# A changed source (PUT /form-sources/{id}) is seen by deliveries within a minute.
form_webhooks = FormWebhooks(FormSources(settings.leads_table, 60), source_secrets, demo_requests)


@app.post("/webhooks/forms/<source_id>", responses=answers(DecisionAnswer, 401, 404))
def form_delivery(source_id: str) -> dict[str, Any]:
    return form_webhooks.handle(source_id, signed_request(app.current_event.raw_event))


@logger.inject_lambda_context(clear_state=True)
@guard_raw_body(MAX_BODY_BYTES_WEBHOOK)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
