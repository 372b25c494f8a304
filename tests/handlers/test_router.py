"""The public router through its real ``lambda_handler`` on moto: the three outcomes, the same
decision and stored lead as the webhook's, the booking link, the redirect page, one lead per
submission, and every refusal (origin, rate limits, Turnstile, size, fields)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from pytest_httpserver import HTTPServer

from leadops.adapters.leads_table import FormSources, RateLimits
from leadops.form_sources import FormSource
from leadops.lead_record import lead_id_for
from leadops.ports import Limit
from leadops.router import issue_token
from leadops_local.runtime import LocalFunction
from leadops_local.template import SamTemplate
from tests.helpers import (
    SALES,
    FunctionUnderTest,
    add_rep,
    call,
    counting_aws,
    deliver,
    http_event,
    stored_leads,
)

SITE = "https://www.acme.test"
MESSAGE = "Thanks! We have your request and will be in touch shortly."
# The browser's answers, keyed as the site's form names its fields (the mapping of the
# source below turns "work_email", "company" and "website" into submission fields).
QUALIFIED: dict[str, Any] = {
    "work_email": SALES["email"],
    "first_name": "Ada",
    "last_name": "Lovelace",
    "job_title": "CTO",
    "message": SALES["message"],
    "company": "Acme Analytics",
    "company.domain": "acme-analytics.io",
    "company.employees": "300",
    "company.annual_revenue": 25_000_000,
    "company.industry": "Software",
    "company.country": "Germany",
    "leadops_submission_id": "b-1",
}
UNQUALIFIED = {**QUALIFIED, "job_title": "Office Manager", "company.annual_revenue": 10_000,
               "company.industry": "Retail", "leadops_submission_id": "b-2"}  # fmt: skip
SUPPORT = {**QUALIFIED, "leadops_submission_id": "b-3", "message": "I cannot log in, my password "
           "reset is broken and billing charged me twice, please help with my account"}  # fmt: skip
SPAM = {**QUALIFIED, "website": "http://cheap-pills.example", "leadops_submission_id": "b-4"}


def source(**changes: Any) -> FormSource:
    return FormSource.model_validate(
        {
            "source_id": "acme-demo",
            "vendor": "native",
            "secret_name": "leadops/forms/acme-demo",
            "fields": {"work_email": "email", "company": "company.name", "website": "honeypot"},
            "allowed_origins": [SITE],
            **changes,
        }
    )


@pytest.fixture
def router(aws: SamTemplate, load_function) -> FunctionUnderTest:  # type: ignore[no-untyped-def]
    FormSources(aws.physical_name("LeadsTable")).put(source())
    return load_function("RouterFunction")


@pytest.fixture
def leads_api(aws: SamTemplate, load_function) -> FunctionUnderTest:  # type: ignore[no-untyped-def]
    api = load_function("LeadsApiFunction")
    add_rep(api, "grace", name="Grace Hopper", booking_url="https://cal.example.com/grace")
    return api


def submit(
    router: FunctionUnderTest,
    answers: Any,
    origin: str | None = SITE,
    source_id: str = "acme-demo",
    raw: str | None = None,
) -> tuple[int, dict[str, str], Any]:
    headers = {"content-type": "text/plain;charset=UTF-8"}
    if origin:
        headers["origin"] = origin
    body = raw if raw is not None else json.dumps(answers)
    path = f"/router/forms/{source_id}/submit"
    response = router.invoke(http_event("POST", path, body, headers=headers))
    return response["statusCode"], response.get("headers") or {}, json.loads(response["body"])


def page(
    router: FunctionUnderTest, query: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    response = router.invoke(http_event("GET", "/router", query=query, headers=headers))
    return response["statusCode"], response.get("headers") or {}, response["body"]


def get(router: FunctionUnderTest, path: str) -> dict[str, Any]:
    response: dict[str, Any] = router.invoke(http_event("GET", path))
    return response


def without_id(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "submission_id"}


# --- the three outcomes -------------------------------------------------------------------
def test_a_qualified_lead_gets_its_taes_booking_link_as_a_signed_token(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate
) -> None:
    status, headers, answer = submit(router, QUALIFIED)
    assert status == 200, answer
    assert headers["Access-Control-Allow-Origin"] == SITE
    assert answer["outcome"] == "booking"
    assert (answer["owner_id"], answer["owner_name"]) == ("grace", "Grace Hopper")
    assert answer["submission_id"] == "form:acme-demo:b-1"
    path = answer["booking_path"]
    assert path.startswith("/router/book/")
    assert "grace" not in path  # the token names the rep, signed: never a bare rep id
    # The same decision and stored lead as the webhook's.
    (stored,) = stored_leads(aws)
    assert stored.lead_id == lead_id_for("form:acme-demo:b-1")
    assert stored.owner_id == "grace"
    assert stored.record.answer["outcome"] == "instant_scheduler"
    assert stored.record.submission["source"] == "form:acme-demo"
    assert stored.record.submission["company"]["name"] == "Acme Analytics"
    # The link verifies and sends the browser to the rep's booking page.
    booked = get(router, path)
    assert booked["statusCode"] == 302
    assert booked["headers"]["Location"] == "https://cal.example.com/grace"


@pytest.mark.parametrize("hostile_id", ["ld_x", "grace", "e30.e30"])
def test_a_forged_or_tampered_booking_link_is_a_neutral_404(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, hostile_id: str
) -> None:
    _, _, answer = submit(router, QUALIFIED)
    token = answer["booking_path"].removeprefix("/router/book/")
    for bad in (token[:-2] + "xx", hostile_id, token.split(".")[0] + ".", "a" * 1000):
        response = get(router, "/router/book/" + bad)
        assert response["statusCode"] == 404, bad
        assert "no longer valid" in response["body"]
        assert "Location" not in (response.get("headers") or {})


def test_a_well_signed_link_to_no_stored_lead_is_a_neutral_404(
    router: FunctionUnderTest, aws: SamTemplate
) -> None:
    import boto3

    secret = boto3.client("secretsmanager").get_secret_value(SecretId=aws.ref("RouterSecret"))
    token = issue_token("ld_nobody", "grace", int(time.time()), 600, secret["SecretString"])
    assert get(router, "/router/book/" + token)["statusCode"] == 404


def test_a_booking_link_expires(router: FunctionUnderTest, leads_api: FunctionUnderTest) -> None:
    _, _, answer = submit(router, QUALIFIED)
    later = datetime.now(UTC) + timedelta(hours=1, minutes=1)  # rulebook: 3600 s
    with time_machine.travel(later, tick=False):
        assert get(router, answer["booking_path"])["statusCode"] == 404


def test_manual_review_support_and_spam_all_read_the_same_neutral_message(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate
) -> None:
    answers = [submit(router, body) for body in (UNQUALIFIED, SUPPORT, SPAM)]
    assert [status for status, _, _ in answers] == [200, 200, 200]
    bodies = [without_id(answer) for _, _, answer in answers]
    assert bodies[0] == bodies[1] == bodies[2] == {
        "outcome": "message", "message": MESSAGE, "booking_path": None,
        "redirect_url": None, "owner_id": None, "owner_name": None,
    }  # fmt: skip
    # ... while each was decided and stored as what it is.
    decided = {lead.record.answer["classification"]: lead for lead in stored_leads(aws)}
    assert set(decided) == {"sales", "support", "spam"}
    assert decided["sales"].record.answer["outcome"] == "manual_review"
    assert decided["sales"].owner_id == "grace"  # assigned, yet the visitor is not told


def test_a_source_with_a_redirect_sends_every_other_visitor_there(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate
) -> None:
    thanks = "https://www.acme.test/thanks"
    FormSources(aws.physical_name("LeadsTable")).put(source(redirect_url=thanks))
    _, _, spam = submit(router, SPAM)
    _, _, qualified = submit(router, QUALIFIED)
    assert (spam["outcome"], spam["redirect_url"]) == ("redirect", thanks)
    assert qualified["outcome"] == "booking"


# --- one lead per submission ------------------------------------------------------------
def test_the_browser_call_and_the_vendor_webhook_for_one_submission_make_one_lead(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate, load_function
) -> None:  # type: ignore[no-untyped-def]
    _, _, browser = submit(router, QUALIFIED)
    webhook = load_function("WebhookFunction")
    deliver(webhook, {**SALES, "submission_id": "warm"})  # a warm container: secret, rules
    # The vendor's later delivery of the same submission carries the hidden field's id.
    delivered = {**SALES, "submission_id": browser["submission_id"]}
    with counting_aws() as calls:
        status, answer = deliver(webhook, delivered)
    assert status == 200
    assert answer["lead_id"] == lead_id_for(browser["submission_id"])
    assert answer["outcome"] == "instant_scheduler"  # the stored decision, not a new one
    assert len(stored_leads(aws)) == 2  # the warm-up's and the one of this submission
    assert dict(calls) == {"BatchGetItem": 1}  # the replay's one read: issue goal <= 2
    # ... and the other way round: a reloaded redirect page is a replay too.
    status, _, again = submit(router, QUALIFIED)
    assert (status, again["booking_path"] is not None) == (200, True)
    assert len(stored_leads(aws)) == 2


def test_without_the_hidden_field_the_same_answers_are_one_submission(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate
) -> None:
    answers = {key: value for key, value in QUALIFIED.items() if key != "leadops_submission_id"}
    first, second = submit(router, answers)[2], submit(router, answers)[2]
    assert first["submission_id"] == second["submission_id"]
    assert first["submission_id"].startswith("form:acme-demo:")
    assert len(stored_leads(aws)) == 1


# --- the redirect page (no JavaScript) ----------------------------------------------------
def _query(answers: dict[str, Any], source_id: str = "acme-demo") -> str:
    return urlencode({"form": source_id, **answers})


def test_the_redirect_page_embeds_the_booking_page_without_javascript(
    router: FunctionUnderTest, leads_api: FunctionUnderTest
) -> None:
    status, headers, html = page(router, _query(QUALIFIED), {"referer": SITE + "/demo"})
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "script-src" not in headers["Content-Security-Policy"]
    assert "<script" not in html
    assert '<iframe src="/router/book/' in html
    assert "with Grace Hopper" in html


def test_the_redirect_page_shows_the_neutral_message_and_escapes_it(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate
) -> None:
    hostile = 'Thanks <script>alert("x")</script> & see you'
    FormSources(aws.physical_name("LeadsTable")).put(source(message=hostile))
    status, _, html = page(router, _query(SPAM))
    assert status == 200
    assert "<script>" not in html
    assert "Thanks &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; see you" in html
    assert "<iframe" not in html


def test_the_redirect_page_answers_errors_as_pages(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate
) -> None:
    status, _, html = page(router, _query(QUALIFIED, "nope"))
    assert (status, "not known" in html) == (404, True)
    missing = {key: v for key, v in QUALIFIED.items() if key != "work_email"}
    status, _, html = page(router, _query(missing))
    assert status == 422
    assert "email" in html
    assert "ada@" not in html  # never the values
    status, _, html = page(router, _query({f"f{i}": "v" for i in range(101)}))
    assert (status, "body" in html) == (422, True)  # at most 100 answers, as in a body
    status, _, html = page(router, _query(QUALIFIED), {"referer": "https://evil.test/x"})
    assert (status, "cannot be sent" in html) == (403, True)
    assert stored_leads(aws) == []


def test_a_redirect_source_answers_the_page_with_a_303(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate
) -> None:
    thanks = "https://www.acme.test/thanks"
    FormSources(aws.physical_name("LeadsTable")).put(source(redirect_url=thanks))
    response = router.invoke(http_event("GET", "/router", query=_query(UNQUALIFIED)))
    assert (response["statusCode"], response["headers"]["Location"]) == (303, thanks)


# --- abuse ----------------------------------------------------------------------------------
@pytest.mark.parametrize("origin", ["https://evil.test", None])
def test_a_foreign_or_missing_origin_is_refused_and_nothing_is_stored(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate, origin: str | None
) -> None:
    status, _, answer = submit(router, QUALIFIED, origin=origin)
    assert status == 403
    assert answer["errors"][0]["type"] == "origin_not_allowed"
    assert answer["message"] == "This form cannot be sent from this page."
    assert stored_leads(aws) == []


def test_the_cors_preflight_answers_allowed_origins_only(router: FunctionUnderTest) -> None:
    def preflight(origin: str) -> dict[str, Any]:
        headers = {"origin": origin, "access-control-request-method": "POST"}
        event = http_event("OPTIONS", "/router/forms/acme-demo/submit", headers=headers)
        response: dict[str, Any] = router.invoke(event)
        return response

    allowed = preflight(SITE)
    assert allowed["statusCode"] == 204
    assert allowed["headers"]["Access-Control-Allow-Origin"] == SITE
    assert "POST" in allowed["headers"]["Access-Control-Allow-Methods"]
    refused = preflight("https://evil.test")
    assert refused["statusCode"] == 403
    assert "Access-Control-Allow-Origin" not in refused["headers"]


def test_the_same_answers_too_often_are_refused_with_only_a_counter_stored(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate
) -> None:
    for _ in range(5):  # rulebook: per_answers_limit = 5 an hour
        assert submit(router, UNQUALIFIED)[0] == 200
    status, headers, answer = submit(router, UNQUALIFIED)
    assert status == 429
    assert headers["Retry-After"] == "3600"
    assert headers["Access-Control-Allow-Origin"] == SITE  # the snippet can read why
    assert answer["errors"][0]["type"] == "rate_limited"
    assert len(stored_leads(aws)) == 1
    # Other answers from the same address still go through.
    assert submit(router, QUALIFIED)[0] == 200


def test_counters_count_every_limit_at_once_and_exactly(aws: SamTemplate) -> None:
    counters = RateLimits(aws.physical_name("LeadsTable"))
    ip, answers = Limit("ip", "h1", 3, 600), Limit("answers", "a1", 2, 600)
    now = 1_800_000_000 - 1_800_000_000 % 600
    assert [counters.hit([ip, answers], now) for _ in range(3)] == [None, None, answers]
    other = Limit("answers", "a2", 2, 600)
    assert counters.hit([ip, other], now) is None  # the refused request was not counted
    assert counters.hit([ip, other], now) == ip  # the third on that address
    assert counters.hit([ip, other], now + 600) is None  # a new window
    items = aws_items(aws)
    assert all(item["expires_at"] == item_window(item) + 600 + 60 for item in items)


def aws_items(aws: SamTemplate) -> list[dict[str, Any]]:
    import boto3

    table = boto3.resource("dynamodb").Table(aws.physical_name("LeadsTable"))
    return [item for item in table.scan()["Items"] if item["sk"] == "RATE"]


def item_window(item: dict[str, Any]) -> int:
    return int(str(item["pk"]).rsplit("#", 1)[1])


@pytest.mark.parametrize(
    ("raw", "status", "field"),
    [
        ("x" * (16 * 1024 + 1), 413, "body"),
        ("{not json", 400, "body"),
        ("[1, 2]", 422, "body"),
        (json.dumps({"company": {"nested": "object"}}), 422, "company."),
        (json.dumps({f"f{i}": "v" for i in range(101)}), 422, "body"),
        (json.dumps({**QUALIFIED, "work_email": "not-an-email"}), 422, "email"),
        (json.dumps({"first_name": "Ada", "leadops_submission_id": "b-9"}), 422, "email"),
    ],
)
def test_bad_bodies_are_4xx_naming_the_field(
    router: FunctionUnderTest, aws: SamTemplate, raw: str, status: int, field: str
) -> None:
    got, _, answer = submit(router, None, raw=raw)
    assert got == status, answer
    if status == 422 and field == "email":  # what the snippet shows the visitor
        assert answer["message"] == "Some answers are missing or not valid: email."
    assert any(error["field"].startswith(field) for error in answer["errors"]), answer
    assert stored_leads(aws) == []


def test_an_unknown_form_is_404(router: FunctionUnderTest) -> None:
    status, _, answer = submit(router, QUALIFIED, source_id="nope")
    assert status == 404
    assert answer["errors"][0]["type"] == "not_found"


def test_leadops_js_is_served_as_javascript(router: FunctionUnderTest) -> None:
    response = get(router, "/leadops.js")
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/javascript")
    assert "leadops:routed" in response["body"]
    assert "leadops_submission_id" in response["body"]


# --- Cloudflare Turnstile ---------------------------------------------------------------------
@pytest.fixture
def turnstile_router(
    aws: SamTemplate, template: SamTemplate, httpserver: HTTPServer
) -> FunctionUnderTest:
    import boto3

    arn = aws.ref("TurnstileSecret")
    boto3.client("secretsmanager").put_secret_value(SecretId=arn, SecretString="ts-secret")
    FormSources(aws.physical_name("LeadsTable")).put(source())
    overrides = {"ROUTER_TURNSTILE": "on", "TURNSTILE_SITEVERIFY_URL": httpserver.url_for("/sv")}
    return LocalFunction(template.function("RouterFunction"), overrides)


def _expect_siteverify(httpserver: HTTPServer, token: str, answer: dict[str, Any], status=200):  # type: ignore[no-untyped-def]
    """Cloudflare's documented request: POST /turnstile/v0/siteverify with JSON
    {"secret", "response", "remoteip" (optional), "idempotency_key" (optional)} -> JSON
    {"success": bool, "error-codes": [...], ...} (server-side validation page)."""

    def check(request):  # type: ignore[no-untyped-def]
        sent = request.get_json()
        assert request.headers["Content-Type"] == "application/json"
        assert (sent["secret"], sent["response"], sent["remoteip"]) == (
            "ts-secret", token, "127.0.0.1",
        )  # fmt: skip
        assert len(sent["idempotency_key"]) == 36
        from werkzeug import Response

        return Response(json.dumps(answer), status=status, content_type="application/json")

    httpserver.expect_request("/sv", method="POST").respond_with_handler(check)


def test_turnstile_on_a_solved_challenge_is_decided(
    turnstile_router: FunctionUnderTest, leads_api: FunctionUnderTest, httpserver: HTTPServer
) -> None:
    _expect_siteverify(httpserver, "tok-ok", {"success": True, "error-codes": []})
    status, _, answer = submit(turnstile_router, {**QUALIFIED, "cf-turnstile-response": "tok-ok"})
    assert (status, answer["outcome"]) == (200, "booking")
    httpserver.check_assertions()


@pytest.mark.parametrize("token", [None, "tok-bad"])
def test_turnstile_on_no_or_a_failed_challenge_is_refused(
    turnstile_router: FunctionUnderTest,
    leads_api: FunctionUnderTest,
    httpserver: HTTPServer,
    aws: SamTemplate,
    token: str | None,
) -> None:
    _expect_siteverify(
        httpserver, "tok-bad", {"success": False, "error-codes": ["invalid-input-response"]}
    )
    answers = QUALIFIED if token is None else {**QUALIFIED, "cf-turnstile-response": token}
    status, _, answer = submit(turnstile_router, answers)
    assert status == 403
    assert answer["errors"][0]["type"] == "challenge_failed"
    assert stored_leads(aws) == []


def test_turnstile_down_does_not_turn_visitors_away(
    turnstile_router: FunctionUnderTest, leads_api: FunctionUnderTest, httpserver: HTTPServer
) -> None:
    _expect_siteverify(httpserver, "tok", {"error": "down"}, status=503)
    status, _, answer = submit(turnstile_router, {**QUALIFIED, "cf-turnstile-response": "tok"})
    assert (status, answer["outcome"]) == (200, "booking")


# --- AWS down ---------------------------------------------------------------------------------
def test_aws_down_is_a_503_and_the_page_says_try_again(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate
) -> None:
    from botocore.exceptions import ClientError

    from tests.helpers import intercepting_aws

    def fail(call, client, operation, params):  # type: ignore[no-untyped-def]
        if operation == "TransactWriteItems" and len(params["TransactItems"]) > 2:
            raise ClientError({"Error": {"Code": "InternalServerError"}}, operation)
        return call(client, operation, params)

    with intercepting_aws(fail):
        status, _, answer = submit(router, QUALIFIED)
        code, _, html = page(router, _query({**QUALIFIED, "leadops_submission_id": "p-1"}))
    assert status == 503
    assert answer["errors"][0]["type"] == "unavailable"
    assert (code, "try again" in html) == (503, True)
    assert stored_leads(aws) == []


# --- the browser and the vendor's webhook: one lead ---------------------------------------------
TYPEFORM_BROWSER = {  # the same submission as events/forms/typeform.json, keyed by field ref
    "work_email": "ada@acme-analytics.io", "first_name": "Ada", "last_name": "Lovelace",
    "job_title": "CTO", "company": "Acme Analytics", "website": "acme-analytics.io",
    "employees": 300, "revenue": "$10M-$50M", "industry": "Software", "country": "Germany",
    "message": "We would like a demo for our data team.",
    "leadops_submission_id": "br_7f3c9a1e5d2b4c68",  # the sample's hidden field
}  # fmt: skip


def _typeform_source(aws: SamTemplate, load_function: Any) -> tuple[str, FunctionUnderTest]:
    import boto3

    from tests.form_vendors import source as sample_source

    body = sample_source("typeform")
    boto3.client("secretsmanager").create_secret(Name=body["secret_name"], SecretString="tf")
    status, answer = call(load_function("FormSourcesApiFunction"), "PUT", "/form-sources/tf", body)
    assert status == 200, answer
    return "tf", load_function("FormWebhookFunction")


def _typeform_delivery(forms: FunctionUnderTest, secret: str = "tf") -> tuple[int, Any]:  # noqa: S107
    from tests.form_vendors import body_of, delivery_event, sample

    event = delivery_event("typeform", "tf", body_of("typeform", sample("typeform")), secret)
    response = forms.invoke(event)
    return response["statusCode"], json.loads(response["body"])


def test_the_browser_then_the_typeform_webhook_make_one_lead_with_two_calls_at_most(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate, load_function: Any
) -> None:
    source_id, forms = _typeform_source(aws, load_function)
    assert _typeform_delivery(forms, secret="wrong")[0] == 401  # warm: its source and secret
    status, _, browser = submit(router, TYPEFORM_BROWSER, "https://www.example.com", source_id)
    assert (status, browser["outcome"]) == (200, "booking"), browser
    with counting_aws() as calls:
        status, vendor = _typeform_delivery(forms)
    assert status == 200, vendor
    assert vendor["lead_id"] == lead_id_for(browser["submission_id"])
    assert vendor["outcome"] == "instant_scheduler"
    assert len(stored_leads(aws)) == 1
    assert sum(calls.values()) <= 2, calls  # issue 12: at most 2 extra AWS calls
    assert not {"TransactWriteItems", "PutItem", "UpdateItem"} & set(calls)


def test_the_typeform_webhook_first_then_the_browser_sees_the_stored_decision(
    router: FunctionUnderTest, leads_api: FunctionUnderTest, aws: SamTemplate, load_function: Any
) -> None:
    source_id, forms = _typeform_source(aws, load_function)
    status, vendor = _typeform_delivery(forms)
    assert status == 200, vendor
    status, _, browser = submit(router, TYPEFORM_BROWSER, "https://www.example.com", source_id)
    assert (status, browser["outcome"], browser["owner_id"]) == (200, "booking", "grace")
    assert lead_id_for(browser["submission_id"]) == vendor["lead_id"]
    assert len(stored_leads(aws)) == 1
