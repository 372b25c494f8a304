"""The HTTP side of the CLI: one ``httpx.Client`` (its transport injectable, for tests), SigV4
signing for a deployed API, and the API's error bodies turned into ``ApiError``.

Errors the operator can act on are ``CliError``: printed in a line or two, never a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

LOCAL_URL = "http://127.0.0.1:3000"
SERVICE = "execute-api"
_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
# Only these are signed: proxies may rewrite the others (connection, accept-encoding, ...).
_SIGNED = ("host", "content-type")
_AUTH_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")


class CliError(Exception):
    """An expected failure: ``message`` (and ``details``) are printed, then exit ``exit_code``."""

    def __init__(self, message: str, *, details: list[str] | None = None, exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.exit_code = exit_code


class InputError(CliError):
    """A bad argument or input file: exit code 2, as for usage errors."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=2)


class ApiError(CliError):
    """The API answered 4xx/5xx: its ``message`` and each field error."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None):
        self.status = status
        self.api_message = message
        self.errors = errors or []
        details = [
            f"{error.get('field') or '(request)'}: {error.get('message', '')}"
            for error in self.errors
        ]
        super().__init__(f"HTTP {status}: {message}", details=details)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def path(*parts: str) -> str:
    """``/a/b`` with each part percent-encoded (a lead id or version never escapes its slot)."""
    return "/" + "/".join(quote(part, safe="") for part in parts)


class Api:
    """JSON over HTTP against the leadops API."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    @property
    def base_url(self) -> str:
        return str(self.client.base_url).rstrip("/")

    def get(self, url: str, params: dict[str, str] | None = None) -> Any:
        return self.call("GET", url, params=params).body

    def call(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> Answer:
        headers = {"accept": "application/json"}
        if json is not None or content is not None:
            headers["content-type"] = "application/json"
        try:
            response = self.client.request(
                method, url, json=json, content=content, params=params, headers=headers
            )
        except httpx.ConnectError as error:
            hint = (
                "is the local API running? Start it with `make run`."
                if self.base_url == LOCAL_URL
                else "check --url (or LEADOPS_URL) and your network."
            )
            raise CliError(
                f"cannot connect to {self.base_url}: {hint}", details=[str(error)]
            ) from None
        except httpx.TimeoutException:
            raise CliError(f"{method} {url}: no answer from {self.base_url} in time") from None
        except httpx.HTTPError as error:
            raise CliError(f"{method} {url} failed: {error}") from None
        return _answer(method, url, response)


def _answer(method: str, url: str, response: httpx.Response) -> Answer:
    try:
        body: Any = response.json() if response.content else None
    except ValueError:
        snippet = response.text.strip().replace("\n", " ")[:200]
        if response.is_success:
            raise CliError(f"{method} {url}: the answer is not JSON: {snippet!r}") from None
        raise ApiError(response.status_code, snippet or response.reason_phrase) from None
    if response.is_success:
        return Answer(response.status_code, body)
    if isinstance(body, dict):
        errors = body.get("errors")
        raise ApiError(
            response.status_code,
            str(body.get("message") or response.reason_phrase),
            [error for error in errors if isinstance(error, dict)]
            if isinstance(errors, list)
            else [],
        )
    raise ApiError(response.status_code, response.reason_phrase)


class SigV4(httpx.Auth):
    """Signs every request with AWS Signature Version 4 for API Gateway (``execute-api``)."""

    requires_request_body = True

    def __init__(self, credentials: Any, region: str, service: str = SERVICE) -> None:
        self.credentials = credentials  # botocore Credentials (refreshable ones refresh here)
        self.region = region
        self.service = service

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        signed = AWSRequest(
            method=request.method,
            url=str(request.url),
            data=request.content,
            headers={name: request.headers[name] for name in _SIGNED if name in request.headers},
        )
        SigV4Auth(self.credentials.get_frozen_credentials(), self.service, self.region).add_auth(
            signed
        )
        for name in _AUTH_HEADERS:
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        yield request


def region_for(url: str, region: str | None) -> str | None:
    """``--region``, else the region in an execute-api host name, else AWS_REGION and co."""
    if region:
        return region
    found = _API_HOST.match(urlsplit(url).hostname or "")
    if found:
        return found.group(1)
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def sigv4_for(url: str, region: str | None, profile: str | None) -> SigV4:
    """Credentials from botocore's usual chain (``--profile``, env, config files, SSO, ...)."""
    import botocore.session
    from botocore.exceptions import BotoCoreError

    try:
        session = botocore.session.Session(profile=profile)
        credentials = session.get_credentials()
        resolved = region_for(url, region) or session.get_config_variable("region")
    except BotoCoreError as error:
        raise CliError(f"AWS credentials: {error}") from None
    if credentials is None:
        raise CliError(
            "no AWS credentials to sign the request with",
            details=[
                "pass --profile, or set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
            ],
        )
    if not resolved:
        raise CliError(
            f"which AWS region is {url} in?", details=["pass --region, or set AWS_REGION"]
        )
    return SigV4(credentials, str(resolved))


def connect(
    url: str,
    *,
    region: str | None = None,
    profile: str | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout_s: float = 30.0,
) -> Api:
    """An ``Api`` on ``url``; an ``https`` URL (a deployed API, IAM auth) is signed with SigV4."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"--url must be http(s)://host[:port][/stage], not {url!r}")
    auth = sigv4_for(url, region, profile) if parts.scheme == "https" else None
    client = httpx.Client(
        base_url=url.rstrip("/"),
        auth=auth,
        transport=transport,
        timeout=timeout_s,
        headers={"user-agent": "leadops-cli"},
    )
    return Api(client)
