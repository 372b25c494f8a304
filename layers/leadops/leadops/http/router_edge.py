"""The public router's HTTP edge: who the visitor is (address, origin), the answers from a JSON
body or a redirect's query string, and the answers in JSON (with CORS) or HTML.

CORS: the snippet posts ``text/plain`` JSON (a "simple" request, no preflight, one round trip);
a client that sends ``application/json`` preflights, and ``OPTIONS`` answers it for origins on
the source's allow-list only. Answers to a POST echo the request's ``Origin`` (no credentials):
a disallowed origin is refused before anything is decided, with a neutral text.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import parse_qsl

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from pydantic import Field, RootModel, StringConstraints, ValidationError

from leadops.errors import NotFound
from leadops.http.resolver import error_body, field_errors
from leadops.router import Refused, Visitor, VisitorAnswer, origin_of
from leadops.router_page import PAGE_CSP, message_page

UNAVAILABLE_TEXT = "We could not take your request just now. Please try again in a minute."
MAX_ANSWERS = 100
FORM_PARAM = "form"  # GET /router?form=<source_id>&<field>=<value>...
JSON = "application/json"
HTML = "text/html; charset=utf-8"

Key = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Value = Annotated[str, StringConstraints(max_length=10_000)]
Scalar = Value | int | float | bool | None


AnswerMap = Annotated[
    dict[Key, Scalar | Annotated[list[Value], Field(max_length=50)]],
    Field(max_length=MAX_ANSWERS),
]


class Answers(RootModel[AnswerMap]):
    """A form's answers: field name -> value (a list for a multi-choice field)."""

    @classmethod
    def of(cls, document: Any) -> dict[str, Any]:
        return cls.model_validate(document).root


def snippet() -> str:
    """leadops.js, as packaged with the layer."""
    return files("leadops").joinpath("static/leadops.js").read_text(encoding="utf-8")


def _headers(event: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in (event.headers or {}).items()}


def visitor(event: Any, strict: bool) -> Visitor:
    headers = _headers(event)
    origin = origin_of(headers.get("origin")) or origin_of(headers.get("referer"))
    return Visitor(ip=event.request_context.http.source_ip or None, origin=origin, strict=strict)


def query_answers(event: Any) -> tuple[str, dict[str, Any]]:
    """(source id, answers) from ``GET /router``'s raw query string (repeated keys: a list)."""
    answers: dict[str, Any] = {}
    for name, value in parse_qsl(event.raw_query_string or "", keep_blank_values=True):
        if name in answers:
            previous = answers[name]
            answers[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            answers[name] = value
    source_id = answers.pop(FORM_PARAM, "")
    return (source_id if isinstance(source_id, str) else source_id[0]), answers


def cors(origin: str | None) -> dict[str, str]:
    if not origin:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight(origin: str | None, allowed: bool) -> Response[str]:
    if not allowed:
        return Response(403, JSON, error_body("origin not allowed", []), {"Vary": "Origin"})
    headers = {
        **cors(origin),
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "content-type",
        "Access-Control-Max-Age": "600",
    }
    return Response(204, JSON, "", headers)


def json_answer(answer: VisitorAnswer, origin: str | None) -> Response[str]:
    headers = {**cors(origin), "Cache-Control": "no-store"}
    return Response(200, JSON, json.dumps(answer.as_dict()), headers)


def refused_json(refused: Refused, origin: str | None) -> Response[str]:
    problem = {"field": "body", "message": str(refused), "type": refused.kind}
    headers = {**cors(origin), "Cache-Control": "no-store"}
    if refused.retry_after:
        headers["Retry-After"] = str(refused.retry_after)
    return Response(refused.status, JSON, error_body(str(refused), [problem]), headers)


def html(status: int, page: str, headers: dict[str, str] | None = None) -> Response[str]:
    base = {
        "Content-Security-Policy": PAGE_CSP,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(status, HTML, page, {**base, **(headers or {})})


def _fields_to_fix(errors: list[dict[str, str]]) -> str:
    """What the snippet and the page show the visitor: the fields, never their values."""
    fields = sorted({error["field"] for error in errors})
    return "Some answers are missing or not valid: " + ", ".join(fields) + "."


def invalid_json(exc: ValidationError, origin: str | None) -> Response[str]:
    """422 naming the fields to fix (never their values), readable by the snippet (CORS)."""
    errors = field_errors(exc.errors())
    body = error_body(_fields_to_fix(errors), errors)
    return Response(422, JSON, body, {**cors(origin), "Cache-Control": "no-store"})


def failed_page(exc: Exception, logger: Logger) -> Response[str]:
    """The HTML answer of ``GET /router`` for what the JSON routes answer as errors (anything
    else is AWS failing: nothing was stored, the visitor may reload)."""
    if isinstance(exc, Refused):
        return refused_html(exc)
    if isinstance(exc, NotFound):
        return html(404, message_page("This form is not known here.", "Sorry"))
    if isinstance(exc, ValidationError):
        text = _fields_to_fix(field_errors(exc.errors()))
        return html(422, message_page(text, "Sorry"))
    logger.exception("dependency unavailable; nothing stored")
    page = message_page(UNAVAILABLE_TEXT, "Sorry")
    return html(503, page, {"Retry-After": "5"})


def refused_html(refused: Refused) -> Response[str]:
    headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
    return html(refused.status, message_page(str(refused), "Sorry"), headers)


def redirect(url: str, status: int = 303) -> Response[str]:
    headers = {"Location": url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return Response(status, HTML, "", headers)


# How GET /router and the booking links answer, for the OpenAPI document.
PAGE_STATUSES = {
    "s303": "To the form source's redirect URL (every visitor not shown a booking page)",
    "s403": "A page: the referring site is not on the form's allow-list",
    "s404": "A page: no such form source",
    "s429": "A page: too many requests (Retry-After)",
    "s503": "A page: AWS unavailable, nothing stored; try again (Retry-After)",
}
BOOK_STATUSES = {
    "s302": "To the rep's booking page",
    "s404": "A page: the link is invalid or expired",
}
SNIPPET_HEADERS = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}
