"""Fixtures for the `leadops` CLI: run it in-process with captured output, against either the
real handlers of template.yaml (an httpx transport that turns each request into an API Gateway
event, as `make run` does, on moto) or a stand-in that answers with the API contract."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from rich.console import Console

from leadops_cli.__main__ import main
from leadops_local.apigw import build_event, match_route, to_http
from leadops_local.runtime import LocalFunction
from leadops_local.template import SamTemplate

WIDTH = 120


@dataclass
class Result:
    code: int
    out: str
    err: str
    sleeps: list[float]

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Recorder:
    """The requests a transport saw, in order."""

    requests: list[httpx.Request] = field(default_factory=list)

    def bodies(self) -> list[Any]:
        return [
            json.loads(request.content) if request.content else None for request in self.requests
        ]


Cli = Callable[..., Result]


def row(output: str, *cells: str) -> bool:
    """Whether one line of ``output`` holds ``cells`` in this order, separated by spaces."""
    pattern = r"\s+".join(re.escape(cell) for cell in cells)
    return any(re.search(pattern, line) for line in output.splitlines())


@pytest.fixture(autouse=True)
def _no_operator_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own LEADOPS_URL or webhook secret never leaks into a test."""
    monkeypatch.delenv("LEADOPS_URL", raising=False)
    monkeypatch.delenv("LEADOPS_WEBHOOK_SECRET", raising=False)


def _console(color: bool) -> Console:
    return Console(
        file=io.StringIO(),
        width=WIDTH,
        color_system="standard" if color else None,
        force_terminal=color,
        legacy_windows=False,
    )


@pytest.fixture
def cli() -> Cli:
    """``cli(*argv, transport=..., color=False)``: run ``leadops`` and capture what it printed."""

    def run(
        *argv: str, transport: httpx.BaseTransport | None = None, color: bool = False
    ) -> Result:
        out, err = _console(color), _console(False)
        sleeps: list[float] = []
        code = main(list(argv), transport=transport, out=out, err=err, sleep=sleeps.append)
        return Result(code, out.file.getvalue(), err.file.getvalue(), sleeps)  # type: ignore[attr-defined]

    return run


@pytest.fixture
def lambda_api(
    aws: SamTemplate, load_function: Callable[[str], LocalFunction]
) -> tuple[httpx.MockTransport, Recorder]:
    """The template's HTTP API in-process: each request becomes the payload v2.0 event API
    Gateway would send (the local runner's own code, as tests.helpers.http_event uses), the
    route's real ``lambda_handler`` answers on moto, and its answer becomes the HTTP response."""
    routes = aws.routes()
    recorder = Recorder()

    def handle(request: httpx.Request) -> httpx.Response:
        recorder.requests.append(request)
        raw_path = request.url.raw_path.decode().split("?", 1)[0]
        match = match_route(routes, request.method, raw_path)
        if match is None:
            return httpx.Response(404, json={"message": "Not Found"})
        event = build_event(
            match,
            request.method,
            raw_path,
            request.url.query.decode(),
            list(request.headers.multi_items()),
            request.content,
        )
        answer = to_http(load_function(match.route.function).invoke(event))
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

    return httpx.MockTransport(handle), recorder


Reply = tuple[int, Any]


class ContractApi:
    """The API's endpoints answered as their contract says, so a CLI test needs no stack: each
    ``(method, path)`` has a list of replies given in turn (the last one repeats).
    The test_*against_handlers.py files run the commands against the real handlers."""

    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], list[Reply]] = {}
        self.recorder = Recorder()
        self.transport = httpx.MockTransport(self._handle)

    def on(self, method: str, path: str, *replies: Reply) -> ContractApi:
        self.replies[(method, path)] = list(replies)
        return self

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.recorder.requests.append(request)
        queue = self.replies.get((request.method, request.url.path))
        if not queue:
            return httpx.Response(404, json={"message": "Not Found"})
        status, body = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    @property
    def requests(self) -> list[httpx.Request]:
        return self.recorder.requests


@pytest.fixture
def contract() -> ContractApi:
    return ContractApi()
