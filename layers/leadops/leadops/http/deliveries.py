"""The HTTP side of vendor webhook deliveries (POST /webhooks/forms/{source_id}): the body kept
raw (a signature covers its exact bytes, and Jotform's is multipart, not JSON), the request as
a ``SignedRequest``, and the refusals answered in the API's one error shape."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.middleware_factory import lambda_handler_decorator
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.form_deliveries import DeliveryError
from leadops.http.resolver import error_body, error_response
from leadops.http.vendor_signatures import RefusedDelivery, SignedRequest

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def raw_body(event: dict[str, Any]) -> bytes:
    """The body's bytes as the vendor sent them (raises ``binascii.Error`` on bad base64)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body, validate=True)
    return str(body).encode("utf-8", errors="surrogatepass")


def guard_raw_body(max_bytes: int) -> Callable[..., Any]:
    """413 over ``max_bytes``, 400 for bad base64; the body itself is left as it came."""

    @lambda_handler_decorator
    def _guard(handler: Handler, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            size = len(raw_body(event))
        except (binascii.Error, ValueError):
            return error_response(400, "body is not valid base64", "body", "base64_invalid")
        if size > max_bytes:
            return error_response(
                413, f"body is larger than {max_bytes} bytes", "body", "too_large"
            )
        return handler(event, context)

    return _guard


def signed_request(event: dict[str, Any]) -> SignedRequest:
    """What a vendor's signature may cover, from the API Gateway v2 event."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    context = event.get("requestContext") or {}
    host = headers.get("host") or context.get("domainName") or ""
    query = str(event.get("rawQueryString") or "")
    url = f"https://{host}{event.get('rawPath') or ''}" + (f"?{query}" if query else "")
    method = str((context.get("http") or {}).get("method") or "POST")
    params = {str(k): str(v) for k, v in (event.get("queryStringParameters") or {}).items()}
    return SignedRequest(method, url, raw_body(event), headers, params)


def answer_refusals(app: APIGatewayHttpResolver) -> None:
    """A bad signature is a 401 naming the header; a body not in the vendor's shape a 400/422
    naming where."""
    app.exception_handler(RefusedDelivery)(_unsigned)
    app.exception_handler(DeliveryError)(_unreadable)


def _unsigned(exc: RefusedDelivery) -> Response[str]:
    problem = {"field": exc.header, "message": str(exc), "type": "signature_invalid"}
    return Response(401, content_types.APPLICATION_JSON, error_body(str(exc), [problem]))


def _unreadable(exc: DeliveryError) -> Response[str]:
    kind = "json_invalid" if exc.status == 400 else "delivery_invalid"
    problem = {"field": exc.field, "message": str(exc), "type": kind}
    return Response(exc.status, content_types.APPLICATION_JSON, error_body(str(exc), [problem]))
