"""Form sources (issue 12): a form whose submissions leadops decides, whichever vendor hosts it.

A ``FormSource`` says which vendor delivers the form's submissions (and so how a delivery is
signed and shaped), where its signing secret is kept, how the vendor's answers map to our
submission fields, which browser origins may send its answers to the router, and what a visitor
is shown when no booking page is. Pure: ``map_answers`` turns a delivery's answers into the
native ``FormSubmission`` body that ``services.demo_requests.DemoRequests`` decides.

One submission, one lead (issue 12 item 4): a form carries the hidden field ``HIDDEN_FIELD``
(the router's snippet fills it with an id the browser generates), so the browser's call to the
router and the vendor's webhook for the same submission both derive the same submission id
(``submission_id_for``), hence the same lead id (``lead_record.lead_id_for``). Whichever comes
second is a replay: it gets the stored decision back and is never decided again. A form without
the hidden field falls back to the vendor's own submission id, which keeps the vendor's
redeliveries idempotent. The replay does not merge fields the first delivery lacked: the stored
submission is exactly what the decision was made from (a dry run decides it again from that),
so map every field in the browser's answers too (docs/forms.md).

The signing secret is referenced, never stored here: ``secret_name`` names a Secrets Manager
secret the operator creates under the stack's prefix (``<stack name>/forms/``), the only names
the functions' IAM policy lets them read. Its value is the vendor's signing secret (Jotform: the
URL token), several values one per line while a secret rotates.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, StringConstraints

HIDDEN_FIELD = "leadops_submission_id"
DEFAULT_MESSAGE = "Thanks! We have your request and will be in touch shortly."
MAX_KEY_LENGTH = 128


class FormVendor(StrEnum):
    NATIVE = "native"  # our own body, X-Leadops-Signature (as /webhooks/demo-request)
    TYPEFORM = "typeform"
    TALLY = "tally"
    WEBFLOW = "webflow"
    HUBSPOT = "hubspot"
    JOTFORM = "jotform"
    GENERIC_JSON = "generic_json"  # any flat JSON object, X-Leadops-Signature


# The submission fields an answer may fill (``leadops.models.FormSubmission``, dotted), plus
# ``name``: a full name split into first and last name at its first space.
TARGETS = frozenset(
    {
        "email", "first_name", "last_name", "name", "job_title", "role", "sub_role", "github",
        "message", "honeypot", "posthog_distinct_id",
        "company.name", "company.domain", "company.employees", "company.employees_range",
        "company.annual_revenue", "company.revenue_range", "company.industry", "company.type",
        "company.founded_year", "company.country",
    }
)  # fmt: skip

_NUMBERS = frozenset({"company.employees", "company.annual_revenue", "company.founded_year"})

SourceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
# Secrets Manager's name alphabet; the API checks the stack's prefix (settings).
SecretName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$")]
VendorKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _target(value: str) -> str:
    if value not in TARGETS:
        raise ValueError(f"not a submission field; one of: {', '.join(sorted(TARGETS))}")
    return value


def _origin(value: str) -> str:
    """``scheme://host[:port]`` exactly as a browser sends it in ``Origin`` (lower case)."""
    parts = urlsplit(value.strip().lower())
    bare = not (parts.path.strip("/") or parts.query or parts.fragment or parts.username)
    if parts.scheme not in ("https", "http") or not parts.hostname or not bare:
        raise ValueError("an origin is scheme://host[:port], e.g. https://www.example.com")
    return f"{parts.scheme}://{parts.netloc}"


def _https(value: HttpUrl) -> HttpUrl:
    if value.scheme != "https":
        raise ValueError("the redirect URL must be https")
    return value


Target = Annotated[str, AfterValidator(_target)]
Origin = Annotated[str, StringConstraints(max_length=200), AfterValidator(_origin)]


class FormSourceFields(BaseModel):
    """A form source as ``PUT /form-sources/{source_id}`` takes it (the id is in the path)."""

    # defer_build: built on first use, not at import (the layer's every function imports this
    # through the ports and the leads table; only the form functions use it).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    vendor: FormVendor
    secret_name: SecretName
    # vendor answer (field ref / key / label / property name) -> submission field
    fields: dict[VendorKey, Target] = Field(default_factory=dict, max_length=100)
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=20)
    # What a visitor not shown a booking page sees: manual review, support and spam alike.
    message: Annotated[str, StringConstraints(min_length=1, max_length=500)] = DEFAULT_MESSAGE
    redirect_url: Annotated[HttpUrl, AfterValidator(_https)] | None = None


class FormSource(FormSourceFields):
    source_id: SourceId


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer of a delivery: the names it may be mapped by (field ref, key, label ...), in
    the order they are tried, and its value (text, number, or a list of choices)."""

    names: tuple[str, ...]
    value: Any


def submission_id_for(source_id: str, key: str) -> str:
    """The submission id of the source's submission ``key`` (the hidden field's id, else the
    vendor's). Readable when the key is tame; hashed when not, or too long."""
    readable = f"form:{source_id}:{key}"
    if re.fullmatch(r"[A-Za-z0-9_.:-]+", key) and len(readable) <= MAX_KEY_LENGTH:
        return readable
    return f"form:{source_id}:h" + hashlib.sha256(key.encode()).hexdigest()[:40]


def map_answers(
    source: FormSource,
    answers: Mapping[str, Any] | Iterable[Answer],
    vendor_submission_id: str | None = None,
) -> dict[str, Any]:
    """The native ``FormSubmission`` body of a delivery's answers. An answer goes to the field
    its first mapped name says, else to the field it is named after (an answer keyed ``email``
    needs no mapping); others are dropped. The first non-empty answer of a field wins. The
    submission id comes from ``HIDDEN_FIELD``, else ``vendor_submission_id``; with neither, the
    body has none (and validation names ``submission_id``)."""
    if isinstance(answers, Mapping):
        answers = [Answer((str(name),), value) for name, value in answers.items()]
    body: dict[str, Any] = {"source": f"form:{source.source_id}"}
    company: dict[str, Any] = {}
    key = vendor_submission_id
    for answer in answers:
        value = _plain(answer.value)
        if value is None:
            continue
        if HIDDEN_FIELD in answer.names:
            key = str(value)[:1000]
            continue
        target = _target_of(source, answer.names)
        if target is not None:
            _put(body, company, target, value)
    if company:
        body["company"] = company
    if key:
        body["submission_id"] = submission_id_for(source.source_id, key)
    return body


def _target_of(source: FormSource, names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in source.fields:
            return source.fields[name]
    return next((name for name in names if name in TARGETS), None)


def _put(body: dict[str, Any], company: dict[str, Any], target: str, value: Any) -> None:
    if target == "name":
        first, _, last = str(value).partition(" ")
        body.setdefault("first_name", first)
        if last.strip():
            body.setdefault("last_name", last.strip())
        return
    group, _, field = target.rpartition(".")
    if isinstance(value, int | float) and target not in _NUMBERS:
        value = str(value)  # a number typed into a text field (a phone-like "company name")
    (company if group == "company" else body).setdefault(field, value)


def _plain(value: Any) -> Any:
    """Text or a number as given; choices (a list of them) joined; empty, true/false, objects
    and lists within lists are no answer (a ticked box maps to ``"yes"``)."""
    if isinstance(value, list | tuple):
        parts = [_scalar(item) for item in value]
        shown = [str(part) for part in parts if part is not None]
        return ", ".join(shown) if shown else None
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return value if value.strip() else None
    return None
