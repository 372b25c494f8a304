"""The public router (issue 12): a browser's answers to a form source, decided as the webhook
decides them, answered with what the visitor may see.

In order, cheapest refusal first, and nothing stored for a refused request but its count:

1. the form source (404 unknown), then the browser's origin against its allow-list (403),
2. the rate limits, per visitor address and per set of answers, counted in one conditional
   write (429 once either is full: the refused request is not counted),
3. Cloudflare Turnstile when it is on (403 without a solved challenge),
4. the answers mapped by the source's field mapping and validated as the native form body
   (422 naming the field), then ``DemoRequests.handle``: the same decision, round robin and
   stored lead as the webhook's. The submission id comes from the browser's hidden
   ``leadops_submission_id`` (the vendor's webhook for the same submission carries it too, so
   whichever arrives second is a replay of the first), else from a hash of the answers (a
   reloaded redirect page is a replay, not a second lead).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from leadops.errors import NotFound
from leadops.form_sources import FormSource, map_answers
from leadops.models import FormSubmission
from leadops.ports import BookingTokens, FormSources, HumanCheck, Limit, RateCounter
from leadops.router import (
    NO_LINK,
    NOT_ALLOWED,
    NOT_VERIFIED,
    TOO_MANY,
    TURNSTILE_FIELD,
    Refused,
    TokenError,
    Visitor,
    VisitorAnswer,
    VisitorTexts,
    answers_hash,
    bookable,
    client_hash,
    issue_token,
    origin_allowed,
    read_token,
    visitor_answer,
)
from leadops.services.demo_requests import DemoRequests

logger = Logger(child=True)


@dataclass(frozen=True)
class PublicRouter:
    sources: FormSources
    demo_requests: DemoRequests
    counter: RateCounter
    tokens: BookingTokens
    clock: Callable[[], datetime]
    human: HumanCheck | None = None

    def source(self, source_id: str) -> FormSource:
        source = self.sources.get(source_id)
        if source is None:
            raise NotFound("form source", source_id)
        return source

    def allows(self, source: FormSource, origin: str | None) -> bool:
        return origin_allowed(origin, source.allowed_origins)

    def submit(
        self, source_id: str, answers: Mapping[str, Any], visitor: Visitor
    ) -> tuple[VisitorAnswer, VisitorTexts]:
        source = self.source(source_id)
        if (visitor.origin is not None or visitor.strict) and not self.allows(
            source, visitor.origin
        ):
            raise Refused(403, "origin_not_allowed", NOT_ALLOWED)
        same_answers = answers_hash(source_id, answers)
        self._count(source_id, same_answers, visitor)
        if self.human is not None:
            token = answers.get(TURNSTILE_FIELD)
            if not isinstance(token, str) or not self.human.verify(token, visitor.ip):
                raise Refused(403, "challenge_failed", NOT_VERIFIED)
        # The browser's hidden id, else the answers themselves: a reload is a replay.
        body = map_answers(source, answers, vendor_submission_id=same_answers)
        submission = FormSubmission.model_validate(body)
        decision = self.demo_requests.handle(submission)
        texts = visitor_texts(source)
        token = self._token(decision)
        answer = visitor_answer(decision, texts, token, submission.submission_id)
        logger.info(
            "routed", extra={"source_id": source_id, "lead_id": decision["lead_id"],
                             "visitor_outcome": answer.outcome.value}
        )  # fmt: skip
        return answer, texts

    def booking_url(self, token: str) -> str:
        """The rep's booking page a token grants (``Refused`` 404 for any bad token, or one
        whose lead no longer names that rep with a booking link)."""
        now = int(self.clock().timestamp())
        try:
            grant = read_token(token, now, self.tokens.secrets())
            decision = self.demo_requests.store.lead(grant.lead_id).answer
        except (TokenError, NotFound):
            raise Refused(404, "link_invalid", NO_LINK) from None
        owner = decision.get("owner") or {}
        if bookable(decision) != (grant.lead_id, grant.rep_id):
            raise Refused(404, "link_invalid", NO_LINK)
        return str(owner["booking_url"])

    def _count(self, source_id: str, same_answers: str, visitor: Visitor) -> None:
        rules = self.demo_requests.rules.current().rulebook.router
        limits = [
            Limit("answers", same_answers, rules.per_answers_limit,
                  rules.per_answers_window_s),
        ]  # fmt: skip
        if visitor.ip:
            ip = Limit("ip", client_hash(visitor.ip), rules.per_ip_limit, rules.per_ip_window_s)
            limits.insert(0, ip)
        full = self.counter.hit(limits, int(self.clock().timestamp()))
        if full is not None:
            logger.info("rate limited", extra={"source_id": source_id, "scope": full.scope})
            raise Refused(429, "rate_limited", TOO_MANY, retry_after=full.window_s)

    def _token(self, decision: Mapping[str, Any]) -> str | None:
        granted = bookable(decision)
        if granted is None:
            return None
        rules = self.demo_requests.rules.current().rulebook.router
        now = int(self.clock().timestamp())
        secret = self.tokens.secrets()[0]
        return issue_token(*granted, now=now, ttl_s=rules.booking_token_ttl_s, secret=secret)


def visitor_texts(source: FormSource) -> VisitorTexts:
    """The form source's texts for visitors (its neutral message, its optional redirect)."""
    redirect = str(source.redirect_url) if source.redirect_url else None
    return VisitorTexts(message=source.message, redirect_url=redirect)
