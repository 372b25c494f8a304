"""Each function's environment is read once, at init, into its settings model (leadops.settings):
the model and template.yaml agree on the variables, and a missing or malformed variable fails
the init with an error naming it."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from leadops.settings import FunctionSettings, WebhookSettings
from leadops_local.runtime import LocalFunction
from leadops_local.template import Function, SamTemplate
from tests.helpers import ROOT, TEMPLATE

# The optional parts switched on, so the PostHog sync, Slack, Salesforce and HubSpot exist too.
STACK = SamTemplate.load(
    TEMPLATE,
    {
        "PostHogHost": "http://127.0.0.1:9",
        "SlackChannel": "C0LEADS01",
        "SalesforceInstanceUrl": "http://127.0.0.1:9",
        "HubSpotApiUrl": "http://127.0.0.1:9",
    },
)
FUNCTIONS = {function.logical_id: function for function in STACK.functions()}


def _own_variables(function: Function) -> set[str]:
    """What the template gives the function beyond Powertools' and Lambda's own."""
    return {name for name in function.variables if not name.startswith("POWERTOOLS_")}


@pytest.fixture(scope="module")
def loaded() -> dict[str, LocalFunction]:
    functions = {name: LocalFunction(function) for name, function in FUNCTIONS.items()}
    for function in functions.values():
        function.handler()
    return functions


def test_every_function_reads_exactly_the_variables_the_template_gives_it(
    loaded: dict[str, LocalFunction],
) -> None:
    for name, function in loaded.items():
        model = type(vars(function.module)["settings"])
        given = _own_variables(FUNCTIONS[name])
        if not issubclass(model, FunctionSettings):  # ZendeskSettings: its own ZENDESK_* names
            assert all(variable.startswith("ZENDESK_") for variable in given), name
            continue
        read = set(model.variables().values())
        required = {
            field.upper() for field, info in model.model_fields.items() if info.is_required()
        }
        assert given <= read, (name, given - read)  # nothing configured goes unread
        assert required <= given, (name, required - given)  # nothing required goes unset


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_a_missing_variable_fails_the_init_naming_it(name: str) -> None:
    variables = _own_variables(FUNCTIONS[name])
    optional = {"RULEBOOK_TABLE", "AI_CLASSIFIER_MODEL_ID", "ZENDESK_SECRET_ARN",
                "ZENDESK_TIMEOUT_S", "ZENDESK_RETRIES", "POSTHOG_DISTINCT_ID",
                "SLACK_API_URL",
                "SALESFORCE_API_VERSION", "SALESFORCE_FIELD_MAPPING", "SALESFORCE_USAGE_SLOW_PCT",
                "SALESFORCE_USAGE_STOP_PCT", "HUBSPOT_PROPERTY_MAPPING",
                "POSTHOG_PERSON_KEY"}  # fmt: skip
    for variable in sorted(variables - optional):
        with pytest.raises(ValidationError, match=re.escape(variable)):
            LocalFunction(FUNCTIONS[name], {variable: ""}).handler()


def test_a_malformed_variable_fails_the_init_naming_it() -> None:
    planner = LocalFunction(FUNCTIONS["SweepPlannerFunction"], {"SWEEP_SEGMENTS": "many"})
    with pytest.raises(ValidationError, match="SWEEP_SEGMENTS") as raised:
        planner.handler()
    assert "many" not in str(raised.value)  # values stay out of errors (some are secrets' ARNs)


def test_an_empty_optional_variable_is_unset() -> None:
    env = dict.fromkeys(WebhookSettings.variables().values(), "x")
    assert (
        WebhookSettings.from_env({**env, "AI_CLASSIFIER_MODEL_ID": ""}).ai_classifier_model_id
        is None
    )
    assert WebhookSettings.from_env(env).ai_classifier_model_id == "x"


@pytest.mark.parametrize(
    "app", sorted(ROOT.glob("functions/*/app.py")), ids=lambda p: p.parent.name
)
def test_no_handler_reads_the_environment_itself(app: Path) -> None:
    text = app.read_text(encoding="utf-8")
    assert "os.environ" not in text
    assert "getenv" not in text
