"""The compiled rules: a rulebook and what is built from it (the scorer), once per version per
container. Pure: where a rulebook comes from (packaged, or an override in the rulebook table) is
the live rulebook's business (``leadops.services.live_rulebook``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadops.rulebook import Rulebook, load_rulebook
from leadops.scoring import Scorer


@dataclass(frozen=True, slots=True)
class StoredRulebook:
    """A rulebook version as the rulebook table keeps it (the live override is one)."""

    version: str
    document: dict[str, Any]
    stored_at: str | None
    activated_at: str | None = None
    previous_version: str | None = None


@dataclass(frozen=True, slots=True)
class Rules:
    """A rulebook and what is built from it (once per version per container)."""

    rulebook: Rulebook
    scorer: Scorer
    source: str  # "packaged" | "override"
    activated_at: str | None = None

    @property
    def version(self) -> str:
        return self.rulebook.version

    @classmethod
    def of(cls, rulebook: Rulebook, source: str, activated_at: str | None = None) -> Rules:
        return cls(rulebook, Scorer(rulebook), source, activated_at)


_BUILT: dict[tuple[str, str], Rules] = {}


def packaged_rules() -> Rules:
    return _built(load_rulebook(), "packaged", None)


def override_rules(document: dict[str, Any], activated_at: str | None) -> Rules:
    """Rules from a stored override document (raises pydantic.ValidationError if it no longer
    fits the rulebook model)."""
    return _built(Rulebook.model_validate(document), "override", activated_at)


def _built(rulebook: Rulebook, source: str, activated_at: str | None) -> Rules:
    key = (rulebook.version, source)
    rules = _BUILT.get(key)
    if rules is None or rules.rulebook != rulebook or rules.activated_at != activated_at:
        rules = Rules.of(rulebook, source, activated_at)
        _BUILT[key] = rules
    return rules
