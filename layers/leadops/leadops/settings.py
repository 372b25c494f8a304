"""Each function's environment, read once at init into a pydantic model.

A field is read from the environment variable of the same name in capitals (``leads_table``
from ``LEADS_TABLE``). An empty variable counts as unset: the template passes ``""`` for an
optional parameter left empty (``AI_CLASSIFIER_MODEL_ID``). A missing or malformed variable
fails the init with a ``ValidationError`` naming the variable, so a function never serves a
request with half a configuration. template.yaml is where the values come from;
``tests/test_settings.py`` holds the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import InitErrorDetails

Name = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
Count = Annotated[int, Field(ge=1, le=1_000_000)]
Millis = Annotated[int, Field(ge=0)]
Model = TypeVar("Model", bound=BaseModel)


def from_environ(
    model: type[Model], variables: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> Model:
    """``model`` validated from ``variables`` (field -> environment variable name). Raises a
    pydantic ``ValidationError`` whose locations are the variables ("LEADS_TABLE"), with the
    field too where it is not the variable in lower case ("ZENDESK_BASE_URL (base_url)")."""
    env = os.environ if environ is None else environ
    values = {field: env[name] for field, name in variables.items() if env.get(name)}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise _by_variable(model.__name__, exc, variables) from None


def _by_variable(model: str, exc: ValidationError, variables: Mapping[str, str]) -> ValidationError:
    details: list[InitErrorDetails] = []
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        name = variables.get(field, "")
        where = f"{name} ({field})" if name and name.lower() != field else name
        detail = InitErrorDetails(
            type=error["type"],
            loc=(where, *error["loc"][1:]) if where else error["loc"],
            input=error["input"],
        )
        if "ctx" in error:
            detail["ctx"] = error["ctx"]
        details.append(detail)
    return ValidationError.from_exception_data(f"{model} environment", details, hide_input=True)


class FunctionSettings(BaseModel):
    """A function's variables; subclasses declare the fields."""

    # defer_build: a function builds the one model it reads, not all eleven, at init.
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True, defer_build=True)

    @classmethod
    def variables(cls) -> dict[str, str]:
        return {field: field.upper() for field in cls.model_fields}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        return from_environ(cls, cls.variables(), environ)


# Unset RULEBOOK_TABLE: the packaged rulebook only (every deployed function has the table).
class ScoreSettings(FunctionSettings):
    rulebook_table: Name | None = None


class DemoRequestSettings(FunctionSettings):
    """What deciding a demo request needs (leadops.adapters.wiring): the webhook, the form
    vendors' webhook and the public router all read these."""

    rulebook_table: Name | None = None
    leads_table: Name
    accounts_table: Name
    support_tickets_queue_url: Name
    event_bus_name: Name
    # Optional AI qualifier: on when a Bedrock model id is configured; the rules always run.
    ai_classifier_model_id: Name | None = None


class WebhookSettings(DemoRequestSettings):
    webhook_secret_arn: Name


class LeadsApiSettings(FunctionSettings):
    rulebook_table: Name | None = None
    leads_table: Name
    event_bus_name: Name  # lead.disqualified, lead.outcome (issue 14)


class AccountsApiSettings(FunctionSettings):
    rulebook_table: Name | None = None
    accounts_table: Name
    leads_table: Name
    event_bus_name: Name  # account.routed (issue 14)


class RulebookSettings(FunctionSettings):
    """The rulebook API and the dry-run worker share their tables and queue."""

    rulebook_table: Name
    leads_table: Name
    accounts_table: Name
    dry_run_queue_url: Name
    # How long POST /rulebook/dry-run works before it answers 202 and queues the rest.
    dry_run_sync_budget_ms: Millis = 20_000


class DryRunWorkerSettings(RulebookSettings):
    # Stop a slice this long before the Lambda timeout: time to store progress and re-queue.
    dry_run_margin_ms: Millis = 30_000


class SweepPlannerSettings(FunctionSettings):
    sweep_queue_url: Name
    sweep_segments: Annotated[int, Field(ge=1, le=1000)]


class SweepWorkerSettings(FunctionSettings):
    rulebook_table: Name | None = None
    accounts_table: Name
    leads_table: Name
    sweep_queue_url: Name
    sweep_page_size: Count = 500
    event_bus_name: Name  # account.routed (issue 14)


class AccountImportSettings(FunctionSettings):
    rulebook_table: Name | None = None
    accounts_table: Name
    import_batch_size: Count = 500
    import_progress_every: Count = 10_000
    # Stop this long before Lambda's timeout (at most a fifth of the run), so a file too big
    # for one run ends with a report (status "stopped"), not a timeout the retries repeat.
    import_reserve_ms: Millis = 30_000


class PostHogSyncSettings(FunctionSettings):
    leads_table: Name
    posthog_host: Name
    posthog_key_secret_arn: Name
    # Which PostHog person a lead is: its email, or the form's posthog_distinct_id (the email
    # when the form sent none). leadops.icp_sync.IcpPerson.
    posthog_distinct_id: Literal["email", "form_field"] = "email"


