"""POST /webhooks/forms/{source_id} and PUT/GET /form-sources/{source_id} through the real
handlers on moto (issue 12 items 1, 4 and 7): each vendor's own delivery, shaped and signed as
its public docs say (the samples in events/forms/), is verified, mapped, decided exactly as
/webhooks/demo-request decides, and stored once."""

import json
import logging
import time
from typing import Any

import boto3
import pytest

from leadops.form_sources import HIDDEN_FIELD, FormSource, map_answers
from leadops_local.template import SamTemplate
from tests.form_vendors import (
    VENDORS,
    body_of,
    delivery_event,
    sample,
    source,
)
from tests.helpers import (
    SALES,
    FunctionUnderTest,
    add_rep,
    call,
    counting_aws,
    deliver,
    stored_leads,
)

SECRET = "form-signing-secret"
BROWSER_ID = "br_7f3c9a1e5d2b4c68"  # the samples' hidden field


@pytest.fixture
def forms(aws: SamTemplate, load_function) -> FunctionUnderTest:  # type: ignore[no-untyped-def]
    return load_function("FormWebhookFunction")


@pytest.fixture
def sources_api(aws: SamTemplate, load_function) -> FunctionUnderTest:  # type: ignore[no-untyped-def]
    return load_function("FormSourcesApiFunction")


@pytest.fixture
def reps(aws: SamTemplate, load_function) -> FunctionUnderTest:  # type: ignore[no-untyped-def]
    api = load_function("LeadsApiFunction")
    add_rep(api, "tae-1")
    return api


def _define(
    api: FunctionUnderTest, sample_of: str, source_id: str | None = None, **changes: Any
) -> str:
    """A vendor's sample source (with ``changes``), stored through the API, with its secret in
    Secrets Manager."""
    source_id = source_id or f"{sample_of}-demo"
    body = source(sample_of) | changes
    boto3.client("secretsmanager").create_secret(Name=body["secret_name"], SecretString=SECRET)
    status, answer = call(api, "PUT", f"/form-sources/{source_id}", body)
    assert status == 200, answer
    return source_id


