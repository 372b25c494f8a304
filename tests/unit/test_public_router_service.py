"""The public router's use case on in-memory ports (no moto): the order of its refusals, what
each costs, and the booking link's checks. The decision itself is ``DemoRequests`` on the fakes
of tests/unit/test_demo_requests_service.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from leadops.errors import NotFound
from leadops.form_sources import FormSource
from leadops.ports import Limit
from leadops.router import Outcome, Refused, Visitor, issue_token
from leadops.services.public_router import PublicRouter
from tests.unit.test_demo_requests_service import NOW, World

SITE = "https://www.acme.test"
BROWSER = Visitor(ip="203.0.113.9", origin=SITE, strict=True)
ANSWERS: dict[str, Any] = {
    "email": "ada@acme-analytics.io", "job_title": "CTO", "message": "A demo, please.",
    "company.name": "Acme", "company.annual_revenue": 25_000_000,
    "company.industry": "Software", "company.country": "Germany",
    "leadops_submission_id": "b-1",
}  # fmt: skip
LOW = {**ANSWERS, "job_title": "Office Manager", "company.annual_revenue": 1_000,
       "company.industry": "Retail", "leadops_submission_id": "b-2"}  # fmt: skip


@dataclass
class Sources:
    sources: dict[str, FormSource] = field(default_factory=dict)

    def get(self, source_id: str) -> FormSource | None:
        return self.sources.get(source_id)

    def put(self, source: FormSource) -> None:
        self.sources[source.source_id] = source


@dataclass
class Counters:
    """Fixed-window counters, all limits counted together or none (as the adapter does)."""

    hits: Counter[tuple[str, str, int]] = field(default_factory=Counter)

    def hit(self, limits: Sequence[Limit], now: int) -> Limit | None:
        keys = [(limit.scope, limit.subject, now - now % limit.window_s) for limit in limits]
        for limit, key in zip(limits, keys, strict=True):
            if self.hits[key] >= limit.limit:
                return limit
        self.hits.update(keys)
        return None


@dataclass
class Human:
    passes: bool
    asked: list[tuple[str, str | None]] = field(default_factory=list)

    def verify(self, token: str, remote_ip: str | None) -> bool:
        self.asked.append((token, remote_ip))
        return self.passes


@dataclass
class Tokens:
    keys: list[str] = field(default_factory=lambda: ["k2", "k1"])

    def secrets(self) -> list[str]:
        return self.keys


@dataclass
class Site:
    world: World = field(default_factory=World)
    sources: Sources = field(default_factory=Sources)
    counters: Counters = field(default_factory=Counters)
    human: Human | None = None

    def __post_init__(self) -> None:
        self.sources.put(
            FormSource(source_id="demo", vendor="native", secret_name="x/forms/demo",
                       allowed_origins=[SITE], message="Thanks, we will be in touch.")
        )  # fmt: skip

    @property
    def router(self) -> PublicRouter:
        return PublicRouter(
            sources=self.sources,
            demo_requests=self.world.service,
            counter=self.counters,
            tokens=Tokens(),
            clock=lambda: NOW,
            human=self.human,
        )


@pytest.fixture
def site() -> Site:
    return Site()


def test_a_qualified_lead_is_decided_as_the_webhook_decides_and_gets_a_signed_link(
    site: Site,
) -> None:
    answer, texts = site.router.submit("demo", ANSWERS, BROWSER)
    assert answer.outcome is Outcome.BOOKING
    assert answer.submission_id == "form:demo:b-1"
    (stored,) = site.world.store.leads.values()
    assert stored.record.answer["outcome"] == "instant_scheduler"
    assert answer.booking_path is not None
    token = answer.booking_path.removeprefix("/router/book/")
    assert site.router.booking_url(token) == "https://cal.example.com/tae-1"
    assert texts.message == "Thanks, we will be in touch."


def test_a_manual_review_lead_reads_the_message_though_it_has_an_owner(site: Site) -> None:
    answer, _ = site.router.submit("demo", LOW, BROWSER)
    assert (answer.outcome, answer.message, answer.owner_id) == (
        Outcome.MESSAGE, "Thanks, we will be in touch.", None,
    )  # fmt: skip
    (stored,) = site.world.store.leads.values()
    assert stored.owner_id == "tae-1"


def test_an_unknown_source_is_not_found_and_counts_nothing(site: Site) -> None:
    with pytest.raises(NotFound):
        site.router.submit("nope", ANSWERS, BROWSER)
    assert not site.counters.hits


@pytest.mark.parametrize(
    "visitor",
    [Visitor("203.0.113.9", "https://evil.test", strict=True),
     Visitor("203.0.113.9", None, strict=True),
     Visitor("203.0.113.9", "https://evil.test", strict=False)],
)  # fmt: skip
def test_a_foreign_origin_is_refused_before_anything_is_counted(
    site: Site, visitor: Visitor
) -> None:
    with pytest.raises(Refused) as refused:
        site.router.submit("demo", ANSWERS, visitor)
    assert (refused.value.status, refused.value.kind) == (403, "origin_not_allowed")
    assert not site.counters.hits
    assert not site.world.store.leads


def test_a_redirect_without_a_referrer_is_let_through(site: Site) -> None:
    answer, _ = site.router.submit("demo", ANSWERS, Visitor("203.0.113.9", None, strict=False))
    assert answer.outcome is Outcome.BOOKING


def test_the_address_limit_holds_across_different_answers(site: Site) -> None:
    for i in range(30):  # rulebook: 30 per address per 10 minutes
        site.router.submit(
            "demo", {**LOW, "message": f"demo {i}", "leadops_submission_id": f"x{i}"}, BROWSER
        )
    with pytest.raises(Refused) as refused:
        site.router.submit("demo", {**LOW, "message": "one more"}, BROWSER)
    assert (refused.value.status, refused.value.retry_after) == (429, 600)
    assert len(site.world.store.leads) == 30
    # Another address is counted apart.
    other = Visitor("198.51.100.1", SITE, strict=True)
    assert site.router.submit("demo", {**LOW, "message": "from elsewhere"}, other)


def test_without_an_address_only_the_answers_are_counted(site: Site) -> None:
    site.router.submit("demo", ANSWERS, Visitor(None, SITE, strict=True))
    assert [scope for scope, _, _ in site.counters.hits] == ["answers"]


def test_turnstile_is_asked_with_the_token_and_address_and_refuses_a_failure() -> None:
    site = Site(human=Human(passes=False))
    with pytest.raises(Refused) as refused:
        site.router.submit("demo", {**ANSWERS, "cf-turnstile-response": "tok"}, BROWSER)
    assert (refused.value.status, refused.value.kind) == (403, "challenge_failed")
    assert site.human is not None
    assert site.human.asked == [("tok", "203.0.113.9")]
    assert not site.world.store.leads
    with pytest.raises(Refused):  # no token at all: Cloudflare is not even asked
        site.router.submit("demo", ANSWERS, BROWSER)
    assert len(site.human.asked) == 1


def test_the_token_and_the_answers_hash_ignore_the_challenge_field() -> None:
    site = Site(human=Human(passes=True))
    first, _ = site.router.submit("demo", {**ANSWERS, "cf-turnstile-response": "t1"}, BROWSER)
    again, _ = site.router.submit("demo", {**ANSWERS, "cf-turnstile-response": "t2"}, BROWSER)
    assert first.submission_id == again.submission_id
    assert len(site.world.store.leads) == 1


def test_a_link_to_a_lead_that_no_longer_names_that_rep_is_refused(site: Site) -> None:
    answer, _ = site.router.submit("demo", ANSWERS, BROWSER)
    lead_id = next(iter(site.world.store.leads))
    for rep_id in ("tae-2", "tae-1"):
        token = issue_token(lead_id, rep_id, int(NOW.timestamp()), 60, "k1")  # old secret
        if rep_id == "tae-1":
            assert site.router.booking_url(token) == "https://cal.example.com/tae-1"
        else:
            with pytest.raises(Refused):
                site.router.booking_url(token)
    _low, _ = site.router.submit("demo", LOW, BROWSER)
    low_lead = next(key for key in site.world.store.leads if key != lead_id)
    token = issue_token(low_lead, "tae-1", int(NOW.timestamp()), 60, "k2")
    with pytest.raises(Refused):  # manual review: no booking link to grant
        site.router.booking_url(token)
    assert answer.owner_id == "tae-1"
