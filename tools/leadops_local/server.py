"""`start-api`: moto's server with the template's resources, and the template's HTTP API routes
served on localhost, each request dispatched to its function as a payload v2.0 event.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moto.server import ThreadedMotoServer

from leadops_local import openapi
from leadops_local.apigw import HttpAnswer, build_event, error_answer, match_route, to_http
from leadops_local.pollers import QueuePoller
from leadops_local.provision import provision
from leadops_local.runtime import FAKE_CREDENTIALS, LocalFunction
from leadops_local.template import REGION, SamTemplate

LISTENING = "leadops local API listening on"
LOCAL_INVOKE = "/_local/functions/"
OPENAPI = "/openapi.json"
DOCS = "/docs"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def moto_server(host: str = "127.0.0.1") -> Iterator[str]:
    """moto's server on a free loopback port; the process's AWS clients pointed at it."""
    port = free_port(host)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call is noise
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    endpoint = f"http://{host}:{port}"
    # moto keeps its state per process: start from an empty account every time.
    # Both calls go to the loopback server started just above.
    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310
    urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310
    settings = {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield endpoint
    finally:
        server.stop()
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class LocalApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], template: SamTemplate, extra_env: Any) -> None:
        super().__init__(address, _RequestHandler)
        self.routes = template.routes()
        self.functions = {
            function.logical_id: LocalFunction(function, extra_env.get(function.logical_id))
            for function in template.functions()
        }
        self._openapi: str | None = None

    def dispatch(self, method: str, target: str, headers: Any, body: bytes, ip: str) -> HttpAnswer:
        path, _, query = target.partition("?")
        if path.startswith(LOCAL_INVOKE):
            return self._invoke_directly(method, path, body)
        if method == "GET" and (path in (OPENAPI, DOCS) or path.startswith(f"{DOCS}/")):
            return self._documentation(path)
        match = match_route(self.routes, method, path)
        if match is None:
            return error_answer(404, "Not Found")
        event = build_event(match, method, path, query, list(headers.items()), body, ip)
        started = time.perf_counter()
        try:
            answer = to_http(self.functions[match.route.function].invoke(event))
        except Exception:  # the handler crashed: API Gateway answers 502, the trace goes to logs
            traceback.print_exc()
            answer = error_answer(502, "Internal Server Error")
        elapsed = (time.perf_counter() - started) * 1000
        log(f"{method} {path} -> {match.route.function} {answer.status} ({elapsed:.0f} ms)")
        return answer

    def _documentation(self, path: str) -> HttpAnswer:
        """The OpenAPI document (generated from the resolvers on first request), Swagger UI."""
        if self._openapi is None:
            functions = [
                self.functions[name] for name in dict.fromkeys(r.function for r in self.routes)
            ]
            self._openapi = openapi.document_json(functions)
        if path == OPENAPI:
            return HttpAnswer(200, [("Content-Type", "application/json")], self._openapi.encode())
        if path == DOCS:
            page = openapi.swagger_page(self._openapi).encode()
            return HttpAnswer(200, [("Content-Type", "text/html; charset=utf-8")], page)
        name = path.removeprefix(f"{DOCS}/")
        data = openapi.asset(name)
        if data is None:
            return error_answer(404, "Not Found")
        kind = "text/css" if name.endswith(".css") else "text/javascript"
        return HttpAnswer(200, [("Content-Type", kind)], data)

    def _invoke_directly(self, method: str, path: str, body: bytes) -> HttpAnswer:
        """``POST /_local/functions/{id}/invoke`` with any event: for schedule- or S3-triggered
        functions, which have no route (``sam local`` has no such thing; this is dev only)."""
        function_id = path.removeprefix(LOCAL_INVOKE).removesuffix("/invoke").strip("/")
        if method != "POST" or function_id not in self.functions:
            return error_answer(404, "Not Found")
        try:
            event = json.loads(body or b"{}")
            result = self.functions[function_id].invoke(event)
        except Exception:
            traceback.print_exc()
            return error_answer(502, "Internal Server Error")
        log(f"invoke {function_id} -> 200")
        return to_http({"statusCode": 200, "body": json.dumps(result, default=str)})


class _RequestHandler(BaseHTTPRequestHandler):
    server: LocalApi
    protocol_version = "HTTP/1.1"

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # the CRLF after each chunk
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        answer = self.server.dispatch(
            self.command, self.path, self.headers, self._body(), self.client_address[0]
        )
        self.send_response(answer.status)
        for name, value in answer.headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: dispatch() logs one line per request with the function it went to."""


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve(template: SamTemplate, host: str, port: int, extra_env: dict[str, Any]) -> int:
    """Serve until SIGINT or SIGTERM; 0 once moto and the HTTP server have stopped."""
    signal.signal(signal.SIGTERM, _stop)
    out = sys.stdout  # the listening line alone goes here; functions log to stderr
    try:
        with contextlib.redirect_stdout(sys.stderr):
            _serve(template, host, port, extra_env, out)
    except KeyboardInterrupt:  # stopped while starting: moto is already stopped
        log("stopped")
    return 0


def _serve(
    template: SamTemplate, host: str, port: int, extra_env: dict[str, Any], out: Any
) -> None:
    with moto_server() as endpoint:
        created, skipped = provision(template, endpoint)
        log(f"moto server on {endpoint}")
        for line in created:
            log(f"  created {line}")
        for line in skipped:
            log(f"  skipped {line} (the local runner does not create this kind)")
        api = LocalApi((host, port), template, extra_env)
        log(f"routes of {len(api.functions)} functions:")
        for route in api.routes:
            log(f"  {route.method:<6} {route.path} -> {route.function}")
        stop = threading.Event()
        for trigger in template.queue_triggers():
            poller = QueuePoller(trigger, api.functions[trigger.function], template, endpoint, stop)
            poller.start()
            log(f"  SQS    {trigger.queue} -> {trigger.function}")
        log(f"  POST   {LOCAL_INVOKE}{{FunctionId}}/invoke -> any function, with the body as event")
        log(f"  GET    {OPENAPI} (the OpenAPI document), {DOCS} (Swagger UI)")
        print(f"{LISTENING} http://{host}:{api.server_address[1]}", file=out, flush=True)
        try:
            api.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            # A second Ctrl-C must not interrupt the clean shutdown of moto below.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            log("stopping")
        finally:
            stop.set()
            api.server_close()
