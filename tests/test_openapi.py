"""The OpenAPI document: generated from the functions' resolvers, committed as docs/openapi.json
(fresh), one response model per route that real answers fit, served by the local API."""

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from pydantic import BaseModel

from leadops.http import answers
from leadops.http.answers import accounts, decisions, engagement, forms, leads, router, rulebook
from leadops.rulebook import load_rulebook
from leadops_local.openapi import document_json, http_functions
from leadops_local.runtime import LocalFunction
from leadops_local.server import LocalApi
from leadops_local.template import SamTemplate
from tests.form_vendors import body_of, delivery_event, sample, source
from tests.helpers import (
    POSTHOG_WEBHOOK_SECRET,
    ROOT,
    SALES,
    SCORE_BODY,
    call,
    deliver,
    http_event,
)

COMMITTED = ROOT / "docs" / "openapi.json"
# Routes that answer HTML, JavaScript or no body (the public router's pages and snippet).
NOT_JSON = {"/router", "/router/book/{token}", "/leadops.js", "/router/forms/{source_id}/submit"}
TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture(scope="module")
def generated() -> str:
    return document_json(http_functions(SamTemplate.load(ROOT / "template.yaml")))


def test_the_committed_document_is_the_generated_one(generated: str) -> None:
    assert COMMITTED.read_text(encoding="utf-8") == generated, "stale: run `make openapi`"


def test_every_route_of_the_template_is_documented_with_a_response_model(
    generated: str, template: SamTemplate
) -> None:
    paths = json.loads(generated)["paths"]
    documented = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert documented == {(route.method, route.path) for route in template.routes()}
    for path, item in paths.items():
        for operation in item.values():
            for status, answer in operation["responses"].items():
                if "application/json" not in answer["content"]:  # a page, the script, a 204
                    assert path in NOT_JSON, (path, status)
                    continue
                schema = answer["content"]["application/json"]["schema"]["$ref"]
                model = schema.removeprefix("#/components/schemas/")
                assert model == "ErrorAnswer" if int(status) >= 400 else model.endswith("Answer")


def _model_of(document: dict[str, Any], method: str, path: str, status: int) -> type[BaseModel]:
    responses = document["paths"][path][method.lower()]["responses"]
    ref = responses[str(status)]["content"]["application/json"]["schema"]["$ref"]
    name = ref.rsplit("/", 1)[1]
    modules = (answers, decisions, leads, accounts, rulebook, forms, router, engagement)
    found: set[type[BaseModel]] = {getattr(m, name) for m in modules if hasattr(m, name)}
    (model,) = found  # one model of that name (a module that imports one finds the same)
    return model


def _fits(model: type[BaseModel], answer: dict[str, Any]) -> None:
    """The answer validates, and the model names every key of it (nothing undocumented)."""
    model.model_validate(answer)
    names = {field.alias or name for name, field in model.model_fields.items()}
    assert set(answer) <= names, (model.__name__, set(answer) - names)


def test_real_answers_fit_their_documented_models(generated: str, aws: SamTemplate) -> None:
    fn = {name: LocalFunction(aws.function(name)) for name in
          ("ScoreFunction", "WebhookFunction", "LeadsApiFunction", "AccountsApiFunction",
           "RulebookApiFunction", "RouterFunction", "PostHogWebhookFunction",
           "PeopleApiFunction")}  # fmt: skip
    seen: list[tuple[str, str, int, Any]] = []

    def request(name: str, method: str, path: str, route: str, body: Any = None) -> Any:
        status, answer = call(fn[name], method, path, body)
        seen.append((method, route, status, answer))
        return answer

    request("ScoreFunction", "POST", "/score", "/score", SCORE_BODY)
    rep = {"name": "Rep 1", "email": "tae-1@seller.io", "role": "TAE", "team": "new_business",
           "territory": "EMEA", "weight": 1,
           "booking_url": "https://cal.example.com/tae-1"}  # fmt: skip
    request("LeadsApiFunction", "PUT", "/reps/tae-1", "/reps/{rep_id}", rep)
    request("LeadsApiFunction", "GET", "/reps", "/reps")
    request("LeadsApiFunction", "GET", "/reps/tae-1", "/reps/{rep_id}")
    status, decision = deliver(fn["WebhookFunction"], SALES)
    seen.append(("POST", "/webhooks/demo-request", status, decision))
    lead = f"/leads/{decision['lead_id']}"
    request("LeadsApiFunction", "POST", f"{lead}/outcome", "/leads/{lead_id}/outcome",
            {"outcome": "won", "amount": 10})  # fmt: skip
    request("LeadsApiFunction", "GET", lead, "/leads/{lead_id}")
    request("LeadsApiFunction", "POST", f"{lead}/disqualify", "/leads/{lead_id}/disqualify",
            {"reason": "spam"})  # fmt: skip
    request("AccountsApiFunction", "POST", "/accounts/acme/signals",
            "/accounts/{account_id}/signals", {"type": "demo_form"})  # fmt: skip
    request("AccountsApiFunction", "GET", "/accounts/acme", "/accounts/{account_id}")
    rules = "RulebookApiFunction"
    request(rules, "GET", "/rulebook", "/rulebook")
    candidate = {**load_rulebook().model_dump(mode="json"), "version": "2099-01-01.1"}
    request(rules, "PUT", "/rulebook", "/rulebook", candidate)
    request(rules, "GET", "/rulebook/versions", "/rulebook/versions")
    request(rules, "GET", "/rulebook/versions/2099-01-01.1", "/rulebook/versions/{version}")
    request(rules, "POST", "/rulebook/rollback", "/rulebook/rollback", {"version": "2099-01-01.1"})
    window = {"rulebook": candidate, "from": TODAY, "to": TODAY}
    job = request(rules, "POST", "/rulebook/dry-run", "/rulebook/dry-run", window)
    request(rules, "GET", f"/rulebook/dry-run/{job['job_id']}", "/rulebook/dry-run/{job_id}")
    one = {"rulebook": candidate, "lead": SCORE_BODY}
    request(rules, "POST", "/rulebook/dry-run", "/rulebook/dry-run", one)
    request(rules, "GET", f"/reports/conversion?by=rule&from={TODAY}", "/reports/conversion")
    seen.extend(_form_answers(aws))  # forms: issue 12
    posthog = json.loads((ROOT / "events/posthog/webhook.json").read_text(encoding="utf-8"))
    hook = fn["PostHogWebhookFunction"].invoke(http_event("POST", "/webhooks/posthog",
        json.dumps(posthog), headers={"x-leadops-secret": POSTHOG_WEBHOOK_SECRET}))  # fmt: skip
    seen.append(("POST", "/webhooks/posthog", hook["statusCode"], json.loads(hook["body"])))
    request("PeopleApiFunction", "GET", f"/people/{SALES['email']}/score", "/people/{email}/score")
    events = {"rulebook": candidate, "events": [posthog]}
    request(rules, "POST", "/rulebook/dry-run", "/rulebook/dry-run", events)

    seen.append(("POST", "/router/forms/{source_id}/submit", *_routed(fn["RouterFunction"], aws)))
    document = json.loads(generated)
    assert {(m, p) for m, p, _, _ in seen} == {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if not NOT_JSON_ONLY.intersection({(method.upper(), path)})
    }
    for method, route, status, answer in seen:
        assert status == 200, (method, route, answer)
        _fits(_model_of(document, method, route, status), answer)
    _, error = call(fn["LeadsApiFunction"], "GET", "/leads/nobody")
    _fits(answers.ErrorAnswer, error)


