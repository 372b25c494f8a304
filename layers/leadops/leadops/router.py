"""The public router's pure parts: what the visitor is shown for a decision, the signed booking
token, the browser-origin check and the keys the rate limits count by.

The visitor never learns the classification: manual review, support and spam all end in the
same neutral outcome (the form source's message, or its redirect); only a lead shown the
instant scheduler gets a booking link, and that link names the lead and rep in a signed,
short-lived token (``/router/book/<token>``), never a bare rep id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

BOOK_PATH = "/router/book/"
TURNSTILE_FIELD = "cf-turnstile-response"  # the hidden input Cloudflare's widget adds
MAX_ROUTER_BODY_BYTES = 16 * 1024
MAX_TOKEN_CHARS = 512


# What a refused visitor reads: clear, neutral, never the reason's detail.
NOT_ALLOWED = "This form cannot be sent from this page."
TOO_MANY = "Too many submissions from here. Please try again in a few minutes."
NOT_VERIFIED = "We could not verify this submission. Please reload the page and try again."
NO_LINK = "This booking link is no longer valid. Please submit the form again."


class Outcome(StrEnum):
    BOOKING = "booking"
    MESSAGE = "message"
    REDIRECT = "redirect"


@dataclass(frozen=True, slots=True)
class VisitorTexts:
    """What a form source shows visitors who do not get a booking link: one neutral message, or
    a redirect to the site's own page. ``booking_title`` heads the booking page."""

    message: str
    redirect_url: str | None = None
    booking_title: str = "Book your demo"


@dataclass(frozen=True, slots=True)
class VisitorAnswer:
    """The router's answer to the browser (``as_dict`` is the JSON contract)."""

    outcome: Outcome
    submission_id: str
    message: str | None = None
    booking_path: str | None = None
    redirect_url: str | None = None
    owner_id: str | None = None
    owner_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "submission_id": self.submission_id,
            "message": self.message,
            "booking_path": self.booking_path,
            "redirect_url": self.redirect_url,
            "owner_id": self.owner_id,
            "owner_name": self.owner_name,
        }


def visitor_answer(
    decision: Mapping[str, Any], texts: VisitorTexts, token: str | None, submission_id: str
) -> VisitorAnswer:
    """The visitor's outcome for the webhook's decision: a booking link only with a booking url
    (the instant scheduler was shown) and a token; the same neutral answer for everything else."""
    owner = decision.get("owner") or {}
    if token is not None and owner.get("booking_url"):
        return VisitorAnswer(
            Outcome.BOOKING,
            submission_id,
            booking_path=BOOK_PATH + token,
            owner_id=owner.get("id"),
            owner_name=owner.get("name"),
        )
    if texts.redirect_url:
        return VisitorAnswer(Outcome.REDIRECT, submission_id, redirect_url=texts.redirect_url)
    return VisitorAnswer(Outcome.MESSAGE, submission_id, message=texts.message)


def bookable(decision: Mapping[str, Any]) -> tuple[str, str] | None:
    """(lead id, rep id) when the decision showed the instant scheduler with a booking url."""
    owner = decision.get("owner") or {}
    if decision.get("outcome") == "instant_scheduler" and owner.get("booking_url"):
        return str(decision["lead_id"]), str(owner["id"])
    return None


# --- the booking token ---------------------------------------------------------------------
class TokenError(ValueError):
    """A booking token that is malformed, forged or expired (the visitor sees a neutral 404)."""


@dataclass(frozen=True, slots=True)
class BookingGrant:
    lead_id: str
    rep_id: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), b"leadops-booking." + payload.encode(), hashlib.sha256)
    return _b64(digest.digest())


def issue_token(lead_id: str, rep_id: str, now: int, ttl_s: int, secret: str) -> str:
    """``<payload>.<mac>``: base64url JSON {l, r, e} and its HMAC-SHA256 under ``secret``."""
    body = json.dumps({"l": lead_id, "r": rep_id, "e": now + ttl_s}, separators=(",", ":"))
    payload = _b64(body.encode())
    return f"{payload}.{_mac(secret, payload)}"


def read_token(token: str, now: int, secrets: Iterable[str]) -> BookingGrant:
    """The grant a token carries; ``TokenError`` unless one of ``secrets`` signed it and it has
    not expired (several secrets: accepted while the secret rotates)."""
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise TokenError("malformed")
    payload, mac = token.split(".")
    if not any(hmac.compare_digest(_mac(secret, payload), mac) for secret in secrets if secret):
        raise TokenError("signature")
    try:
        claims = json.loads(_unb64(payload))
        grant = BookingGrant(str(claims["l"]), str(claims["r"]), int(claims["e"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError("malformed") from exc
    if grant.expires_at < now:
        raise TokenError("expired")
    return grant


# --- refusals and abuse -------------------------------------------------------------------
class Refused(Exception):
    """A visitor turned away before anything was decided or stored (the HTTP status, the
    neutral text, and ``kind`` for logs and the error's ``type``)."""

    def __init__(
        self, status: int, kind: str, message: str, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who is asking: the address API Gateway saw and the page's origin (the ``Origin`` header,
    else the ``Referer``'s origin); ``strict`` when a missing origin is refused (a browser
    always sends ``Origin`` on a cross-origin POST; a redirect may come without a referrer)."""

    ip: str | None
    origin: str | None
    strict: bool


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of a URL (an Origin header is one already), lower case."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def origin_allowed(origin: str | None, allowed: Iterable[str]) -> bool:
    """Whether the browser origin is on the source's allow-list (origins as ``origin_of`` gives
    them: the form source stores them so)."""
    return origin is not None and origin in allowed


def answers_hash(source_id: str, answers: Mapping[str, Any]) -> str:
    """One hash per distinct set of answers to a form: what "the same submission again" is
    counted by (the browser id and the Turnstile token left out, as they change each time)."""
    kept = {k: v for k, v in answers.items() if k not in _VOLATILE}
    canonical = json.dumps([source_id, kept], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def client_hash(ip: str) -> str:
    """The counter key of a visitor's address: hashed, so no address is stored."""
    return hashlib.sha256(b"leadops-ip." + ip.encode()).hexdigest()[:32]


_VOLATILE = frozenset({TURNSTILE_FIELD, "leadops_submission_id"})
