"""Each form vendor's own webhook signature, checked exactly as its public docs specify (issue
12). Every scheme compares in constant time against every secret the source's secret holds (one
per line while it rotates); a refusal says why without the secret, signature or body.

- Typeform ``Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, raw body)>`` (no timestamp)
- Tally ``Tally-Signature: <base64 HMAC-SHA256(secret, raw body)>`` (no timestamp)
- Webflow ``x-webflow-signature: <hex HMAC-SHA256(secret, "<x-webflow-timestamp>:<raw body>")>``,
  the timestamp in milliseconds, refused when more than 5 minutes from now
- HubSpot ``X-HubSpot-Signature-v3: <base64 HMAC-SHA256(secret, method + URI + raw body +
  X-HubSpot-Request-Timestamp)>``, the URI with HubSpot's listed %-escapes decoded, refused
  when the timestamp (milliseconds) is more than 5 minutes old
- Jotform does not sign: the webhook URL carries ``?token=<secret>``
- native and generic_json: our ``X-Leadops-Signature`` (leadops.http.signature)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from leadops.form_sources import FormVendor
from leadops.http import signature
from leadops.http.signature import SignatureError

TOLERANCE_MS = 5 * 60 * 1000
# HubSpot: "decode any URL-encoded characters listed in the following table" before signing.
_HUBSPOT_DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'",
    "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a signature may cover: the request as received (headers in lower case)."""

    method: str
    url: str  # https://<host><path>[?<query>], as the vendor called it
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


HEADERS = {
    FormVendor.NATIVE: "X-Leadops-Signature",
    FormVendor.GENERIC_JSON: "X-Leadops-Signature",
    FormVendor.TYPEFORM: "Typeform-Signature",
    FormVendor.TALLY: "Tally-Signature",
    FormVendor.WEBFLOW: "x-webflow-signature",
    FormVendor.HUBSPOT: "X-HubSpot-Signature-v3",
    FormVendor.JOTFORM: "token",  # a query parameter: Jotform does not sign
}


class RefusedDelivery(SignatureError):
    """A delivery not signed the vendor's way; ``header`` names where the signature goes."""

    def __init__(self, header: str, message: str) -> None:
        super().__init__(message)
        self.header = header


def verify_delivery(
    vendor: FormVendor, request: SignedRequest, secrets: Sequence[str], now: float
) -> None:
    """Raise ``RefusedDelivery`` unless ``request`` is signed the vendor's way with a secret."""
    usable = [secret for secret in secrets if secret]
    try:
        if not usable:
            raise SignatureError("the form source's secret is empty")
        _CHECKS[vendor](request, usable, now)
    except SignatureError as refused:
        raise RefusedDelivery(HEADERS[vendor], str(refused)) from None


def _header(request: SignedRequest, vendor: FormVendor) -> str:
    value = request.headers.get(HEADERS[vendor].lower())
    if not value:
        raise SignatureError(f"missing {HEADERS[vendor]} header")
    return value.strip()


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _matches(given: str, expected: Sequence[str]) -> None:
    """Compare against every expected value (each in constant time)."""
    matched = False
    for candidate in expected:
        matched |= hmac.compare_digest(given.encode(), candidate.encode())
    if not matched:
        raise SignatureError("signature does not match")


def _timestamp_ms(request: SignedRequest, header: str, now: float) -> str:
    value = request.headers.get(header.lower(), "").strip()
    if not value.isdigit() or len(value) > 16:
        raise SignatureError(f"missing or malformed {header} header (milliseconds)")
    if abs(now * 1000 - int(value)) > TOLERANCE_MS:
        raise SignatureError(f"{header} is more than 5 minutes from now")
    return value


def _typeform(request: SignedRequest, secrets: Sequence[str], now: float) -> None:
    given = _header(request, FormVendor.TYPEFORM)
    expected = [f"sha256={_b64(_hmac(secret, request.body))}" for secret in secrets]
    _matches(given, expected)


def _tally(request: SignedRequest, secrets: Sequence[str], now: float) -> None:
    given = _header(request, FormVendor.TALLY)
    _matches(given, [_b64(_hmac(secret, request.body)) for secret in secrets])


def _webflow(request: SignedRequest, secrets: Sequence[str], now: float) -> None:
    given = _header(request, FormVendor.WEBFLOW).lower()
    timestamp = _timestamp_ms(request, "x-webflow-timestamp", now)
    message = timestamp.encode() + b":" + request.body
    _matches(given, [_hmac(secret, message).hex() for secret in secrets])


def _hubspot(request: SignedRequest, secrets: Sequence[str], now: float) -> None:
    given = _header(request, FormVendor.HUBSPOT)
    timestamp = _timestamp_ms(request, "X-HubSpot-Request-Timestamp", now)
    message = hubspot_source(request.method, request.url, request.body, timestamp)
    _matches(given, [_b64(_hmac(secret, message)) for secret in secrets])


def hubspot_source(method: str, url: str, body: bytes, timestamp: str) -> bytes:
    """HubSpot v3's signed string: method + URI (listed escapes decoded) + body + timestamp."""
    for escaped, character in _HUBSPOT_DECODED.items():
        url = url.replace(escaped, character).replace(escaped.lower(), character)
    return method.upper().encode() + url.encode() + body + timestamp.encode()


def _jotform(request: SignedRequest, secrets: Sequence[str], now: float) -> None:
    given = request.query.get("token")
    if not given:
        raise SignatureError("missing token query parameter (Jotform deliveries are not signed)")
    _matches(given, secrets)


def _leadops(request: SignedRequest, secrets: Sequence[str], now: float) -> None:
    signature.verify(request.headers.get(signature.HEADER), request.body, secrets, now)


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


_CHECKS: dict[FormVendor, Callable[[SignedRequest, Sequence[str], float], None]] = {
    FormVendor.NATIVE: _leadops,
    FormVendor.GENERIC_JSON: _leadops,
    FormVendor.TYPEFORM: _typeform,
    FormVendor.TALLY: _tally,
    FormVendor.WEBFLOW: _webflow,
    FormVendor.HUBSPOT: _hubspot,
    FormVendor.JOTFORM: _jotform,
}
