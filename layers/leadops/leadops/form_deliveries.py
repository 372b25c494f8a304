"""A vendor's webhook delivery, read into answers (issue 12): pure, one reader per vendor.

Each reader takes the delivery's raw body as the vendor documents it (docs/forms.md quotes each
shape) and gives the answers, each under the names an operator may map it by, and the vendor's
own id of the submission (its redeliveries carry the same one). A body that is not the vendor's
shape is a ``DeliveryError`` naming where it went wrong (400 not JSON / not multipart, 422 a
missing or mistyped part).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from leadops.form_sources import Answer, FormVendor


class DeliveryError(ValueError):
    """The body is not a delivery of the source's vendor: ``status`` 400 (unreadable) or 422
    (readable, wrong shape), ``field`` where (a dotted path in the vendor's body)."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


@dataclass(frozen=True, slots=True)
class Delivery:
    answers: list[Answer]
    vendor_id: str | None  # the vendor's id of the submission


def read_delivery(vendor: FormVendor, body: bytes, content_type: str | None) -> Delivery:
    """The delivery's answers, read the vendor's way."""
    if vendor is FormVendor.JOTFORM:
        return _jotform(body, content_type or "")
    return _READERS[vendor](_json_object(body))


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise DeliveryError(400, "body", "body is not valid JSON") from None
    if not isinstance(document, dict):
        raise DeliveryError(422, "body", "expected a JSON object")
    return document


def _part(document: dict[str, Any], path: str, kind: type) -> Any:
    """``document``'s value at the dotted ``path``, which must be a ``kind``."""
    value: Any = document
    for step in path.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    if not isinstance(value, kind):
        expected = {"dict": "an object", "list": "a list"}.get(kind.__name__, "text")
        raise DeliveryError(422, path, f"expected {expected}")
    return value


def _text_id(value: Any) -> str | None:
    return str(value)[:200] if isinstance(value, str | int) and str(value).strip() else None


# --- Typeform: form_response.answers[] (by field ref / id / title) and form_response.hidden ---
_TYPEFORM_VALUE = {"choice": ("label",), "choices": ("labels",), "payment": ("amount",)}


def _typeform(document: dict[str, Any]) -> Delivery:
    response = _part(document, "form_response", dict)
    definition = response.get("definition")
    fields = definition.get("fields") if isinstance(definition, dict) else None
    titles = {
        field["id"]: field.get("title")
        for field in (fields if isinstance(fields, list) else [])
        if isinstance(field, dict) and isinstance(field.get("id"), str)
    }
    answers = []
    for answer in _part(document, "form_response.answers", list):
        if not isinstance(answer, dict) or not isinstance(answer.get("field"), dict):
            continue
        field, kind = answer["field"], str(answer.get("type", ""))
        value = answer.get(kind)
        for key in _TYPEFORM_VALUE.get(kind, ()):
            value = value.get(key) if isinstance(value, dict) else None
        field_id = field.get("id") if isinstance(field.get("id"), str) else None
        names = _names(field.get("ref"), field_id, titles.get(field_id))
        answers.append(Answer(names, value))
    hidden = response.get("hidden")
    if isinstance(hidden, dict):
        answers += [Answer((str(name),), value) for name, value in hidden.items()]
    return Delivery(answers, _text_id(response.get("token")))


def _names(*candidates: Any) -> tuple[str, ...]:
    return tuple(str(name) for name in candidates if isinstance(name, str) and name)


# --- Tally: data.fields[] (by key / label); choices are option ids in data.fields[].options ---
def _tally(document: dict[str, Any]) -> Delivery:
    data = _part(document, "data", dict)
    answers = []
    for field in _part(document, "data.fields", list):
        if not isinstance(field, dict):
            continue
        value = field.get("value")
        listed = field.get("options")
        options = {
            option["id"]: option.get("text")
            for option in (listed if isinstance(listed, list) else [])
            if isinstance(option, dict) and isinstance(option.get("id"), str)
        }
        if isinstance(value, list) and options:
            value = [options.get(item, item) for item in value if isinstance(item, str)]
        answers.append(Answer(_names(field.get("key"), field.get("label")), value))
    return Delivery(answers, _text_id(data.get("responseId") or data.get("submissionId")))


# --- Webflow: form_submission payload.data (by field name), payload.id ---------------------
def _webflow(document: dict[str, Any]) -> Delivery:
    payload = _part(document, "payload", dict)
    data = _part(document, "payload.data", dict)
    answers = [Answer((str(name),), value) for name, value in data.items()]
    return Delivery(answers, _text_id(payload.get("id")))


# --- HubSpot: a workflow's "Send a webhook" of the contact (by internal property name) -------
def _hubspot(document: dict[str, Any]) -> Delivery:
    """Either the contact with all its properties (``properties.<name>.value``, its latest
    ``form-submissions[].conversion-id`` the submission) or a customised flat body."""
    properties = document.get("properties")
    flat = properties if isinstance(properties, dict) else document
    answers = []
    for name, value in flat.items():
        plain = value.get("value") if isinstance(value, dict) else value
        answers.append(Answer((str(name),), plain))
    conversions = document.get("form-submissions")
    vendor_id = None
    if isinstance(conversions, list) and conversions and isinstance(conversions[0], dict):
        vendor_id = _text_id(conversions[0].get("conversion-id"))
    return Delivery(answers, vendor_id)


# --- native / generic_json: one JSON object, nested objects by dotted path --------------------
def _flat_json(document: dict[str, Any]) -> Delivery:
    answers = list(_flattened(document, ""))
    return Delivery(answers, _text_id(document.get("submission_id")))


def _flattened(document: dict[str, Any], prefix: str) -> Iterator[Answer]:
    for name, value in document.items():
        if isinstance(value, dict) and not prefix:  # one level: company.<field>
            yield from _flattened(value, f"{name}.")
        else:
            yield Answer((f"{prefix}{name}",), value)


# --- Jotform: multipart/form-data, rawRequest (JSON, keys q<n>_<unique name>), submissionID --
_JOTFORM_KEY = re.compile(r"^q\d+_(.+)$")


def _jotform(body: bytes, content_type: str) -> Delivery:
    if not content_type.lower().startswith("multipart/form-data"):
        raise DeliveryError(400, "body", "expected multipart/form-data (Jotform's webhook)")
    parts = _form_parts(body, content_type)
    raw = parts.get("rawRequest")
    if raw is None:
        raise DeliveryError(422, "rawRequest", "missing the rawRequest part")
    try:
        document = _json_object(raw.encode())
    except DeliveryError as error:
        raise DeliveryError(error.status, "rawRequest", str(error)) from None
    answers = []
    for key, value in document.items():
        match = _JOTFORM_KEY.match(key)
        names = (key, match.group(1)) if match else (key,)
        if isinstance(value, dict):  # a name, address ...: rawRequest's sub-fields
            answers += [Answer(tuple(f"{n}.{sub}" for n in names), v) for sub, v in value.items()]
        else:
            answers.append(Answer(names, value))
    return Delivery(answers, _text_id(parts.get("submissionID")))


def _form_parts(body: bytes, content_type: str) -> dict[str, str]:
    """The text parts of a multipart/form-data body, by name (first one wins)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart() or message.defects:
        raise DeliveryError(400, "body", "body is not readable multipart/form-data")
    parts: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and name not in parts:
            parts[name] = _text(part)
    return parts


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return payload.decode(part.get_content_charset() or "utf-8", errors="replace")


_READERS: dict[FormVendor, Callable[[dict[str, Any]], Delivery]] = {
    FormVendor.NATIVE: _flat_json,
    FormVendor.GENERIC_JSON: _flat_json,
    FormVendor.TYPEFORM: _typeform,
    FormVendor.TALLY: _tally,
    FormVendor.WEBFLOW: _webflow,
    FormVendor.HUBSPOT: _hubspot,
}
