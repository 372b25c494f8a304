"""The lead and rep API through the real ``lambda_handler`` on moto."""

from typing import Any

import pytest

from leadops_local.template import SamTemplate
from tests.helpers import SALES, FunctionUnderTest, add_rep, call, deliver


@pytest.fixture
def api(aws: SamTemplate, load_function) -> FunctionUnderTest:  # type: ignore[no-untyped-def]
    return load_function("LeadsApiFunction")


@pytest.fixture
def lead_id(aws: SamTemplate, api: FunctionUnderTest, load_function) -> str:  # type: ignore[no-untyped-def]
    add_rep(api, "tae-1")
    _, answer = deliver(load_function("WebhookFunction"), SALES)
    return str(answer["lead_id"])


def test_get_lead_returns_the_stored_decision_with_its_breakdown(
    api: FunctionUnderTest, lead_id: str
) -> None:
    status, lead = call(api, "GET", f"/leads/{lead_id}")
    assert status == 200
    assert (lead["lead_id"], lead["outcome"]) == (lead_id, "instant_scheduler")
    assert lead["rulebook_version"]
    assert lead["scores"]["lead_score"]["max"] == 70
    assert lead["rule"] == "instant:revenue+title+industry"
    assert lead["reasons"]
    assert (lead["disqualified"], lead["deal"]) == (None, None)


def test_outcomes_are_stored_for_conversion_reporting(api: FunctionUnderTest, lead_id: str) -> None:
    status, _ = call(api, "POST", f"/leads/{lead_id}/outcome", {"outcome": "won", "amount": 12000})
    assert status == 200
    _, lead = call(api, "GET", f"/leads/{lead_id}")
    assert lead["deal"]["outcome"] == "won"
    assert lead["deal"]["amount"] == 12000


def test_disqualify_is_recorded_on_the_lead(api: FunctionUnderTest, lead_id: str) -> None:
    status, answer = call(api, "POST", f"/leads/{lead_id}/disqualify", {"reason": "competitor"})
    assert status == 200
    assert answer["account_locked_out_until"]
    _, lead = call(api, "GET", f"/leads/{lead_id}")
    assert lead["disqualified"]["reason"] == "competitor"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("GET", "/leads/ld_missing", None, 404, "path"),
        ("POST", "/leads/ld_missing/disqualify", {"reason": "x"}, 404, "path"),
        ("POST", "/leads/ld_missing/outcome", {"outcome": "won"}, 404, "path"),
        ("POST", "/leads/LEAD/disqualify", {}, 422, "reason"),
        ("POST", "/leads/LEAD/outcome", {"outcome": "maybe"}, 422, "outcome"),
        ("POST", "/leads/LEAD/outcome", {"outcome": "won", "amount": -1}, 422, "amount"),
        ("GET", "/reps/nobody", None, 404, "path"),
    ],
)
def test_errors_name_what_is_wrong(
    api: FunctionUnderTest,
    lead_id: str,
    method: str,
    path: str,
    body: Any,
    status: int,
    field: str,
) -> None:
    got, answer = call(api, method, path.replace("LEAD", lead_id), body)
    assert (got, answer["errors"][0]["field"]) == (status, field)


REP = {
    "name": "Grace",
    "email": "grace@seller.io",
    "role": "TAE",
    "team": "new_business",
    "territory": "EMEA",
    "weight": 2,
    "active": True,
    "booking_url": "https://cal.example.com/grace",
    "salesforce_user_id": "0055e000003AbCdAAK",
    "hubspot_owner_id": "41629779",
    "slack_user_id": "U024BE7LH",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight": 0}, "weight"),
        ({"role": "CEO"}, "role"),
        ({"booking_url": "not a url"}, "booking_url"),
        ({"territory": "emea"}, "territory"),
        ({"email": "nope"}, "email"),
        ({"salesforce_user_id": "00Q5e000001abcd"}, "salesforce_user_id"),  # a Lead id, not a User
        ({"hubspot_owner_id": "owner-7"}, "hubspot_owner_id"),
        ({"slack_user_id": "#sales"}, "slack_user_id"),
    ],
)
def test_bad_rep_values_are_422(api: FunctionUnderTest, change: dict[str, Any], field: str) -> None:
    status, answer = call(api, "PUT", "/reps/grace", {**REP, **change})
    assert (status, answer["errors"][0]["field"]) == (422, field)


def test_reps_are_stored_listed_and_counted(api: FunctionUnderTest) -> None:
    status, rep = call(api, "PUT", "/reps/grace", REP)
    assert status == 200
    assert rep == {**REP, "rep_id": "grace", "assigned_count": 0}
    call(api, "PUT", "/reps/alan", {**REP, "name": "Alan", "email": "alan@seller.io"})
    _, listed = call(api, "GET", "/reps")
    assert [r["rep_id"] for r in listed["reps"]] == ["alan", "grace"]


def test_a_rep_moved_to_another_territory_leaves_its_old_pool(
    api: FunctionUnderTest,
    load_function,  # type: ignore[no-untyped-def]
) -> None:
    call(api, "PUT", "/reps/grace", REP)
    call(api, "PUT", "/reps/grace", {**REP, "territory": "AMER"})
    _, answer = deliver(load_function("WebhookFunction"), SALES)  # a German lead: EMEA
    assert answer["owner"] is None
    us = {**SALES, "submission_id": "us-1", "company": {**SALES["company"], "country": "US"}}
    _, answer = deliver(load_function("WebhookFunction"), us)
    assert answer["owner"]["id"] == "grace"
