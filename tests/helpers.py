"""Small helpers shared by tests (fixtures live in conftest.py)."""

from pathlib import Path
from typing import Any

from leadops.scoring import ScoreCard, ScoreItem
from leadops_local.apigw import Match, build_event, match_route
from leadops_local.runtime import LocalFunction
from leadops_local.template import Route, SamTemplate

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"

FunctionUnderTest = LocalFunction


def item_of(card: ScoreCard, metric: str) -> ScoreItem:
    """The one item of ``card`` for ``metric``."""
    (item,) = (item for item in card.items if item.metric == metric)
    return item


def http_event(
    method: str,
    path: str,
    body: str = "",
    *,
    is_base64: bool = False,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The payload v2.0 event API Gateway would send for this request to template.yaml's API
    (built by the local runner's own code, so tests and `make run` see the same events)."""
    routes = SamTemplate.load(TEMPLATE).routes()
    match = match_route(routes, method, path) or Match(Route(method, path, "none", True), {})
    all_headers = {"content-type": "application/json", **(headers or {})}
    event = build_event(match, method, path, "", list(all_headers.items()), body.encode())
    if is_base64:
        event["body"], event["isBase64Encoded"] = body, True
    return event
