"""The public router's pure parts: the booking token, what the visitor is shown, the origin
check, the counter keys, and the HTML page's escaping."""

from __future__ import annotations

import pytest

from leadops.router import (
    BOOK_PATH,
    Outcome,
    TokenError,
    VisitorAnswer,
    VisitorTexts,
    answers_hash,
    client_hash,
    issue_token,
    origin_allowed,
    origin_of,
    read_token,
    visitor_answer,
)
from leadops.router_page import PAGE_CSP, booking_page, message_page, visitor_page

SECRET = "s3cret"
NOW = 1_800_000_000
TEXTS = VisitorTexts(message="Thanks, we will be in touch.")


def _decision(outcome: str, booking_url: str | None, owner: bool = True) -> dict[str, object]:
    shown = {"id": "grace", "name": "Grace", "role": "TAE", "booking_url": booking_url}
    return {"lead_id": "ld_1", "outcome": outcome, "owner": shown if owner else None}


# --- the booking token -------------------------------------------------------------------
def test_a_token_names_lead_and_rep_and_verifies_until_it_expires() -> None:
    token = issue_token("ld_1", "grace", NOW, 600, SECRET)
    assert "grace" not in token  # no bare rep id in the link
    grant = read_token(token, NOW + 600, [SECRET])
    assert (grant.lead_id, grant.rep_id, grant.expires_at) == ("ld_1", "grace", NOW + 600)
    with pytest.raises(TokenError, match="expired"):
        read_token(token, NOW + 601, [SECRET])


def test_a_token_verifies_under_any_secret_of_a_rotation() -> None:
    token = issue_token("ld_1", "grace", NOW, 600, "old")
    assert read_token(token, NOW, ["new", "old"]).rep_id == "grace"
    with pytest.raises(TokenError, match="signature"):
        read_token(token, NOW, ["new"])


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t + "x",
        lambda t: t.replace(".", ""),
        lambda t: "e30." + t.split(".")[1],  # another payload under the same mac
        lambda t: t.split(".")[0] + ".AAAA",
        lambda t: "a" * 600,
        lambda t: "",
    ],
)
def test_a_forged_or_malformed_token_is_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    token = issue_token("ld_1", "grace", NOW, 600, SECRET)
    with pytest.raises(TokenError):
        read_token(mangle(token), NOW, [SECRET])


def test_a_signed_token_with_unreadable_claims_is_malformed_not_a_crash() -> None:
    import base64
    import hashlib
    import hmac

    payload = base64.urlsafe_b64encode(b'{"l": 1}').rstrip(b"=").decode()
    mac = hmac.new(SECRET.encode(), b"leadops-booking." + payload.encode(), hashlib.sha256)
    token = payload + "." + base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
    with pytest.raises(TokenError, match="malformed"):
        read_token(token, NOW, [SECRET])


# --- what the visitor sees ---------------------------------------------------------------
def test_only_the_instant_scheduler_gives_a_booking_link() -> None:
    booking = visitor_answer(_decision("instant_scheduler", "https://cal/x"), TEXTS, "tok", "s1")
    assert booking == VisitorAnswer(
        Outcome.BOOKING, "s1", booking_path=BOOK_PATH + "tok", owner_id="grace", owner_name="Grace"
    )


@pytest.mark.parametrize(
    "decision",
    [
        _decision("manual_review", None),  # a sales lead under the bar: has an owner
        _decision("support_ticket", None, owner=False),
        _decision("dropped_spam", None, owner=False),
    ],
)
def test_manual_review_support_and_spam_read_the_same_neutral_answer(decision) -> None:  # type: ignore[no-untyped-def]
    answer = visitor_answer(decision, TEXTS, None, "s1")
    assert answer.as_dict() == {
        "outcome": "message", "submission_id": "s1", "message": TEXTS.message,
        "booking_path": None, "redirect_url": None, "owner_id": None, "owner_name": None,
    }  # fmt: skip
    redirect = VisitorTexts(message="m", redirect_url="https://example.com/thanks")
    assert visitor_answer(decision, redirect, None, "s1").as_dict()["redirect_url"] == (
        "https://example.com/thanks"
    )


# --- abuse ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Example.com/pricing?x=1", "https://example.com"),
        ("http://127.0.0.1:8080/form", "http://127.0.0.1:8080"),
        ("https://example.com", "https://example.com"),
        ("javascript:alert(1)", None),
        ("null", None),
        ("", None),
        (None, None),
        ("https://[::1", None),
    ],
)
def test_origin_of(url: str | None, origin: str | None) -> None:
    assert origin_of(url) == origin


def test_the_allow_list_matches_whole_origins() -> None:
    allowed = ["https://example.com", "https://www.example.com"]
    assert origin_allowed("https://www.example.com", allowed)
    assert origin_allowed(origin_of("https://WWW.example.com/pricing"), allowed)
    assert not origin_allowed("https://evil-example.com", allowed)
    assert not origin_allowed("http://example.com", allowed)
    assert not origin_allowed("https://example.com.evil.test", allowed)
    assert not origin_allowed(None, allowed)


def test_answers_hash_ignores_order_and_the_per_submission_fields() -> None:
    one = answers_hash("src", {"email": "a@b.io", "leadops_submission_id": "1"})
    two = answers_hash("src", {"cf-turnstile-response": "t", "email": "a@b.io"})
    assert one == two
    assert one != answers_hash("other", {"email": "a@b.io"})
    assert client_hash("203.0.113.9") != client_hash("203.0.113.10")
    assert "203" not in client_hash("203.0.113.9")


# --- the page ------------------------------------------------------------------------------
def test_the_page_escapes_every_value() -> None:
    hostile = '"><script>alert(1)</script>'
    page = message_page(hostile)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    booking = booking_page(hostile, '/router/book/x" onload="alert(1)', hostile)
    assert "<script>" not in booking
    assert 'onload="alert' not in booking
    assert "script-src" not in PAGE_CSP
    assert "default-src 'none'" in PAGE_CSP


def test_the_page_embeds_the_booking_link_or_shows_the_message() -> None:
    answer = VisitorAnswer(Outcome.BOOKING, "s", booking_path="/router/book/t", owner_name="Ada")
    page = visitor_page(answer, "Book your demo")
    assert '<iframe src="/router/book/t"' in page
    assert "Book your demo with Ada" in page
    message = visitor_page(VisitorAnswer(Outcome.MESSAGE, "s", message="Thanks!"), "x")
    assert "Thanks!" in message
    assert "<iframe" not in message
