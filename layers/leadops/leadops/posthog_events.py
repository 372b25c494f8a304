"""PostHog events as they arrive, read into ``behaviour.Event`` for one person. Pure.

Two documented shapes are read (docs/posthog-engagement.md quotes them):

- the HTTP Webhook destination (PostHog's ``template-webhook``), whose default JSON body is
  ``{"event": "{event}", "person": "{person}"}``: ``event`` holds ``uuid``, ``event`` (the
  name), ``distinct_id``, ``properties``, ``timestamp``, ``elements_chain``, ``url``, and
  ``person`` holds ``id``, ``properties``, ``name``, ``url``;
- a flat event (a batch-export row of the events model: ``uuid``, ``event``, ``distinct_id``,
  ``person_id``, ``properties``, ``person_properties``, ``timestamp`` ..., where ``properties``
  and ``person_properties`` may be JSON-encoded strings), optionally with a ``person`` object.

A webhook request carries one event or a batch: a list of them, or ``{"batch": [...]}``.

The person is found by email: ``person_email`` (default) reads the person's ``email`` property
(``person.properties.email``, ``person_properties.email``, then the event's ``$set.email``);
``distinct_id`` reads the event's ``distinct_id`` (for sites that ``posthog.identify(email)``).
An event without a readable uuid, name, timestamp or email is malformed: reported by its
position and field, never with its values.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from leadops.behaviour import Event

PersonKey = Literal["person_email", "distinct_id"]
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_NAME = 200


class Malformed(ValueError):
    """Why an event could not be read: ``field`` names what is wrong (no values)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class PersonEvent:
    email: str  # lower case
    event: Event


def events_of(body: Any) -> list[Any]:
    """The events of a webhook request body: one event, a list, or ``{"batch": [...]}``."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get("batch"), list):
        return list(body["batch"])
    if isinstance(body, dict):
        return [body]
    raise Malformed("body", "expected an event object, a list of events or {'batch': [...]}")


def _object(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):  # batch exports may carry JSON-encoded properties
        try:
            value = json.loads(value) if value else {}
        except ValueError:
            raise Malformed(field, "not a JSON object") from None
    if not isinstance(value, dict):
        raise Malformed(field, "expected an object")
    return value


def _text(raw: dict[str, Any], name: str, field: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise Malformed(field, "missing or not a string of at most 200 characters")
    return value.strip()


def _timestamp(raw: dict[str, Any], field: str, not_after: datetime | None) -> datetime:
    value = raw.get("timestamp")
    if not isinstance(value, str):
        raise Malformed(field, "missing or not an ISO 8601 string")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
        if at.tzinfo is None:
            raise Malformed(field, "needs a time zone (PostHog sends UTC with Z or +00:00)")
        at = at.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, Malformed):
            raise
        raise Malformed(field, "not an ISO 8601 date-time") from None
    if not_after is not None and at > not_after:
        raise Malformed(field, "more than a day in the future")
    return at


def _email(
    raw: dict[str, Any], person: dict[str, Any], props: dict[str, Any], key: PersonKey
) -> str:
    if key == "distinct_id":
        candidates: list[Any] = [raw.get("distinct_id")]
    else:
        person_props = _object(person.get("properties"), "person.properties")
        row_props = _object(raw.get("person_properties"), "person_properties")
        set_value = props.get("$set")
        set_props: dict[str, Any] = set_value if isinstance(set_value, dict) else {}
        candidates = [person_props.get("email"), row_props.get("email"), set_props.get("email")]
    for candidate in candidates:
        if isinstance(candidate, str) and EMAIL.match(candidate.strip()):
            return candidate.strip().lower()
    field = "distinct_id" if key == "distinct_id" else "person.properties.email"
    raise Malformed(field, "no email to match the event to a person")


def _path(props: dict[str, Any]) -> str | None:
    url = props.get("$current_url")
    if isinstance(url, str) and url:
        try:
            return urlsplit(url).path or "/"
        except ValueError:
            return None
    pathname = props.get("$pathname")
    return pathname if isinstance(pathname, str) else None


def read_event(item: Any, key: PersonKey, not_after: datetime | None = None) -> PersonEvent:
    """One event in either documented shape (module docstring); ``not_after``: the latest
    timestamp taken (a later one is malformed: it would hold decay off for ever)."""
    if not isinstance(item, dict):
        raise Malformed("event", "expected an object")
    raw, person = item, _object(item.get("person"), "person")
    if isinstance(item.get("event"), dict):  # the webhook destination's {"event", "person"}
        raw = item["event"]
    uuid = _text(raw, "uuid", "uuid")
    name = _text(raw, "event", "event")
    at = _timestamp(raw, "timestamp", not_after)
    props = _object(raw.get("properties"), "properties")
    email = _email(raw, person, props, key)
    return PersonEvent(email, Event(uuid, name, at, _path(props), props))


@dataclass(frozen=True, slots=True)
class Problem:
    """A malformed event: its position in the request (or line in the file) and what is wrong."""

    position: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "field": self.field, "message": self.message}


def read_all(
    items: list[Any], key: PersonKey, not_after: datetime | None = None
) -> tuple[list[PersonEvent], list[Problem]]:
    found: list[PersonEvent] = []
    problems: list[Problem] = []
    for position, item in enumerate(items):
        try:
            found.append(read_event(item, key, not_after))
        except Malformed as exc:
            problems.append(Problem(position, exc.field, exc.message))
    return found, problems


def read_lines(
    lines: Iterator[bytes], key: PersonKey, not_after: datetime | None = None
) -> Iterator[PersonEvent | Problem]:
    """A JSON Lines export, one line at a time (line numbers from 1); blank lines skipped."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield read_event(json.loads(line), key, not_after)
        except ValueError as exc:
            field = exc.field if isinstance(exc, Malformed) else "line"
            message = exc.message if isinstance(exc, Malformed) else "not JSON"
            yield Problem(number, field, message)


MAX_LINE_BYTES = 1024 * 1024


def split_lines(chunks: Iterable[bytes], max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """Lines of a stream of chunks, without holding more than one line (a line longer than
    ``max_line_bytes`` is given as ``b"\\x00"``, reported as not JSON, and the rest skipped)."""
    rest = b""
    skipping = False
    for chunk in chunks:
        rest += chunk
        *lines, rest = rest.split(b"\n")
        for line in lines:
            if skipping:
                skipping = False
                continue
            yield line
        if len(rest) > max_line_bytes and not skipping:
            yield b"\x00"
            skipping = True
        if skipping:
            rest = b""
    if rest and not skipping:
        yield rest


def gunzipped(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A gzip stream's contents, chunk by chunk (PostHog exports may be gzip-compressed)."""
    inflate = zlib.decompressobj(wbits=31)
    for chunk in chunks:
        if out := inflate.decompress(chunk):
            yield out
    if tail := inflate.flush():
        yield tail