def _post(
    forms: FunctionUnderTest,
    vendor: str,
    source_id: str,
    document: Any,
    *,
    secret: str = SECRET,
    now: float | None = None,
    event_changes: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    event = delivery_event(vendor, source_id, body_of(vendor, document), secret, now)
    for header, value in (event_changes or {}).items():
        event["headers"].pop(header, None) if value is None else event["headers"].update(
            {header: value}
        )
    response = forms.invoke(event)
    return response["statusCode"], json.loads(response["body"])


def _decided(
    forms: FunctionUnderTest, api: FunctionUnderTest, aws: SamTemplate, vendor: str
) -> None:
    """The sample is accepted, mapped to the sales lead of tests.helpers.SALES and decided as
    the demo-request webhook decides it; its submission is the hidden field's."""
    source_id = _define(api, vendor)
    status, answer = _post(forms, vendor, source_id, sample(vendor))
    assert status == 200, answer
    assert answer["classification"] == "sales"
    assert answer["outcome"] == "instant_scheduler"
    assert answer["owner"]["id"] == "tae-1"
    (stored,) = stored_leads(aws)
    assert stored.lead_id == answer["lead_id"]
    assert stored.record.submission_id == f"form:{source_id}:{BROWSER_ID}"
    submission = stored.record.submission or {}
    assert submission["email"] == "ada@acme-analytics.io"
    assert submission["job_title"] == "CTO"
    assert submission["source"] == f"form:{source_id}"
    company = submission["company"]
    assert company["name"] == "Acme Analytics"
    assert company["industry"] == "Software"
    assert company["country"] == "Germany"
    assert company["employees"] == 300
    assert company.get("revenue_range") == "$10M-$50M" or company["annual_revenue"] == 25e6


# --- one delivery per vendor, as documented ----------------------------------------------------
def test_typeform(
    forms: FunctionUnderTest, sources_api: FunctionUnderTest, reps: Any, aws: SamTemplate
) -> None:
    """Typeform (developer.typeform.com, "Webhooks" / "Example response"): the event
    ``{"event_id", "event_type": "form_response", "form_response": {"form_id", "token",
    "submitted_at", "hidden": {...}, "definition": {"fields": [{"id", "title", "type", "ref"}]},
    "answers": [{"type": "email", "email": "...", "field": {"id", "type", "ref"}}, {"type":
    "choice", "choice": {"label"}, ...}, {"type": "number", "number": 300, ...}]}}``, signed
    ``Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>``. Mapped by field ref."""
    _decided(forms, sources_api, aws, "typeform")


def test_tally(
    forms: FunctionUnderTest, sources_api: FunctionUnderTest, reps: Any, aws: SamTemplate
) -> None:
    """Tally (tally.so/help/webhooks): ``{"eventId", "eventType": "FORM_RESPONSE", "createdAt",
    "data": {"responseId", "submissionId", "respondentId", "formId", "formName", "createdAt",
    "fields": [{"key": "question_3EKz4n", "label": "...", "type": "INPUT_TEXT", "value": ...},
    {"type": "DROPDOWN", "value": ["<option id>"], "options": [{"id", "text"}]}, {"type":
    "HIDDEN_FIELDS", "label": "<hidden field name>", "value": ...}]}}``, signed ``Tally-Signature:
    <base64 HMAC-SHA256 of the body with the webhook's signing secret>``. Mapped by label."""
    _decided(forms, sources_api, aws, "tally")


def test_webflow(
    forms: FunctionUnderTest, sources_api: FunctionUnderTest, reps: Any, aws: SamTemplate
) -> None:
    """Webflow (developers.webflow.com, "Working with webhooks"): ``{"triggerType":
    "form_submission", "payload": {"name", "siteId", "data": {"First Name": "Zaphod", "email":
    ...}, "schema": [{"fieldName", "fieldType", "fieldElementId"}], "submittedAt", "id",
    "formId", "formElementId"}}``; ``x-webflow-timestamp`` (ms) and ``x-webflow-signature`` = hex
    HMAC-SHA256 of ``timestamp + ":" + body`` with the OAuth app's client secret, refused when
    older than 5 minutes. Mapped by the form's field name."""
    _decided(forms, sources_api, aws, "webflow")


def test_hubspot(
    forms: FunctionUnderTest, sources_api: FunctionUnderTest, reps: Any, aws: SamTemplate
) -> None:
    """HubSpot (knowledge.hubspot.com "Use webhooks with HubSpot workflows"; developers.hubspot.com
    "Validating requests"): a contact-based workflow triggered by the form submission, action
    "Send a webhook", POST, "Include all contact properties", authentication "Include request
    signature in header" with the app's id: the contact ``{"vid", "portal-id", "properties":
    {"email": {"value", "versions"}, ...}, "form-submissions": [{"conversion-id", "timestamp",
    "form-id", "page-url", "title"}]}``; ``X-HubSpot-Signature-v3`` = base64 HMAC-SHA256 (app
    client secret) of method + URI + body + ``X-HubSpot-Request-Timestamp`` (ms; refused when
    older than 5 minutes). Mapped by internal property name."""
    _decided(forms, sources_api, aws, "hubspot")


def test_jotform(
    forms: FunctionUnderTest, sources_api: FunctionUnderTest, reps: Any, aws: SamTemplate
) -> None:
    """Jotform (jotform.com/help/ "How to Setup a Webhook with Jotform"; the PHP/Python webhook
    examples read ``$_REQUEST['rawRequest']``): a multipart/form-data POST of ``formID``,
    ``submissionID``, ``formTitle``, ``pretty``, ``ip`` ... and ``rawRequest``, a JSON string
    of the answers keyed ``q<id>_<unique name>`` (a name field is ``{"first", "last"}``). Not
    signed: the URL's secret token. Mapped by unique name (``q3_`` dropped) or the full key."""
    _decided(forms, sources_api, aws, "jotform")


# --- signatures: good, wrong, missing, stale ---------------------------------------------------
@pytest.mark.parametrize("vendor", VENDORS)
def test_a_wrong_signature_is_refused_and_nothing_stored(
    forms: FunctionUnderTest, sources_api: FunctionUnderTest, aws: SamTemplate, vendor: str
) -> None:
    source_id = _define(sources_api, vendor)
    status, answer = _post(forms, vendor, source_id, sample(vendor), secret="not-the-secret")
    assert status == 401, answer
    assert answer["errors"][0]["type"] == "signature_invalid"
    assert stored_leads(aws) == []


MISSING = {
    "typeform": "typeform-signature",
    "tally": "tally-signature",
    "webflow": "x-webflow-signature",
    "hubspot": "x-hubspot-signature-v3",
}


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_missing_signature_is_refused_naming_it(
    forms: FunctionUnderTest, sources_api: FunctionUnderTest, aws: SamTemplate, vendor: str
) -> None:
    source_id = _define(sources_api, vendor)
    event = delivery_event(vendor, source_id, body_of(vendor, sample(vendor)), SECRET)
    if vendor == "jotform":
        event["rawQueryString"], event["queryStringParameters"] = "", {}
    else:
        del event["headers"][MISSING[vendor]]
    response = forms.invoke(event)
    answer = json.loads(response["body"])
    assert response["statusCode"] == 401, answer
    named = "token" if vendor == "jotform" else MISSING[vendor]
    assert answer["errors"][0]["field"].lower() == named
    assert stored_leads(aws) == []


@pytest.mark.parametrize("vendor", ["webflow", "hubspot"])
def test_a_stale_timestamp_is_refused(
    forms: FunctionUnderTest, sources_api: FunctionUnderTest, aws: SamTemplate, vendor: str
) -> None:
    """Webflow and HubSpot sign a timestamp: older than 5 minutes is a replay, refused."""
    source_id = _define(sources_api, vendor)
    status, answer = _post(forms, vendor, source_id, sample(vendor), now=time.time() - 301)
    assert status == 401, answer
    assert "5 minutes" in answer["message"]
    assert stored_leads(aws) == []


@pytest.mark.parametrize("vendor", ["typeform", "tally", "jotform"])
def test_a_stale_redelivery_without_a_signed_time_is_a_replay(
    forms: FunctionUnderTest,
    sources_api: FunctionUnderTest,
    reps: Any,
    aws: SamTemplate,
    vendor: str,
) -> None:
    """Typeform, Tally and Jotform sign no time: a delivery replayed an hour later is answered
    from the stored lead (the vendor's submission id), never decided again."""
    source_id = _define(sources_api, vendor)
    first = _post(forms, vendor, source_id, sample(vendor), now=time.time() - 3600)
    again = _post(forms, vendor, source_id, sample(vendor))
    assert first[0] == again[0] == 200
    assert first[1] == again[1]
    assert len(stored_leads(aws)) == 1


# --- mapping and validation ---------------------------------------------------------------------
def _without_email(vendor: str, document: Any) -> Any:
    if vendor == "typeform":
        answers = document["form_response"]["answers"]
        document["form_response"]["answers"] = [a for a in answers if a["type"] != "email"]
    elif vendor == "tally":
        fields = document["data"]["fields"]
        document["data"]["fields"] = [f for f in fields if f["label"] != "Work email"]
    elif vendor == "webflow":
        del document["payload"]["data"]["Work Email"]
    elif vendor == "hubspot":
        del document["properties"]["email"]
    else:
        raw = json.loads(document["parts"]["rawRequest"])
        del raw["q4_email"]
        document["parts"]["rawRequest"] = json.dumps(raw)
    return document


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_delivery_without_a_required_field_is_a_422_naming_it(
    forms: FunctionUnderTest, sources_api: FunctionUnderTest, aws: SamTemplate, vendor: str
) -> None:
    source_id = _define(sources_api, vendor)
    status, answer = _post(forms, vendor, source_id, _without_email(vendor, sample(vendor)))
    assert status == 422, answer
    assert [error["field"] for error in answer["errors"]] == ["email"]
    assert stored_leads(aws) == []


def test_without_hidden_field_or_vendor_id_the_submission_id_is_named(
    forms: FunctionUnderTest, sources_api: FunctionUnderTest, aws: SamTemplate
) -> None:
    document = sample("typeform")
    del document["form_response"]["token"], document["form_response"]["hidden"]
    source_id = _define(sources_api, "typeform")
    status, answer = _post(forms, "typeform", source_id, document)
    assert status == 422, answer
    assert [error["field"] for error in answer["errors"]] == ["submission_id"]


def test_without_the_hidden_field_the_vendors_id_keeps_redeliveries_to_one_lead(
    forms: FunctionUnderTest, sources_api: FunctionUnderTest, reps: Any, aws: SamTemplate
) -> None:
    document = sample("webflow")
    del document["payload"]["data"]["leadops_submission_id"]
    source_id = _define(sources_api, "webflow")
    first, again = (_post(forms, "webflow", source_id, document) for _ in range(2))
    assert first == again
    (stored,) = stored_leads(aws)
    assert stored.record.submission_id == "form:webflow-demo:6321a42e7c0c9b6a4f1d3e52"


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_body_not_in_the_vendors_shape_is_a_4xx_naming_where(
    forms: FunctionUnderTest, sources_api: FunctionUnderTest, aws: SamTemplate, vendor: str
) -> None:
    source_id = _define(sources_api, vendor)
    wrong = {"parts": {"formID": "1"}} if vendor == "jotform" else {"hello": "world"}
    status, answer = _post(forms, vendor, source_id, wrong)
    assert status == 422, answer
    named = {"form_response", "data", "payload", "rawRequest", "submission_id", "email"}
    assert answer["errors"][0]["field"] in named


def test_an_unknown_source_is_a_404(forms: FunctionUnderTest) -> None:
    status, answer = _post(forms, "typeform", "nobody", sample("typeform"))
    assert status == 404, answer


# --- native and generic JSON: our signature, our field names -----------------------------------
@pytest.mark.parametrize("vendor", ["native", "generic_json"])
def test_our_own_body_through_a_source(
    forms: FunctionUnderTest,
    sources_api: FunctionUnderTest,
    reps: Any,
    aws: SamTemplate,
    vendor: str,
) -> None:
    secret_name = f"leadops-local/forms/{vendor}"
    source_id = _define(
        sources_api, "typeform", vendor, vendor=vendor, secret_name=secret_name, fields={}
    )
    status, answer = _post(forms, vendor, source_id, SALES)
    assert status == 200, answer
    assert answer["outcome"] == "instant_scheduler"
    (stored,) = stored_leads(aws)
    assert stored.record.submission_id == f"form:{vendor}:sub-1"


# --- item 4: the browser's decision and the vendor's webhook make one lead ----------------------
def test_the_vendors_webhook_after_the_browsers_decision_is_one_lead_and_two_calls(
    forms: FunctionUnderTest,
    sources_api: FunctionUnderTest,
    reps: Any,
    aws: SamTemplate,
    load_function: Any,
) -> None:
    """The router decides the browser's answers (the hidden field's id), then Typeform's
    webhook for the same submission arrives: the stored decision is the answer, no second lead,
    and (source and secret cached in the warm container) one read and no write."""
    source_id = _define(sources_api, "typeform")
    status, _ = _post(forms, "typeform", source_id, sample("typeform"), secret="warm-up-no")
    assert status == 401  # the container has read the source and its secret
    stored_source = FormSource.model_validate(source("typeform") | {"source_id": source_id})
    browser = map_answers(stored_source, {**SALES, "company": None, HIDDEN_FIELD: BROWSER_ID})
    browser["company"] = SALES["company"]
    status, decided = deliver(load_function("WebhookFunction"), browser)
    assert status == 200, decided
    with counting_aws() as calls:
        status, answer = _post(forms, "typeform", source_id, sample("typeform"))
    assert status == 200, answer
    assert answer == decided
    assert len(stored_leads(aws)) == 1
    assert sum(calls.values()) <= 2, calls
    assert not {"TransactWriteItems", "PutItem", "UpdateItem"} & set(calls), calls


# --- the source API ------------------------------------------------------------------------------
def test_a_source_is_stored_and_read_back(sources_api: FunctionUnderTest) -> None:
    _define(sources_api, "tally")
    status, answer = call(sources_api, "GET", "/form-sources/tally-demo")
    assert status == 200, answer
    assert answer["vendor"] == "tally"
    assert answer["fields"]["Work email"] == "email"
    assert answer["allowed_origins"] == ["https://www.example.com"]
    assert call(sources_api, "GET", "/form-sources/nobody")[0] == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"secret_name": "someone-elses/secret"}, "secret_name"),
        ({"fields": {"q1": "salary"}}, "fields.q1"),
        ({"allowed_origins": ["https://example.com/page"]}, "allowed_origins.0"),
        ({"vendor": "wufoo"}, "vendor"),
        ({"redirect_url": "javascript:alert(1)"}, "redirect_url"),
    ],
)
def test_a_bad_source_is_a_422_naming_the_field(
    sources_api: FunctionUnderTest, aws: SamTemplate, changes: dict[str, Any], field: str
) -> None:
    status, answer = call(sources_api, "PUT", "/form-sources/bad", source("tally") | changes)
    assert status == 422, answer
    assert field in [error["field"] for error in answer["errors"]]
    assert call(sources_api, "GET", "/form-sources/bad")[0] == 404


def test_nothing_personal_reaches_the_logs(
    forms: FunctionUnderTest,
    sources_api: FunctionUnderTest,
    reps: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # the deployed level
    for vendor in VENDORS:
        source_id = _define(sources_api, vendor)
        assert _post(forms, vendor, source_id, sample(vendor))[0] == 200
        assert _post(forms, vendor, source_id, _without_email(vendor, sample(vendor)))[0] == 422
        assert _post(forms, vendor, source_id, sample(vendor), secret="wrong")[0] == 401
    logged = caplog.text + " ".join(str(record.__dict__) for record in caplog.records)
    assert "form delivery" in logged
    assert "lead decided" in logged
    for personal in ("ada@acme-analytics.io", "Lovelace", "demo for our data team", SECRET):
        assert personal not in logged