# --- enrichment (issue 13) ---------------------------------------------------------------------
# Set only when the stack names providers (template Condition UseEnrichment); unset, the webhook
# and /score behave and call AWS exactly as they did before enrichment existed.
class EnrichmentVariables(FunctionSettings):
    enrichment_providers: Name | None = None  # "clearbit,apollo,pdl": the order they are asked in
    enrichment_base_url: Name | None = None  # every provider at this host (a local stand-in)
    enrichment_keys_secret_arn: Name | None = None  # {"clearbit": "...", "apollo": ..., "pdl": ...}
    enrichment_timeout_ms: Annotated[int, Field(ge=50, le=60_000)] = 800  # per call
    enrichment_monthly_budget: Count = 10_000  # calls per provider per calendar month


class EnrichedWebhookSettings(WebhookSettings, EnrichmentVariables):
    enrichment_deadline_ms: Annotated[int, Field(ge=50, le=9_000)] = 1_500  # all lookups
    enrichment_queue_url: Name | None = None  # where a lookup past the deadline is finished


class EnrichedScoreSettings(ScoreSettings, EnrichmentVariables):
    leads_table: Name | None = None  # the enrichment cache and budget
    enrichment_deadline_ms: Annotated[int, Field(ge=50, le=9_000)] = 1_500


class EnrichmentWorkerSettings(EnrichmentVariables):
    rulebook_table: Name | None = None
    leads_table: Name
    event_bus_name: Name
    # Stop this long before the Lambda timeout: a lookup still unanswered then is retried.
    enrichment_margin_ms: Millis = 5_000


# --- engagement (issue 15) -------------------------------------------------------------------
class EngagementSettings(FunctionSettings):
    """What scoring PostHog events needs (the webhook and the batch-export import)."""

    rulebook_table: Name | None = None
    leads_table: Name
    accounts_table: Name
    event_bus_name: Name
    # How an event finds its person: the person's email property, or the distinct_id (for
    # sites that posthog.identify(email)). leadops.posthog_events.
    posthog_person_key: Literal["person_email", "distinct_id"] = "person_email"


class PostHogWebhookSettings(EngagementSettings):
    posthog_webhook_secret_arn: Name


class PostHogImportSettings(EngagementSettings):
    import_batch_size: Count = 5_000  # events per batch: one write per person per batch
    import_reserve_ms: Millis = 30_000  # stop this long before the timeout, with a report


class BehaviourSweepSettings(FunctionSettings):
    rulebook_table: Name | None = None
    leads_table: Name
    sweep_reserve_ms: Millis = 30_000


class PeopleApiSettings(FunctionSettings):
    rulebook_table: Name | None = None
    leads_table: Name


# --- the Slack destination (issue 14) ----------------------------------------------------------
class SlackNotifySettings(FunctionSettings):
    leads_table: Name
    slack_bot_token_secret_arn: Name
    slack_channel: Name  # the channel for leads whose rep has no slack_user_id (or no rep)
    slack_api_url: Name = "https://slack.com/api"


# --- form sources (issue 12) -----------------------------------------------------------------
class FormWebhookSettings(DemoRequestSettings):
    """POST /webhooks/forms/{source_id}: the demo-request webhook's tables, queue and bus; each
    source's secret is read by the name the source gives (IAM allows the stack's prefix only)."""


class FormSourcesApiSettings(FunctionSettings):
    leads_table: Name
    form_secrets_prefix: Name  # a source's secret_name must start with it (IAM allows no other)


# --- the public router (issue 12) ----------------------------------------------------------
class RouterSettings(DemoRequestSettings):
    """The public router decides as the webhook does (its tables, queue and bus), signs booking
    links with ROUTER_SECRET_ARN and, when ROUTER_TURNSTILE is "on", checks Cloudflare
    Turnstile with the secret in TURNSTILE_SECRET_ARN at TURNSTILE_SITEVERIFY_URL."""

    router_secret_arn: Name
    router_turnstile: Literal["on", "off"]
    turnstile_secret_arn: Name
    turnstile_siteverify_url: Name


# --- destinations (issue 14): the CRM sync workers -------------------------------------------
HttpBase = Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+/?$", max_length=300)]


class SalesforceSyncSettings(FunctionSettings):
    leads_table: Name
    salesforce_instance_url: HttpBase  # https://yourorg.my.salesforce.com
    salesforce_secret_arn: Name  # {"client_id", "client_secret"} of the connected app
    salesforce_api_version: Annotated[str, StringConstraints(pattern=r"^[0-9]{2,3}\.[0-9]$")] = (
        "62.0"
    )
    # JSON of leadops.crm_mapping.SalesforceMapping; unset: its defaults.
    salesforce_field_mapping: Annotated[str, StringConstraints(max_length=4096)] | None = None
    # Share of the org's daily API allowance (Sforce-Limit-Info) to slow down / stop at.
    salesforce_usage_slow_pct: int = Field(default=80, ge=1, le=100)
    salesforce_usage_stop_pct: int = Field(default=95, ge=1, le=100)


class HubSpotSyncSettings(FunctionSettings):
    leads_table: Name
    hubspot_api_url: HttpBase  # https://api.hubapi.com
    hubspot_token_secret_arn: Name  # the private app's access token
    # JSON of leadops.crm_mapping.HubSpotMapping; unset: its defaults.
    hubspot_property_mapping: Annotated[str, StringConstraints(max_length=4096)] | None = None
