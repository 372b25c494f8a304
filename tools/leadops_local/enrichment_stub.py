"""A local stand-in for the enrichment providers (``make run``): one stdlib HTTP server on
127.0.0.1 answering Clearbit's, Apollo's and People Data Labs' documented lookups with canned
files (``events/enrichment/<provider>/...``, see its README), 404 for anything it has no file
for, 401 without the provider's auth header. No key is needed and nothing leaves the machine.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

# (method, path) -> (provider folder, kind folder, query parameter naming the file, auth header)
ROUTES = {
    ("GET", "/v2/companies/find"): ("clearbit", "companies", "domain", "authorization"),
    ("GET", "/v2/combined/find"): ("clearbit", "combined", "email", "authorization"),
    ("GET", "/api/v1/organizations/enrich"): ("apollo", "organizations", "domain", "x-api-key"),
    ("POST", "/api/v1/people/match"): ("apollo", "people", "email", "x-api-key"),
    ("GET", "/v5/company/enrich"): ("pdl", "companies", "website", "x-api-key"),
    ("GET", "/v5/person/enrich"): ("pdl", "people", "email", "x-api-key"),
}
LOCAL_KEYS = {
    "clearbit": "local-clearbit-key",
    "apollo": "local-apollo-key",
    "pdl": "local-pdl-key",
}


def answer(root: Path, method: str, target: str, headers: dict[str, str]) -> tuple[int, Any]:
    """The stand-in's status and JSON document for one request."""
    parts = urlsplit(target)
    route = ROUTES.get((method, parts.path))
    if route is None:
        return 404, {"error": {"type": "unknown_route"}}
    provider, kind, parameter, header = route
    if not headers.get(header):
        return 401, {"error": {"type": "auth_missing"}}
    value = (parse_qs(parts.query).get(parameter) or [""])[0].strip().lower()
    found = root / provider / kind / f"{value}.json"
    if not value or "/" in value or not found.is_file():
        return 404, {"error": {"type": "unknown_record", "message": "not found"}}
    return 200, json.loads(found.read_text(encoding="utf-8"))


def start(root: Path, host: str = "127.0.0.1") -> tuple[str, ThreadingHTTPServer]:
    """Serve ``root`` on a free port in a daemon thread; its base URL and the server."""

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, document = answer(root, self.command, self.path, headers)
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _reply

        def log_message(self, format: str, *args: Any) -> None:  # no emails in the output
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://{host}:{server.server_address[1]}", server
