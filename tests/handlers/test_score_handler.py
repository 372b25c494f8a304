"""POST /score through the real ``lambda_handler``, environment built from template.yaml."""

import base64
import json
from typing import Any

import pytest

from leadops_local.template import SamTemplate
from tests.helpers import SCORE_BODY, FunctionUnderTest, http_event

GOOD_BODY = SCORE_BODY


@pytest.fixture
def score(aws: SamTemplate, load_function) -> FunctionUnderTest:  # type: ignore[no-untyped-def]
    """On moto: the function reads the live rulebook from its table."""
    return load_function("ScoreFunction")


def _post(score: FunctionUnderTest, body: object, **event: Any) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, str) else json.dumps(body)
    response = score.invoke(http_event("POST", "/score", raw, **event))
    return response["statusCode"], json.loads(response["body"])


def test_scores_a_form_body_with_the_breakdown(score: FunctionUnderTest, rulebook) -> None:  # type: ignore[no-untyped-def]
    status, answer = _post(score, GOOD_BODY)
    assert status == 200
    assert answer["rulebook_version"] == rulebook.version
    assert answer["lead_score"]["max"] == 70
    assert answer["lead_score"]["total"] == 50  # 10 + 10 + 10 + 10 + 10 (no revenue over $100M)
    assert answer["icp_score"] == {
        "total": 24,
        "max": 24,
        "tier": "high",
        "items": [
            {"metric": "employees", "value": 150, "band": "15-500", "points": 6},
            {"metric": "revenue", "value": 30_000_000, "band": "$1M-$50M", "points": 6},
            {"metric": "role", "value": "engineering", "band": None, "points": 6},
            {"metric": "company_type", "value": "private", "band": None, "points": 3},
            {"metric": "founded_year", "value": 2018, "band": "2015-2022", "points": 3},
            {"metric": "country", "value": "GB", "band": "ICP country", "points": 0},
            {"metric": "email", "value": "work", "band": "work", "points": 0},
        ],
    }


def test_missing_values_are_named_unknown(score: FunctionUnderTest) -> None:
    status, answer = _post(score, {"email": "someone@gmail.com"})
    assert status == 200
    lead_items = {item["metric"]: item for item in answer["lead_score"]["items"]}
    assert lead_items["employees"] == {
        "metric": "employees",
        "value": "unknown",
        "band": None,
        "points": 0,
    }
    assert answer["lead_score"]["total"] == 0
    assert (answer["icp_score"]["total"], answer["icp_score"]["tier"]) == (-10, "low")


def test_submission_id_is_optional_and_unknown_fields_are_ignored(score: FunctionUnderTest) -> None:
    status, _ = _post(score, {**GOOD_BODY, "submission_id": "s-1", "utm_campaign": "spring"})
    assert status == 200


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ("not json", 400, ["body"]),
        ("[1, 2]", 422, ["body"]),
        ({}, 422, ["email"]),
        ({"email": 42}, 422, ["email"]),
        ({"email": "no-at-sign"}, 422, ["email"]),
        ({"email": "a@acme.io", "company": {"employees": -5}}, 422, ["company.employees"]),
        ({"email": "a@acme.io", "company": {"employees": "many"}}, 422, ["company.employees"]),
        ({"email": "a@acme.io", "company": {"employees": True}}, 422, ["company.employees"]),
        (
            {"email": "a@acme.io", "company": {"employees_range": "lots"}},
            422,
            ["company.employees_range"],
        ),
        (
            {"email": "a@acme.io", "company": {"annual_revenue": -1}},
            422,
            ["company.annual_revenue"],
        ),
        ({"email": "a@acme.io", "company": {"founded_year": 99999}}, 422, ["company.founded_year"]),
        ({"email": "a@acme.io", "company": "Acme"}, 422, ["company"]),
        ({"email": "a@acme.io", "job_title": "x" * 500}, 422, ["job_title"]),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(
    score: FunctionUnderTest, body: object, status: int, fields: list[str]
) -> None:
    got_status, answer = _post(score, body)
    assert got_status == status
    assert [error["field"] for error in answer["errors"]] == fields
    assert all(error["message"] for error in answer["errors"])


def test_errors_never_echo_the_submitted_values(score: FunctionUnderTest) -> None:
    _, answer = _post(score, {"email": "secret-person-at-example"})
    assert "secret-person" not in json.dumps(answer)


def test_a_body_over_64_kb_is_413(score: FunctionUnderTest) -> None:
    body = {**GOOD_BODY, "message": "x" * (64 * 1024)}
    status, answer = _post(score, body)
    assert status == 413
    assert answer["errors"][0]["field"] == "body"


def test_a_base64_body_is_decoded(score: FunctionUnderTest) -> None:
    raw = base64.b64encode(json.dumps(GOOD_BODY).encode()).decode()
    status, answer = _post(score, raw, is_base64=True)
    assert (status, answer["lead_score"]["total"]) == (200, 50)


def test_a_body_that_is_not_utf8_is_400(score: FunctionUnderTest) -> None:
    raw = base64.b64encode(b'{"email": "\xff\xfe@acme.io"}').decode()
    status, answer = _post(score, raw, is_base64=True)
    assert (status, answer["errors"][0]["field"]) == (400, "body")


def test_an_unknown_route_is_404(score: FunctionUnderTest) -> None:
    response = score.invoke(http_event("POST", "/nope", "{}"))
    assert response["statusCode"] == 404


def test_logs_carry_the_scores_but_not_the_lead(
    score: FunctionUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    _post(score, {**GOOD_BODY, "first_name": "Ada", "last_name": "Lovelace"})
    (scored,) = [record for record in caplog.records if record.getMessage() == "lead scored"]
    assert scored.__dict__["lead_score"] == 50
    assert scored.__dict__["icp_tier"] == "high"
    everything = " ".join(str(record.__dict__) for record in caplog.records)
    for secret in ("ada@acme-analytics.io", "Lovelace", "acme-analytics"):
        assert secret not in everything


def test_rejections_log_the_fields_not_the_values(
    score: FunctionUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    _post(score, {"email": "leaky-value-at-nowhere", "company": {"employees": -5}})
    everything = " ".join(str(record.__dict__) for record in caplog.records)
    assert "company.employees" in everything
    assert "leaky-value" not in everything
