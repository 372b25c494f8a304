"""Hostile input at the public router (issue 12): any JSON body, any answer replaced by any JSON
value, any query string for the redirect page, any token. Never a 5xx; every JSON 4xx names a
field (the approach of test_hostile_input.py)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadops.adapters.leads_table import FormSources
from leadops.form_sources import FormSource
from leadops_local.template import SamTemplate
from tests.handlers.test_hostile_input import json_values
from tests.helpers import FunctionUnderTest, http_event

SITE = "https://www.acme.test"
HYPOTHESIS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ANSWERS: dict[str, Any] = {
    "email": "ada@acme-analytics.io", "job_title": "CTO", "company.name": "Acme",
    "company.employees": 300, "company.country": "Germany", "message": "A demo, please.",
}  # fmt: skip


@pytest.fixture
def router(aws: SamTemplate, load_function) -> FunctionUnderTest:  # type: ignore[no-untyped-def]
    FormSources(aws.physical_name("LeadsTable")).put(
        FormSource(source_id="demo", vendor="native", secret_name="x/forms/demo",
                   allowed_origins=[SITE])
    )  # fmt: skip
    return load_function("RouterFunction")


def _post(router: FunctionUnderTest, body: str) -> tuple[int, Any]:
    headers = {"origin": SITE, "content-type": "text/plain"}
    response = router.invoke(http_event("POST", "/router/forms/demo/submit", body, headers=headers))
    return response["statusCode"], response["body"]


def _names_a_field(status: int, body: str) -> None:
    assert status < 500, body
    if status >= 400:
        answer = json.loads(body)
        assert answer["errors"], answer
        assert all(error["field"] for error in answer["errors"])


@HYPOTHESIS
@given(document=json_values)
def test_any_json_body_is_never_a_5xx(router: FunctionUnderTest, document: Any) -> None:
    _names_a_field(*_post(router, json.dumps(document)))


@HYPOTHESIS
@given(key=st.sampled_from(sorted(ANSWERS)), value=json_values, extra=st.text(max_size=30))
def test_any_answer_replaced_by_any_value_is_never_a_5xx(
    router: FunctionUnderTest, key: str, value: Any, extra: str
) -> None:
    answers = {**ANSWERS, key: value, extra or "x": value, "leadops_submission_id": extra}
    _names_a_field(*_post(router, json.dumps(answers)))


@HYPOTHESIS
@given(pairs=st.lists(st.tuples(st.text(max_size=20), st.text(max_size=60)), max_size=8))
def test_any_redirect_query_is_never_a_5xx(
    router: FunctionUnderTest, pairs: list[tuple[str, str]]
) -> None:
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in [("form", "demo"), *pairs])
    response = router.invoke(http_event("GET", "/router", query=query))
    assert response["statusCode"] < 500, response
    assert "<script" not in response["body"]


@HYPOTHESIS
@given(token=st.text(min_size=1, max_size=600).filter(lambda t: "/" not in t))
def test_any_booking_token_is_a_neutral_404(router: FunctionUnderTest, token: str) -> None:
    response = router.invoke(http_event("GET", "/router/book/" + quote(token, safe="")))
    assert response["statusCode"] in (404, 422), response
