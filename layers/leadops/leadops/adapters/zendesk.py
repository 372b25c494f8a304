"""A small Zendesk tickets client: one ticket per support-form submission, never two.

urllib3 rather than requests: botocore already depends on it, so the layer gains no package.
Every create carries an ``Idempotency-Key`` (the submission id), which Zendesk honours on ticket
creation; that is what makes retrying a POST safe, both here (429, 5xx, network errors) and
when SQS redelivers the message. Requester emails and message text are never logged or put into
exception messages: they are PII.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

import urllib3
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    model_validator,
)

from leadops.adapters import aws
from leadops.adapters.vendor_http import RETRYABLE_STATUSES, JsonPoster, VendorUnreachable
from leadops.errors import VendorError
from leadops.settings import from_environ
from leadops.tickets import SupportTicket

SECRET_MAX_AGE_S = 300
_ERROR_CODE_MAX = 80


class ZendeskError(VendorError):
    """Zendesk did not create the ticket. ``retryable`` says whether trying later may succeed."""


def _check_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http(s) URL such as https://example.zendesk.com")
    return value.rstrip("/")


BaseUrl = Annotated[str, StringConstraints(max_length=500), AfterValidator(_check_base_url)]


class ZendeskClient:
    """Creates tickets through the Zendesk Support API with an API token."""

    def __init__(
        self,
        base_url: str,
        email: str,
        api_token: str,
        timeout_s: float = 5.0,
        retries: int = 4,
        backoff_factor: float = 0.5,
    ) -> None:
        self.base_url = _check_base_url(base_url)
        self._headers = urllib3.make_headers(basic_auth=f"{email}/token:{api_token}")
        # Safe to retry a POST: every request carries an Idempotency-Key.
        self._poster = JsonPoster(timeout_s, retries, backoff_factor)

    def __repr__(self) -> str:  # never show the credentials
        return f"ZendeskClient({self.base_url!r})"

    def create_ticket(
        self, ticket: SupportTicket, idempotency_key: str, deadline: float | None = None
    ) -> int:
        """Create the ticket; the id of the created (or, on a replayed key, the same) ticket.
        ``deadline`` (``time.monotonic()``) bounds the attempts, as in ``JsonPoster``."""
        url = f"{self.base_url}/api/v2/tickets.json"
        headers = {**self._headers, "Idempotency-Key": idempotency_key}
        try:
            status, data = self._poster.post(url, ticket.as_zendesk(), headers, deadline)
        except VendorUnreachable as exc:
            raise ZendeskError(f"zendesk {exc}", None, True) from None
        return _ticket_id(status, data)

    def find_ticket(self, external_id: str, deadline: float | None = None) -> int | None:
        """The id of a ticket already filed with this ``external_id``, if any.

        Zendesk's idempotency keys expire (after two hours), so a message redriven from the DLQ
        later would file a second ticket: the worker asks first. Zendesk's "List Tickets",
        ``GET /api/v2/tickets?external_id={external_id}``, answers ``{"tickets": [...]}``
        ("external ids don't have to be unique ... may return multiple tickets"): the oldest
        (lowest id) is the one."""
        url = f"{self.base_url}/api/v2/tickets.json"
        try:
            status, data = self._poster.get(
                url, {"external_id": external_id}, self._headers, deadline
            )
        except VendorUnreachable as exc:
            raise ZendeskError(f"zendesk {exc}", None, True) from None
        answer = _answer(data)
        if not 200 <= status < 300:
            raise _failure(status, answer)
        tickets = answer.get("tickets") if isinstance(answer, dict) else None
        if not isinstance(tickets, list):
            raise ZendeskError(f"zendesk answered {status} without a ticket list", status, False)
        ids = [_id_of(ticket) for ticket in tickets]
        return min((i for i in ids if i is not None), default=None)


def _answer(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None


def _id_of(ticket: Any) -> int | None:
    """A ticket object's ``id`` when it is one (an integer, not a bool)."""
    value = ticket.get("id") if isinstance(ticket, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ticket_id(status: int, data: bytes) -> int:
    answer = _answer(data)
    if 200 <= status < 300:
        ticket_id = _id_of(answer.get("ticket") if isinstance(answer, dict) else None)
        if ticket_id is not None:
            return ticket_id
        raise ZendeskError(f"zendesk answered {status} without a ticket id", status, False)
    raise _failure(status, answer)


def _failure(status: int, answer: Any) -> ZendeskError:
    # Only Zendesk's error code ("RecordInvalid"), never its description: that can echo input.
    code = answer.get("error") if isinstance(answer, dict) else None
    code = code[:_ERROR_CODE_MAX] if isinstance(code, str) else "no error code"
    retryable = status in RETRYABLE_STATUSES
    suffix = " after retries" if retryable else ""
    return ZendeskError(f"zendesk answered {status} ({code}){suffix}", status, retryable)


class ZendeskSettings(BaseModel):
    """Where Zendesk is and how to sign in, read once from the environment.

    Credentials come from a Secrets Manager secret (``ZENDESK_SECRET_ARN``, SecretString
    ``{"email": ..., "api_token": ...}``) in AWS, or from ``ZENDESK_EMAIL`` +
    ``ZENDESK_API_TOKEN`` for local runs and tests.
    """

    model_config = ConfigDict(defer_build=True, frozen=True, hide_input_in_errors=True)

    base_url: BaseUrl
    secret_arn: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None
    email: Annotated[str, StringConstraints(min_length=1, max_length=254)] | None = None
    api_token: SecretStr | None = None
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    retries: int = Field(default=4, ge=0, le=10)
    backoff_factor: float = Field(default=0.5, ge=0, le=10)

    @model_validator(mode="after")
    def _one_credential_source(self) -> Self:
        if not self.secret_arn and not (self.email and self.api_token):
            raise ValueError("set ZENDESK_SECRET_ARN, or ZENDESK_EMAIL and ZENDESK_API_TOKEN")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ZendeskSettings:
        names = {
            "base_url": "ZENDESK_BASE_URL",
            "secret_arn": "ZENDESK_SECRET_ARN",
            "email": "ZENDESK_EMAIL",
            "api_token": "ZENDESK_API_TOKEN",
            "timeout_s": "ZENDESK_TIMEOUT_S",
            "retries": "ZENDESK_RETRIES",
            "backoff_factor": "ZENDESK_BACKOFF_FACTOR",
        }
        return from_environ(cls, names, environ)  # a missing variable is named in the error

    def credentials(self) -> tuple[str, str]:
        """(email, api_token); the secret, when configured, wins and is re-read every 5 min."""
        if not self.secret_arn and self.email and self.api_token:
            return self.email, self.api_token.get_secret_value()
        secret = aws.secret(str(self.secret_arn), SECRET_MAX_AGE_S, transform="json")
        if not isinstance(secret, dict) or not all(
            isinstance(secret.get(key), str) and secret.get(key) for key in ("email", "api_token")
        ):
            raise ValueError("the Zendesk secret must be JSON with string email and api_token")
        return secret["email"], secret["api_token"]

    def client(self) -> ZendeskClient:
        """A client for the current credentials (one connection pool while they stay the same)."""
        email, api_token = self.credentials()
        return _client(
            self.base_url, email, api_token, self.timeout_s, self.retries, self.backoff_factor
        )


@lru_cache(maxsize=4)
def _client(
    base_url: str,
    email: str,
    api_token: str,
    timeout_s: float,
    retries: int,
    backoff_factor: float,
) -> ZendeskClient:
    return ZendeskClient(base_url, email, api_token, timeout_s, retries, backoff_factor)
