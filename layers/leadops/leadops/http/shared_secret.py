"""A shared-secret header (PostHog's webhook destination sends the headers you configure): the
request is refused with 401 unless ``X-Leadops-Secret`` equals one of the secrets (several, one
per line, while rotating), compared in constant time against every one."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.middleware_factory import lambda_handler_decorator
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadops.http.resolver import Handler, error_response

SECRET_HEADER = "x-leadops-secret"  # noqa: S105 - a header name, not a secret


def secret_matches(given: str | None, secrets: list[str]) -> bool:
    """Whether ``given`` is one of ``secrets`` (every pair compared, each in constant time)."""
    if not given:
        return False
    matched = False
    for secret in secrets:
        if secret:
            matched |= hmac.compare_digest(given.encode(), secret.encode())
    return matched


def require_shared_secret(secrets: Callable[[], list[str]]) -> Callable[..., Any]:
    @lambda_handler_decorator
    def _check(handler: Handler, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        if not secret_matches(headers.get(SECRET_HEADER), secrets()):
            return error_response(
                401, "missing or wrong X-Leadops-Secret header", "X-Leadops-Secret",
                "secret_invalid",
            )  # fmt: skip
        return handler(event, context)

    return _check
