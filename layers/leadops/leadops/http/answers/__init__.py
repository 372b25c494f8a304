"""What every route answers, as pydantic models: the OpenAPI document's response schemas
(``make openapi`` writes docs/openapi.json from the resolvers).

Documentation, not a runtime filter: the routes still return their dicts, so a model can never
turn a good answer into an error or change its bytes; ``tests/test_openapi.py`` checks real
answers against these models instead. One module per API, so a function defines only its own models
at init, and ``defer_build``: a model's schema is built when a route that names it first runs
(or when the document is generated), not at init.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    model_config = ConfigDict(defer_build=True, populate_by_name=True)


# --- errors (leadops.http.resolver) ----------------------------------------------------------
class FieldError(Answer):
    field: str = Field(description='The field to fix ("company.employees"), or "body"/"path"')
    message: str
    type: str = Field(description='The error type ("missing", "not_found", "unavailable", ...)')


class ErrorAnswer(Answer):
    message: str
    errors: list[FieldError]


# --- how a route names them --------------------------------------------------------------------
_ERRORS = {
    400: "Not JSON, not UTF-8 or not base64",
    401: "No valid X-Leadops-Signature",
    403: "Refused: an origin not on the form's allow-list, or no solved challenge (Turnstile)",
    404: "No such lead, rep, account, version or job",
    409: "Contradicts what is stored",
    413: "Body too large",
    422: "Invalid request: the fields to fix",
    429: "Too many requests from this address or with these answers (Retry-After)",
    503: "AWS unavailable: nothing was stored, retry (Retry-After)",
}
_ALWAYS = (400, 413, 422, 503)


def answers(
    model: type[BaseModel], *errors: int, also: tuple[int, ...] = ()
) -> dict[int, OpenAPIResponse]:
    """A route's ``responses``: ``model`` on 200 (and on each status in ``also``), the error
    shape on ``errors`` and on what every route may answer (400, 413, 422, 503)."""
    documented: dict[int, OpenAPIResponse] = {
        status: {
            "description": "OK" if status == 200 else "Accepted: still running; poll the job",
            "content": {"application/json": {"model": model}},
        }
        for status in (200, *also)
    }
    for status in sorted({*_ALWAYS, *errors}):
        documented[status] = {
            "description": _ERRORS[status],
            "content": {"application/json": {"model": ErrorAnswer}},
        }
    return documented
