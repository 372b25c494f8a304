"""The form-source API (IAM auth): PUT /form-sources/{source_id}, GET /form-sources/{source_id}
(docs/forms.md). A source names its vendor, its secret in Secrets Manager, the field mapping,
the browser origins allowed and what a visitor is shown."""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.adapters import aws
from leadops.adapters.leads_table import FormSources
from leadops.form_sources import FormSourceFields
from leadops.http.answers import answers
from leadops.http.answers.forms import FormSourceAnswer
from leadops.http.resolver import build_resolver, guard_body
from leadops.services import form_webhooks
from leadops.settings import FormSourcesApiSettings

logger = Logger()
app = build_resolver(logger, unavailable_on=aws.unavailable_errors())
settings = FormSourcesApiSettings.from_env()
sources = FormSources(settings.leads_table)


@app.put("/form-sources/<source_id>", responses=answers(FormSourceAnswer))
def put_source(source_id: str, body: FormSourceFields) -> dict[str, Any]:
    prefix = settings.form_secrets_prefix
    return form_webhooks.put_source(sources, source_id, body, prefix).model_dump(mode="json")


@app.get("/form-sources/<source_id>", responses=answers(FormSourceAnswer, 404))
def get_source(source_id: str) -> dict[str, Any]:
    return form_webhooks.get_source(sources, source_id).model_dump(mode="json")


@logger.inject_lambda_context(clear_state=True)
@guard_body(64 * 1024)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
