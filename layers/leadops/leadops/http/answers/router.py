"""The public router: the visitor's answer (JSON for the snippet), and the routes that answer
HTML or JavaScript (documented by content type, not by a model)."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import Field

from leadops.http.answers import Answer, ErrorAnswer


class RoutedAnswer(Answer):
    """What the visitor may see. Manual review, support and spam all read ``message`` (or go to
    ``redirect_url``): the classification is never revealed."""

    outcome: Literal["booking", "message", "redirect"]
    submission_id: str = Field(description="The id the lead was stored under (one per submission)")
    message: str | None = Field(description="The form source's neutral text (outcome message)")
    booking_path: str | None = Field(
        description="/router/book/<signed, short-lived token>: redirects to the rep's booking page"
    )
    redirect_url: str | None
    owner_id: str | None = Field(description="The rep whose booking page it is (booking only)")
    owner_name: str | None


def not_json(content_type: str, description: str, **others: str) -> dict[int, OpenAPIResponse]:
    """A route answering ``content_type`` (HTML pages, the script, redirects): 200 and each of
    ``others`` (``s303="..."``) in that type; a 422 in it too (a page names the fields)."""
    text: dict[str, Any] = {content_type: {"schema": {"type": "string"}}}
    documented: dict[int, OpenAPIResponse] = {200: {"description": description, "content": text}}
    for status, said in others.items():
        documented[int(status.removeprefix("s"))] = {"description": said, "content": text}
    documented[422] = {"description": "Invalid answers: the fields to fix", "content": text}
    return documented


def preflight() -> dict[int, OpenAPIResponse]:
    """The CORS preflight: 204 (no body) for an allowed origin, else the error shape."""
    error: dict[str, Any] = {"application/json": {"model": ErrorAnswer}}
    return {
        204: {"description": "The origin is allowed (Access-Control-Allow-*)",
              "content": {"text/plain": {"schema": {"type": "string", "maxLength": 0}}}},
        403: {"description": "The origin is not on the form's allow-list", "content": error},
        404: {"description": "No such form source", "content": error},
        422: {"description": "Invalid path", "content": error},
    }  # fmt: skip
