"""Webhook signatures (DESIGN.md "Contracts"): ``X-Leadops-Signature: t=<unix>,v1=<hex>[,v1=...]``
where hex is HMAC-SHA256 over ``<t>.<raw body>``. Several ``v1`` values let the sender sign with
an old and a new secret while they rotate; several secrets on our side do the same."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

HEADER = "x-leadops-signature"
TOLERANCE_S = 300


class SignatureError(Exception):
    """Why a signature was refused (safe to log; never contains the secret or the body)."""


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The header value a sender puts on ``body`` (also used by tests and the sign helper)."""
    return f"t={timestamp},v1={_digest(body, secret, timestamp)}"


def _digest(body: bytes, secret: str, timestamp: int) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        raise SignatureError("malformed signature header: expected t=<unix seconds>,v1=<hex>")
    return timestamp, signatures


def verify(
    header: str | None,
    body: bytes,
    secrets: Sequence[str],
    now: float,
    tolerance_s: int = TOLERANCE_S,
) -> None:
    """Raise ``SignatureError`` unless one ``v1`` matches one secret within the tolerance."""
    if not header:
        raise SignatureError("missing X-Leadops-Signature header")
    timestamp, signatures = parse(header)
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError(f"signature timestamp is more than {tolerance_s} s from now")
    expected = [_digest(body, secret, timestamp) for secret in secrets if secret]
    # Compare every pair (constant time each) so timing says nothing about which one matched.
    matched = False
    for candidate in signatures:
        for digest in expected:
            matched |= hmac.compare_digest(candidate, digest)
    if not matched:
        raise SignatureError("signature does not match")


def secrets_from(value: str) -> list[str]:
    """The secret store value may hold several secrets (one per line or comma-separated)."""
    return [part.strip() for part in value.replace(",", "\n").splitlines() if part.strip()]
