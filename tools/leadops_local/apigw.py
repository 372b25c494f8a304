"""API Gateway HTTP API behaviour: match a request to a route, build the payload v2.0 event,
and turn the function's answer back into an HTTP response.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from leadops_local.template import ACCOUNT_ID, DEFAULT_ROUTE, Route

# Bodies of these content types reach the function as text; any other is base64-encoded.
_TEXT_TYPES = (
    "text/", "application/json", "application/xml", "application/javascript",
    "application/x-www-form-urlencoded", "application/graphql", "application/x-ndjson",
)  # fmt: skip
_TEXT_SUFFIXES = ("+json", "+xml")


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]

    @property
    def route_key(self) -> str:
        if self.route.path == DEFAULT_ROUTE:
            return DEFAULT_ROUTE
        return f"{self.route.method} {self.route.path}"


def _pattern(path: str) -> re.Pattern[str]:
    parts = []
    for segment in re.split(r"(\{[^}]+\})", path):
        if segment.startswith("{") and segment.endswith("+}"):
            parts.append(f"(?P<{segment[1:-2]}>.+)")
        elif segment.startswith("{"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^" + "".join(parts) + "$")


def match_route(routes: list[Route], method: str, path: str) -> Match | None:
    """The most specific route for the request, as API Gateway picks it: exact paths before
    parameters before greedy ``{proxy+}``; a method before ANY."""

    def rank(route: Route) -> tuple[bool, int, int, bool]:
        default = route.path == DEFAULT_ROUTE
        return (default, route.path.count("+}"), route.path.count("{"), route.method == "ANY")

    for route in sorted(routes, key=rank):
        if route.path == DEFAULT_ROUTE:
            return Match(route, {})
        if route.method not in (method.upper(), "ANY"):
            continue
        found = _pattern(route.path).match(path)
        if found:
            return Match(route, {name: unquote(value) for name, value in found.groupdict().items()})
    return None


def is_text(content_type: str) -> bool:
    """Whether API Gateway passes a body of this content type as text (else base64)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith(_TEXT_TYPES) or media.endswith(_TEXT_SUFFIXES)


def build_event(
    match: Match,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway HTTP API payload format 2.0 event for one request."""
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    query_parameters: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        query_parameters[name] = (
            f"{query_parameters[name]},{value}" if name in query_parameters else value
        )
    content_type = joined.get("content-type", "")
    try:
        text = body.decode("utf-8")
        binary = bool(content_type) and not is_text(content_type)
    except UnicodeDecodeError:
        text, binary = "", True
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": joined,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": joined.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": match.route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": binary,
    }
    if cookies:
        event["cookies"] = cookies
    if query_parameters:
        event["queryStringParameters"] = query_parameters
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    if match.route.iam_auth:
        event["requestContext"]["authorizer"] = {
            "iam": {
                "accessKey": "ASIALOCAL",
                "accountId": ACCOUNT_ID,
                "callerId": "AIDALOCAL",
                "cognitoIdentity": None,
                "principalOrgId": None,
                "userArn": f"arn:aws:iam::{ACCOUNT_ID}:user/local",
                "userId": "AIDALOCAL",
            }
        }
    if body:
        event["body"] = base64.b64encode(body).decode() if binary else text
    return event


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def to_http(result: Any) -> HttpAnswer:
    """Map a handler's return value to HTTP as API Gateway does for payload format 2.0."""
    if isinstance(result, dict) and "statusCode" in result:
        headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((str(name), str(v)) for v in values)
        headers.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
        body = result.get("body") or ""
        if not isinstance(body, str):
            body = json.dumps(body)
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        return HttpAnswer(int(result["statusCode"]), headers, raw)
    # Anything else is taken as a JSON body with status 200.
    raw = (result if isinstance(result, str) else json.dumps(result)).encode()
    return HttpAnswer(200, [("Content-Type", "application/json")], raw)


def error_answer(status: int, message: str) -> HttpAnswer:
    body = json.dumps({"message": message}).encode()
    return HttpAnswer(status, [("Content-Type", "application/json")], body)
