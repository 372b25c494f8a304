"""The HTTP API's OpenAPI document, generated from the functions' own resolvers.

Each HTTP function of the template is loaded as Lambda loads it (its environment, its layer;
no AWS call happens at init) and its Powertools resolver describes its routes; the documents
are merged into one (Powertools' OpenAPIMerge). ``make openapi`` writes it to docs/openapi.json,
``tests/test_openapi.py`` fails while that file is stale, and the local API serves it at
``/openapi.json`` with Swagger UI at ``/docs`` (its assets from Powertools' own package, so
the page works offline).
"""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools.event_handler.openapi import swagger_ui
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

from leadops_local.runtime import LocalFunction
from leadops_local.template import SamTemplate

TITLE = "leadops"
VERSION = "0.1.0"
DESCRIPTION = (
    "Self-hosted inbound-lead qualification, scoring and routing. Every route is IAM-signed "
    "(SigV4) except POST /webhooks/demo-request, which verifies an HMAC signature "
    "(X-Leadops-Signature) instead."
)
# Swagger UI's script and style as Powertools ships them (no CDN: the page works offline).
SWAGGER_ASSETS = Path(swagger_ui.__file__).parent


def http_functions(template: SamTemplate) -> list[LocalFunction]:
    """A LocalFunction for every function that serves a route of ``template``."""
    serving = {route.function for route in template.routes()}
    return [LocalFunction(f) for f in template.functions() if f.logical_id in serving]


def document(functions: list[LocalFunction]) -> OpenAPIMerge:
    """The merged OpenAPI document of the HTTP ``functions`` (each names its resolver app)."""
    merged = OpenAPIMerge(
        title=TITLE, version=VERSION, description=DESCRIPTION, on_conflict="error"
    )
    for function in functions:
        function.handler()  # imported under its own environment, as Lambda's init does
        resolver = vars(function.module)["app"]
        merged.add_schema(resolver.get_openapi_schema(title=TITLE, version=VERSION))
    return merged


def document_json(functions: list[LocalFunction]) -> str:
    """The document as docs/openapi.json holds it (two-space indents, a trailing newline)."""
    return document(functions).get_openapi_json_schema() + "\n"


def asset(name: str) -> bytes | None:
    """A Swagger UI file by name (``swagger-ui-bundle.min.js``); None for any other name."""
    if name not in ("swagger-ui-bundle.min.js", "swagger-ui.min.css"):
        return None
    return (SWAGGER_ASSETS / name).read_bytes()


def swagger_page(spec: str) -> str:
    """Swagger UI showing the document ``spec`` (JSON text), its script and style at /docs/."""
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    return generate_swagger_html(
        spec=spec,
        swagger_js="/docs/swagger-ui-bundle.min.js",
        swagger_css="/docs/swagger-ui.min.css",
        swagger_base_url="/docs",
        oauth2_config=None,
    )
