"""Deliveries signed each form vendor's own way (issue 12), for the handler tests and the bench:
the sample bodies of events/forms/, the sources that map them, and a signer per vendor written
from the vendor's docs (independently of leadops.http.vendor_signatures)."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leadops.http.signature import sign
from tests.helpers import ROOT, http_event

FORMS = ROOT / "events" / "forms"
HOST = "abc123.execute-api.us-east-1.amazonaws.com"
BOUNDARY = "------------------------leadopsJotform7d3a"
VENDORS = ("typeform", "tally", "webflow", "hubspot", "jotform")


def sample(vendor: str) -> Any:
    return json.loads((FORMS / f"{vendor}.json").read_text())


def source(vendor: str) -> dict[str, Any]:
    return dict(json.loads((FORMS / f"{vendor}-source.json").read_text()))


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


@dataclass(frozen=True)
class Request:
    """A delivery as the vendor sends it: body bytes, headers, query string."""

    body: bytes
    headers: dict[str, str]
    query: str = ""


Signer = Callable[[bytes, str, str, float], Request]  # body, secret, path, now


def _typeform(body: bytes, secret: str, path: str, now: float) -> Request:
    """Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>."""
    digest = base64.b64encode(_hmac(secret, body)).decode()
    return Request(body, {"typeform-signature": f"sha256={digest}"})


def _tally(body: bytes, secret: str, path: str, now: float) -> Request:
    """Tally-Signature: base64 HMAC-SHA256 of the raw JSON body."""
    return Request(body, {"tally-signature": base64.b64encode(_hmac(secret, body)).decode()})


def _webflow(body: bytes, secret: str, path: str, now: float) -> Request:
    """x-webflow-signature: hex HMAC-SHA256 of "<x-webflow-timestamp>:<body>" (milliseconds)."""
    timestamp = str(int(now * 1000))
    digest = _hmac(secret, f"{timestamp}:".encode() + body).hex()
    return Request(body, {"x-webflow-timestamp": timestamp, "x-webflow-signature": digest})


def _hubspot(body: bytes, secret: str, path: str, now: float) -> Request:
    """X-HubSpot-Signature-v3: base64 HMAC-SHA256 of method + URI + body + timestamp."""
    timestamp = str(int(now * 1000))
    uri = f"https://{HOST}{path}"
    digest = base64.b64encode(_hmac(secret, b"POST" + uri.encode() + body + timestamp.encode()))
    headers = {"host": HOST, "x-hubspot-request-timestamp": timestamp}
    return Request(body, headers | {"x-hubspot-signature-v3": digest.decode()})


def _jotform(body: bytes, secret: str, path: str, now: float) -> Request:
    """Not signed: the secret token in the webhook URL."""
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    return Request(body, {"content-type": content_type}, f"token={secret}")


def _leadops(body: bytes, secret: str, path: str, now: float) -> Request:
    return Request(body, {"x-leadops-signature": sign(body, secret, int(now))})


SIGNERS: dict[str, Signer] = {
    "typeform": _typeform,
    "tally": _tally,
    "webflow": _webflow,
    "hubspot": _hubspot,
    "jotform": _jotform,
    "native": _leadops,
    "generic_json": _leadops,
}


def multipart(parts: dict[str, str]) -> bytes:
    """multipart/form-data as Jotform posts it (one text part per field)."""
    lines = []
    for name, value in parts.items():
        lines += [f"--{BOUNDARY}", f'Content-Disposition: form-data; name="{name}"', "", value]
    return "\r\n".join([*lines, f"--{BOUNDARY}--", ""]).encode()


def body_of(vendor: str, document: Any) -> bytes:
    """The wire body of a sample (Jotform's parts as multipart, the others as JSON)."""
    if vendor == "jotform":
        return multipart(document["parts"])
    return json.dumps(document).encode()


def delivery_event(
    vendor: str,
    source_id: str,
    body: bytes,
    secret: str,
    now: float | None = None,
) -> dict[str, Any]:
    path = f"/webhooks/forms/{source_id}"
    request = SIGNERS[vendor](body, secret, path, time.time() if now is None else now)
    headers = {"content-type": "application/json", **request.headers}
    try:
        text = body.decode()
    except UnicodeDecodeError:
        text = None
    if vendor == "jotform" or text is None:
        event = http_event("POST", path, "", headers=headers, query=request.query)
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True  # API Gateway's form of a multipart / binary body
        return event
    return http_event("POST", path, text, headers=headers, query=request.query)
