"""Enrichment providers (Clearbit, Apollo, People Data Labs), built from a stack's settings: its
provider order, the keys in one Secrets Manager secret (``{"clearbit": "...", "apollo": "...",
"pdl": "..."}``, read on the first lookup and cached, never logged), a per-call timeout."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from leadops.adapters import aws
from leadops.ports import EnrichmentUnavailable

if TYPE_CHECKING:
    from leadops.ports import EnrichmentProvider
    from leadops.services.enrichment import Enricher
    from leadops.settings import EnrichmentVariables

# name -> (module, class). Loaded only when a stack names the provider: a stack without
# enrichment (the default) never imports the providers, their HTTP client or the enricher.
PROVIDERS: dict[str, tuple[str, str]] = {
    "clearbit": ("leadops.adapters.enrichment.clearbit", "Clearbit"),
    "apollo": ("leadops.adapters.enrichment.apollo", "Apollo"),
    "pdl": ("leadops.adapters.enrichment.pdl", "PeopleDataLabs"),
}
ProviderClass = Callable[[Callable[[], str], float, int, str | None], "EnrichmentProvider"]


def provider_class(name: str) -> ProviderClass:
    module, attribute = PROVIDERS[name]
    found: ProviderClass = getattr(importlib.import_module(module), attribute)
    return found


def provider_names(order: str | None) -> list[str]:
    """``"clearbit, pdl"`` -> ``["clearbit", "pdl"]``; an unknown name is a ValueError."""
    names = [name.strip().lower() for name in (order or "").split(",") if name.strip()]
    unknown = [name for name in names if name not in PROVIDERS]
    if unknown:
        raise ValueError(f"unknown enrichment provider(s) {unknown}; known: {sorted(PROVIDERS)}")
    return names


def build_providers(
    order: str | None,
    keys_secret_arn: str | None,
    timeout_s: float,
    retries: int,
    base: str | None = None,
) -> list[EnrichmentProvider]:
    return [
        provider_class(name)(_key(keys_secret_arn, name), timeout_s, retries, base)
        for name in provider_names(order)
    ]


def _key(arn: str | None, name: str) -> Callable[[], str]:
    def read() -> str:
        try:
            keys = aws.secret(arn, max_age=300, transform="json") if arn else {}
        except Exception:  # unreadable: this lookup fails (retried later), not the submission
            raise EnrichmentUnavailable("the enrichment secret could not be read") from None
        key = keys.get(name) if isinstance(keys, dict) else None
        if not key:
            raise EnrichmentUnavailable(f"no API key for {name} in the enrichment secret")
        return str(key)

    return read


def build_enricher(
    settings: EnrichmentVariables, leads_table: str | None, deadline_ms: int, retries: int
) -> Enricher | None:
    """The stack's enricher (its providers, the budget counted in the leads table), or None
    when the stack names no provider."""
    if not settings.enrichment_providers or not leads_table:
        return None
    from leadops.adapters.leads_table.enrichment import EnrichmentItems
    from leadops.services.enrichment import Enricher

    providers = build_providers(
        settings.enrichment_providers,
        settings.enrichment_keys_secret_arn,
        settings.enrichment_timeout_ms / 1000,
        retries,
        settings.enrichment_base_url,
    )
    return Enricher(
        providers=providers,
        budget=EnrichmentItems(leads_table),
        monthly_limit=settings.enrichment_monthly_budget,
        deadline_s=deadline_ms / 1000,
        wall_clock=lambda: datetime.now(UTC),
    )