# Routes with no JSON answer to fit (pages, the script, the preflight's empty 204).
NOT_JSON_ONLY = {("GET", "/router"), ("GET", "/router/book/{token}"), ("GET", "/leadops.js"),
                 ("OPTIONS", "/router/forms/{source_id}/submit")}  # fmt: skip


def _routed(router: LocalFunction, aws: SamTemplate) -> tuple[int, Any]:
    """The public router's JSON answer to a browser (a form source defined first)."""
    from leadops.adapters.leads_table import FormSources
    from leadops.form_sources import FormSource

    FormSources(aws.physical_name("LeadsTable")).put(
        FormSource(source_id="site", vendor="native", secret_name="x/forms/site",
                   allowed_origins=["https://www.example.com"])
    )  # fmt: skip
    body = json.dumps({**SALES, "company": "Acme", "leadops_submission_id": "o-1"})
    event = http_event("POST", "/router/forms/site/submit", body,
                       headers={"origin": "https://www.example.com"})  # fmt: skip
    response = router.invoke(event)
    return response["statusCode"], json.loads(response["body"])


def test_the_local_api_serves_the_document_and_swagger_ui_offline(
    generated: str, template: SamTemplate
) -> None:
    api = LocalApi(("127.0.0.1", 0), template, {})
    try:
        served = api.dispatch("GET", "/openapi.json", {}, b"", "127.0.0.1")
        assert served.status == 200
        assert served.body.decode() == generated
        page = api.dispatch("GET", "/docs", {}, b"", "127.0.0.1")
        assert page.status == 200
        assert b"/docs/swagger-ui-bundle.min.js" in page.body
        assert b"https://" not in page.body  # no CDN: works without the internet
        script = api.dispatch("GET", "/docs/swagger-ui-bundle.min.js", {}, b"", "127.0.0.1")
        assert (script.status, len(script.body) > 100_000) == (200, True)
        assert api.dispatch("GET", "/docs/../app.py", {}, b"", "127.0.0.1").status == 404
    finally:
        api.server_close()


# --- forms: issue 12 ---------------------------------------------------------------------------
def _form_answers(aws: SamTemplate) -> list[tuple[str, str, int, Any]]:
    """PUT and GET a form source, then a Typeform delivery to it."""
    api = LocalFunction(aws.function("FormSourcesApiFunction"))
    webhook = LocalFunction(aws.function("FormWebhookFunction"))
    body = source("typeform")
    boto3.client("secretsmanager").create_secret(Name=body["secret_name"], SecretString="s")
    route = "/form-sources/{source_id}"
    seen = [("PUT", route, *call(api, "PUT", "/form-sources/tf", body))]
    seen.append(("GET", route, *call(api, "GET", "/form-sources/tf")))
    response = webhook.invoke(
        delivery_event("typeform", "tf", body_of("typeform", sample("typeform")), "s")
    )
    seen.append(
        (
            "POST",
            "/webhooks/forms/{source_id}",
            response["statusCode"],
            json.loads(response["body"]),
        )
    )
    return seen
