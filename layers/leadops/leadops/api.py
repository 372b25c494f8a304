"""What every leadops HTTP function shares: one resolver set-up, one error shape, body guards.

Errors answer ``{"message", "errors": [{"field", "message", "type"}]}`` so a caller always
learns which field to fix. Raw input values are never echoed back or logged (they may be PII).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.middleware_factory import lambda_handler_decorator
from aws_lambda_powertools.utilities.typing import LambdaContext

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


def field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """Pydantic errors as ``field`` paths ("company.employees") without the offending input."""
    found = []
    for error in exc.errors():
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


def build_resolver(logger: Logger) -> APIGatewayHttpResolver:
    """An HTTP API resolver validating bodies with pydantic and answering errors in one shape."""
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid(exc: RequestValidationError) -> Response[str]:
        errors = field_errors(exc)
        not_json = any(error["type"] == "json_invalid" for error in errors)
        logger.info(
            "request rejected",
            extra={"fields": [e["field"] for e in errors], "types": [e["type"] for e in errors]},
        )
        return Response(
            status_code=400 if not_json else 422,
            content_type=content_types.APPLICATION_JSON,
            body=error_body("request body is not JSON" if not_json else "invalid request", errors),
        )

    return app


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
        # The API speaks JSON only: parse the body as JSON whatever content type the caller
        # sent (curl -d says form-urlencoded), so errors point at fields, not at the header.
        headers = {**(event.get("headers") or {}), "content-type": content_types.APPLICATION_JSON}
        return handler(
            {**event, "headers": headers, "body": text, "isBase64Encoded": False}, context
        )

    return _guard
