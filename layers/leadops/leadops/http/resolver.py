"""What every leadops HTTP function shares: one resolver set-up, one error shape, body guards.

Errors answer ``{"message", "errors": [{"field", "message", "type"}]}`` so a caller always
learns which field to fix. Raw input values are never echoed back or logged (they may be PII).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.middleware_factory import lambda_handler_decorator
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from leadops.errors import Conflict, Invalid, NotFound
from leadops.http.signature import HEADER, SignatureError, verify

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def error_body(message: str, errors: Iterable[dict[str, str]]) -> str:
    return json.dumps({"message": message, "errors": list(errors)})


def error_response(status: int, message: str, field: str, kind: str) -> dict[str, Any]:
    """An API Gateway v2 answer naming one field, for errors found before routing."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": error_body(message, [{"field": field, "message": message, "type": kind}]),
        "isBase64Encoded": False,
    }


def field_errors(errors: Iterable[Any]) -> list[dict[str, str]]:
    """Pydantic errors as ``field`` paths ("company.employees") without the offending input."""
    found = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part != "body"]
        if error.get("type") == "json_invalid":
            location = []
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        found.append(
            {
                "field": ".".join(location) or "body",
                "message": message,
                "type": str(error.get("type", "invalid")),
            }
        )
    return found


def build_resolver(
    logger: Logger, unavailable_on: tuple[type[Exception], ...] = ()
) -> APIGatewayHttpResolver:
    """An HTTP API resolver validating bodies with pydantic and answering errors in one shape.

    ``unavailable_on``: exceptions (AWS errors) that mean "nothing was stored, try again": they
    answer 503 with Retry-After, so a webhook sender retries rather than giving up."""
    app = APIGatewayHttpResolver(enable_validation=True)
    if unavailable_on:
        app.exception_handler(list(unavailable_on))(_unavailable(logger))
    app.exception_handler(RequestValidationError)(_invalid(logger))
    app.exception_handler(ValidationError)(_invalid_value)
    app.exception_handler(NotFound)(_not_found)
    app.exception_handler([Conflict, Invalid])(_refused)
    return app


def _json(status: int, body: str, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(status, content_types.APPLICATION_JSON, body, headers=headers)


def _unavailable(logger: Logger) -> Callable[[Exception], Response[str]]:
    def answer(exc: Exception) -> Response[str]:
        logger.exception("dependency unavailable; nothing stored")
        message = "temporarily unavailable; nothing was stored, please retry"
        problem = {"field": "body", "message": "retry later", "type": "unavailable"}
        return _json(503, error_body(message, [problem]), headers={"Retry-After": "5"})

    return answer


def _invalid(logger: Logger) -> Callable[[RequestValidationError], Response[str]]:
    def answer(exc: RequestValidationError) -> Response[str]:
        errors = field_errors(exc.errors())
        not_json = any(error["type"] == "json_invalid" for error in errors)
        logger.info(
            "request rejected",
            extra={"fields": [e["field"] for e in errors], "types": [e["type"] for e in errors]},
        )
        message = "request body is not JSON" if not_json else "invalid request"
        return _json(400 if not_json else 422, error_body(message, errors))

    return answer


def _invalid_value(exc: ValidationError) -> Response[str]:
    """A value that passed the body model but not a domain model (e.g. a path id)."""
    return _json(422, error_body("invalid request", field_errors(exc.errors())))


def _not_found(exc: NotFound) -> Response[str]:
    problem = {"field": "path", "message": str(exc), "type": "not_found"}
    return _json(404, error_body(str(exc), [problem]))


def _refused(exc: Conflict | Invalid) -> Response[str]:
    conflict = isinstance(exc, Conflict)
    kind = "conflict" if conflict else "value_error"
    problem = {"field": exc.field, "message": str(exc), "type": kind}
    return _json(409 if conflict else 422, error_body(str(exc), [problem]))


def require_signature(
    secrets: Callable[[], list[str]], clock: Callable[[], float] = time.time
) -> Callable[..., Any]:
    """401 unless the body carries a valid ``X-Leadops-Signature`` (see leadops.http.signature).
    Goes inside ``guard_body``, so the body it checks is the exact UTF-8 text received."""

    @lambda_handler_decorator
    def _check(handler: Handler, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        body = (event.get("body") or "").encode("utf-8")
        try:
            verify(headers.get(HEADER), body, secrets(), clock())
        except SignatureError as refused:
            return error_response(401, str(refused), "X-Leadops-Signature", "signature_invalid")
        return handler(event, context)

    return _check


def guard_body(max_bytes: int) -> Callable[..., Any]:
    """Refuse a body over ``max_bytes`` (413) or not UTF-8 (400) before anything parses it."""

    @lambda_handler_decorator
    def _guard(handler: Handler, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        body = event.get("body") or ""
        if event.get("isBase64Encoded"):
            try:
                raw = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                return error_response(400, "body is not valid base64", "body", "base64_invalid")
        else:
            raw = body.encode("utf-8", errors="surrogatepass")
        if len(raw) > max_bytes:
            return error_response(
                413, f"body is larger than {max_bytes} bytes", "body", "too_large"
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return error_response(400, "body is not UTF-8 text", "body", "utf8_invalid")
        if text.strip():
            # Parsed once here so hostile JSON (nesting deep enough to exhaust the recursion
            # limit, integers of thousands of digits) is a 400, not a crash further in.
            try:
                json.loads(text)
            except (ValueError, RecursionError):
                return error_response(400, "body is not valid JSON", "body", "json_invalid")
        # The API speaks JSON only: parse the body as JSON whatever content type the caller
        # sent (curl -d says form-urlencoded), so errors point at fields, not at the header.
        headers = {**(event.get("headers") or {}), "content-type": content_types.APPLICATION_JSON}
        return handler(
            {**event, "headers": headers, "body": text, "isBase64Encoded": False}, context
        )

    return _guard
