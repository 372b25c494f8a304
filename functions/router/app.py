"""The public router (no IAM, no secret in the browser): a form's answers from the browser or
a vendor's redirect, decided as the webhook decides them, answered with what the visitor may
see (a booking link, the neutral message, or a redirect); leadops.js; the booking links.

Guards (size, UTF-8, JSON) -> the router service (origin, rate limits, Turnstile, mapping,
decision) -> JSON with CORS, or a small HTML page that needs no JavaScript.
"""

from leadops import coldstart  # first: holds garbage collection off while the rest loads

# isort: split

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from leadops.adapters import aws, wiring
from leadops.adapters.leads_table import FormSources, RateLimits
from leadops.adapters.router_secrets import SecretTokens, secret_text
from leadops.adapters.turnstile import Turnstile
from leadops.errors import NotFound
from leadops.http import router_edge as edge
from leadops.http.answers import answers
from leadops.http.answers.router import RoutedAnswer, not_json, preflight
from leadops.http.resolver import build_resolver, guard_body
from leadops.router import MAX_ROUTER_BODY_BYTES, Refused
from leadops.router_page import visitor_page
from leadops.services.public_router import PublicRouter
from leadops.settings import RouterSettings

SOURCE_MAX_AGE_S = 60  # a changed form source reaches the router within a minute
logger = Logger()
UNAVAILABLE = aws.unavailable_errors()
app = build_resolver(logger, unavailable_on=UNAVAILABLE)
settings = RouterSettings.from_env()
router = PublicRouter(
    sources=FormSources(settings.leads_table, max_age=SOURCE_MAX_AGE_S),
    demo_requests=wiring.demo_requests(settings),
    counter=RateLimits(settings.leads_table),
    tokens=SecretTokens(settings.router_secret_arn),
    clock=lambda: datetime.now(UTC),
    human=Turnstile(
        settings.turnstile_siteverify_url,
        lambda: secret_text(settings.turnstile_secret_arn),
    )
    if settings.router_turnstile == "on"
    else None,
)
SNIPPET = edge.snippet()
HTML, JS = edge.HTML, "text/javascript; charset=utf-8"
PAGE_DOC = "A page without JavaScript: the rep's booking page embedded, or the neutral message"
BOOK_DOC = "Never: a valid link redirects (302), any other is a neutral page (404)"
# What GET /router answers as an HTML page rather than the API's JSON errors.
PAGE_FAILURES: tuple[type[Exception], ...] = (Refused, NotFound, ValidationError, *UNAVAILABLE)


@app.post("/router/forms/<source_id>/submit", responses=answers(RoutedAnswer, 403, 404, 429))
def submit(source_id: str) -> Response[str]:
    visitor = edge.visitor(app.current_event, strict=True)
    try:
        answers = edge.Answers.of(app.current_event.json_body)
        answer, _ = router.submit(source_id, answers, visitor)
    except Refused as refused:
        return edge.refused_json(refused, visitor.origin)
    except ValidationError as invalid:
        return edge.invalid_json(invalid, visitor.origin)
    return edge.json_answer(answer, visitor.origin)


@app.route("/router/forms/<source_id>/submit", method="OPTIONS", responses=preflight())
def cors_preflight(source_id: str) -> Response[str]:
    origin = edge.visitor(app.current_event, strict=True).origin
    return edge.preflight(origin, router.allows(router.source(source_id), origin))


@app.get("/router", responses=not_json(HTML, PAGE_DOC, **edge.PAGE_STATUSES))
def page() -> Response[str]:
    source_id, query = edge.query_answers(app.current_event)
    try:
        answers = edge.Answers.of(query)  # the same limits as a body's
        answer, texts = router.submit(source_id, answers, edge.visitor(app.current_event, False))
    except PAGE_FAILURES as failed:
        return edge.failed_page(failed, logger)
    if answer.redirect_url:
        return edge.redirect(answer.redirect_url)
    return edge.html(200, visitor_page(answer, texts.booking_title))


@app.get("/router/book/<token>", responses=not_json(HTML, BOOK_DOC, **edge.BOOK_STATUSES))
def book(token: str) -> Response[str]:
    try:
        return edge.redirect(router.booking_url(token), status=302)
    except Refused as refused:
        return edge.refused_html(refused)


@app.get("/leadops.js", responses=not_json(JS, "The snippet site owners paste"))
def leadops_js() -> Response[str]:
    return Response(200, JS, SNIPPET, edge.SNIPPET_HEADERS)


@logger.inject_lambda_context(clear_state=True)
@guard_body(MAX_ROUTER_BODY_BYTES)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


coldstart.ready()  # set-up done: freeze what init loaded, collect normally from here
