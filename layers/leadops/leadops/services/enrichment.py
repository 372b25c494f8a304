"""Enrichment lookups, ordered around the cache, the budget and the deadline (issue 13).

``Enricher.enrich`` is given what the cache already holds (the webhook reads it in its own
BatchGetItem) and returns the values found, each group's provider, the reasons to show, the
cache entries to write (the webhook writes them in its own transaction) and a status:

- ``complete``: everything wanted was answered (from the cache or a provider, "not found"
  included); ``none``: nothing to look up (a free-mail address from a form that gives a title);
- ``pending``: a provider failed (down, past the deadline, 429 / 5xx, garbage) before the values
  were known: the lead is decided with what is known and the worker finishes the lookup;
- ``skipped``: the month's call budget is spent: no call, and the reasons say so.

Providers are asked in the stack's order; the first that answers a group of values wins it, and
the next is asked only for groups still missing. Nothing here logs the email or the domain.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from leadops.classification import Label, classify
from leadops.enrichment import (
    ACCOUNT,
    COMPANY_FIELDS,
    COMPANY_GROUPS,
    ENRICHMENT,
    FORM,
    PERSON_GROUPS,
    Found,
    Layer,
    account_layer,
    form_layer,
    merge,
    person_key,
)
from leadops.models import CompanyInput, LeadInput
from leadops.normalise import EmailKind
from leadops.ports import (
    CacheEntry,
    EnrichmentBudget,
    EnrichmentProvider,
    EnrichmentQuery,
    EnrichmentUnavailable,
)
from leadops.qualification import company_domain_key
from leadops.rulebook import EnrichmentRules
from leadops.rules import Rules

logger = Logger(child=True)

COMPANY, PERSON = "company", "person"


@dataclass(frozen=True, slots=True)
class Enrichment:
    company: Found
    person: Found
    status: str  # complete | pending | skipped | none
    reasons: tuple[str, ...] = ()
    writes: tuple[CacheEntry, ...] = ()
    providers: tuple[str, ...] = ()  # the providers whose values were used

    def layer(self) -> Layer:
        return Layer(
            ENRICHMENT,
            self.company.fields,
            self.person.fields,
            {**self.company.sources, **self.person.sources},
        )

    def state(self, at: datetime) -> dict[str, Any]:
        """As stored with the lead (``LeadRecord.enrichment``)."""
        done = self.status != "pending"
        return {
            "status": self.status,
            "providers": list(self.providers),
            "completed_at": at.isoformat() if done else None,
        }


NOTHING = Enrichment(Found(), Found(), "none")


@dataclass(frozen=True, slots=True)
class Wanted:
    """What one submission needs looked up, and its cache keys; ``allowed`` is asked before a
    provider is (the rules read the submission as a sales lead: spam and support are never
    looked up), not on a cache hit."""

    domain: str | None
    email: str | None
    allowed: Callable[[], bool] | None = None

    def keys(self) -> list[tuple[str, str]]:
        keys = [(COMPANY, self.domain)] if self.domain else []
        return keys + ([(PERSON, person_key(self.email))] if self.email else [])


@dataclass
class Enricher:
    providers: Sequence[EnrichmentProvider]
    budget: EnrichmentBudget
    monthly_limit: int
    deadline_s: float
    wall_clock: Callable[[], datetime]
    monotonic: Callable[[], float] = field(default=time.monotonic)

    def wanted(
        self, domain: str | None, email: str, has_title: bool, rules: EnrichmentRules
    ) -> Wanted:
        """``domain`` None: a free-mail or disposable address, never looked up as a company."""
        person = rules.person_lookup == "always" or (
            rules.person_lookup == "without_title" and not has_title
        )
        return Wanted(domain, email if person else None)

    def enrich(
        self,
        wanted: Wanted,
        cached: dict[tuple[str, str], dict[str, Any]],
        rules: EnrichmentRules,
        deadline_s: float | None = None,
    ) -> Enrichment:
        if not wanted.keys():
            return NOTHING
        company = _from_cache(cached, (COMPANY, wanted.domain)) if wanted.domain else Found()
        person = (
            _from_cache(cached, (PERSON, person_key(wanted.email))) if wanted.email else Found()
        )
        ask = EnrichmentQuery(
            wanted.domain if wanted.domain and company is None else None,
            wanted.email if wanted.email and person is None else None,
        )
        hits = [kind for kind, found in ((COMPANY, company), (PERSON, person)) if found]
        reasons = [
            f"enrichment: {kind} from the cache" for kind in hits if wanted_kind(wanted, kind)
        ]
        if ask.domain is None and ask.email is None:
            return _result(company or Found(), person or Found(), "complete", reasons, ())
        if wanted.allowed is not None and not wanted.allowed():
            return _result(company or Found(), person or Found(), "none", reasons, ())
        deadline = self.monotonic() + (self.deadline_s if deadline_s is None else deadline_s)
        asked = self._ask(ask, deadline, reasons)
        found_company = asked.company if company is None else company
        found_person = asked.person if person is None else person
        writes = self._writes(wanted, ask, asked, rules)
        return _result(found_company, found_person, asked.status, reasons, writes)

    def _ask(self, query: EnrichmentQuery, deadline: float, reasons: list[str]) -> _Asked:
        company = Found(found=False)
        person = Found(found=False)
        failed: list[str] = []
        skipped: list[str] = []
        month = self.wall_clock().strftime("%Y-%m")
        for provider in self.providers:
            if _complete(query, company, person):
                break
            if not self.budget.take(provider.name, month, self.monthly_limit):
                skipped.append(provider.name)
                continue
            try:
                answer = provider.lookup(query, deadline)
            except EnrichmentUnavailable as error:
                logger.warning(
                    "enrichment provider failed",
                    extra={"provider": provider.name, "error": str(error)},
                )
                failed.append(f"{provider.name} ({error})")
                continue
            company = company.plus(provider.name, answer.company, COMPANY_GROUPS)
            person = person.plus(provider.name, answer.person, PERSON_GROUPS)
        if skipped:
            reasons.append(
                f"enrichment skipped for {', '.join(skipped)}: the monthly budget of "
                f"{self.monthly_limit} calls is used up"
            )
        status = "complete"
        unknown = (query.domain and not company.found) or (query.email and not person.found)
        if failed and unknown:
            status = "pending"
            reasons.append(
                f"enrichment pending: {'; '.join(failed)}; decided with what is known, the lead "
                "is re-scored when the lookup completes"
            )
        elif skipped and not failed and not (company.found or person.found):
            status = "skipped"
        return _Asked(company, person, status, tuple(failed))

    def _writes(
        self, wanted: Wanted, query: EnrichmentQuery, asked: _Asked, rules: EnrichmentRules
    ) -> tuple[CacheEntry, ...]:
        """Answers to keep: not after a failure (the worker asks again), nor when skipped."""
        if asked.failed or asked.status == "skipped":
            return ()
        now = self.wall_clock()
        entries = []
        for kind, key, found in (
            (COMPANY, query.domain, asked.company),
            (PERSON, query.email, asked.person),
        ):
            if key is None:
                continue
            days = rules.cache_days if found.found else rules.not_found_cache_days
            expires = int((now + timedelta(days=days)).timestamp())
            cache_key = key if kind == COMPANY else person_key(key)
            entries.append(CacheEntry(kind, cache_key, found.as_doc(), expires))
        return tuple(entries)


@dataclass(frozen=True, slots=True)
class _Asked:
    company: Found
    person: Found
    status: str
    failed: tuple[str, ...]


def wanted_kind(wanted: Wanted, kind: str) -> bool:
    return bool(wanted.domain) if kind == COMPANY else bool(wanted.email)


def _from_cache(
    cached: dict[tuple[str, str], dict[str, Any]], key: tuple[str, Any]
) -> Found | None:
    document = cached.get(key)
    return Found.from_doc(document) if document is not None else None


def _complete(query: EnrichmentQuery, company: Found, person: Found) -> bool:
    """Every group wanted has a value (a provider that knows nothing leaves groups missing)."""
    return (query.domain is None or not company.missing(COMPANY_GROUPS)) and (
        query.email is None or not person.missing(PERSON_GROUPS)
    )


def _result(
    company: Found, person: Found, status: str, reasons: list[str], writes: tuple[CacheEntry, ...]
) -> Enrichment:
    providers = sorted({*company.sources.values(), *person.sources.values()})
    if providers:
        reasons.append(f"enriched by {', '.join(providers)}")
    return Enrichment(company, person, status, tuple(reasons), writes, tuple(providers))


# --- the webhook's use of it -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Sourced:
    """A submission with its values merged from the form, the account and the enrichment."""

    known: CompanyInput  # form + account: what the account's profile remembers
    scored: LeadInput  # ... + enrichment: what is scored and stored
    sources: dict[str, str]
    enrichment: Enrichment


def wanted_for(
    enricher: Enricher | None, submission: LeadInput, email_kind: EmailKind, rules: Rules
) -> Wanted | None:
    """What to look up for a submission the rules read as a sales lead (spam and support are
    never looked up); None without enrichment or with nothing to look up."""
    if enricher is None:
        return None
    domain = None
    if email_kind is EmailKind.WORK:  # free-mail and disposable domains are nobody's company
        domain = company_domain_key(
            submission.company.domain or submission.email.rpartition("@")[2]
        )
    has_title = bool(submission.job_title or submission.role)
    wanted = enricher.wanted(domain, submission.email, has_title, rules.rulebook.enrichment)
    if not wanted.keys():
        return None

    def sales() -> bool:
        verdict = classify(submission, email_kind, False, rules.rulebook.classification)
        return verdict.label is Label.SALES

    return replace(wanted, allowed=sales)


def sourced(
    submission: LeadInput, account: dict[str, Any], enrichment: Enrichment, rules: Rules
) -> Sourced:
    precedence = rules.rulebook.enrichment.precedence
    layers = [form_layer(submission), account_layer(account)]
    if not enrichment.providers:
        merged, sources = merge(submission, layers, precedence)
        return Sourced(merged.company, merged, sources, enrichment)
    scored, sources = merge(submission, [*layers, enrichment.layer()], precedence)
    if precedence[-1] != ENRICHMENT:  # a provider may hide the account's value: merge apart
        return Sourced(
            merge(submission, layers, precedence)[0].company, scored, sources, enrichment
        )
    company = scored.company  # the form's and the account's groups of it
    kept = {name: getattr(company, name) for key, names in COMPANY_GROUPS
            if sources.get(key) in (FORM, ACCOUNT) for name in names}  # fmt: skip
    remembered = company.model_copy(update={**dict.fromkeys(COMPANY_FIELDS), **kept})
    return Sourced(remembered, scored, sources, enrichment)
