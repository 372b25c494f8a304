"""Enrichment, the pure part: what a provider's answer means for a submission, which source wins
each value (the rulebook's ``[enrichment] precedence``: form > account > enrichment by default),
and where every score item's value came from.

Values travel as the form's own fields (``company.employees_range``, ``job_title``, ``role``...),
so the normaliser reads an enriched lead exactly as it reads a form: nothing downstream knows
enrichment exists. Fields go in *groups*: a source that gives one field of a group gives the
whole group (a form's ``employees`` is not mixed with a provider's ``employees_range``; a form's
job title is not overridden by a provider's role, which the normaliser would read first).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError

from leadops.models import CompanyInput, LeadInput

Submission = TypeVar("Submission", bound=LeadInput)

FORM = "form"
ACCOUNT = "account"
ENRICHMENT = "enrichment"  # in the rulebook's precedence: whichever provider answered

# (group key, its fields): the key names the group in ``sources``.
COMPANY_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("name", ("name",)),
    ("employees", ("employees", "employees_range")),
    ("annual_revenue", ("annual_revenue", "revenue_range")),
    ("industry", ("industry",)),
    ("type", ("type",)),
    ("founded_year", ("founded_year",)),
    ("country", ("country",)),
)
PERSON_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("job_title", ("job_title", "role", "sub_role")),
    ("github", ("github",)),
)
COMPANY_FIELDS = frozenset(f for _, group in COMPANY_GROUPS for f in group)
_NO_COMPANY: dict[str, Any] = dict.fromkeys(COMPANY_FIELDS)
PERSON_FIELDS = frozenset(f for _, group in PERSON_GROUPS for f in group)

# Which value group each score metric reads (the email's kind is always the form's).
METRIC_GROUPS = {
    "employees": "employees",
    "revenue": "annual_revenue",
    "role": "job_title",
    "sub_role": "job_title",
    "country": "country",
    "company_type": "type",
    "founded_year": "founded_year",
}


def person_key(email: str) -> str:
    """A person is cached by a hash of the address, never the address itself."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Found:
    """What providers said about a company (or a person): fields in the form's terms, and the
    provider each group came from. ``found`` False: every provider asked said "not found"."""

    fields: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    found: bool = True

    def as_doc(self) -> dict[str, Any]:
        return {"fields": self.fields, "sources": self.sources, "found": self.found}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Found:
        return cls(
            dict(doc.get("fields") or {}),
            dict(doc.get("sources") or {}),
            bool(doc.get("found", True)),
        )

    def missing(self, groups: Sequence[tuple[str, tuple[str, ...]]]) -> list[str]:
        return [key for key, _ in groups if key not in self.sources]

    def plus(
        self,
        provider: str,
        fields: Mapping[str, Any] | None,
        groups: Sequence[tuple[str, tuple[str, ...]]],
    ) -> Found:
        """This answer with ``provider``'s groups added where it has none yet (field by field:
        the first provider that answers a group wins it)."""
        if fields is None:
            return self
        merged, sources = dict(self.fields), dict(self.sources)
        for key, names in groups:
            given = {name: fields[name] for name in names if fields.get(name) is not None}
            if given and key not in sources:
                merged.update(given)
                sources[key] = provider
        return Found(merged, sources, True)


def clean_company(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A provider's company fields that the form's own validation accepts, one by one (a range
    the form would refuse, a founding year of 0, a 300-character industry: left out or cut)."""
    kept: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None or name not in COMPANY_FIELDS:
            continue
        if isinstance(value, str):
            value = value.strip()[:200]
            if not value:
                continue
        try:
            CompanyInput.model_validate({name: value})
        except ValidationError:
            continue
        kept[name] = value
    return kept


def clean_person(fields: Mapping[str, Any], sub_roles: Iterable[str]) -> dict[str, Any]:
    """A provider's person fields, strings bounded; a sub-role outside the rulebook's list
    (Clearbit's ``devops_engineer``) is ``other``: used as given, scored as the seed says."""
    kept = {
        name: str(value).strip()[:200]
        for name, value in fields.items()
        if name in PERSON_FIELDS and value is not None and str(value).strip()
    }
    if "sub_role" in kept and kept["sub_role"] not in set(sub_roles):
        kept["sub_role"] = "other"
    return kept


@dataclass(frozen=True, slots=True)
class Layer:
    """One source of values: ``form``, ``account`` or the enrichment, with each group's source."""

    kind: str
    company: Mapping[str, Any]
    person: Mapping[str, Any]
    sources: Mapping[str, str] = field(default_factory=dict)  # group key -> name shown

    def source(self, key: str) -> str:
        return self.sources.get(key, self.kind)


def merge(
    submission: Submission, layers: Sequence[Layer], precedence: Sequence[str]
) -> tuple[Submission, dict[str, str]]:
    """The submission with each group taken from the first layer (in ``precedence`` order)
    that gives any of its fields; the source of every group given (group key -> ``form``,
    ``account`` or the provider's name). Every layer's values are already valid form values
    (the form's validated, the account's validated when read, a provider's cleaned), so the
    merged company is built without validating again; the submission itself when every value
    is the form's."""
    ordered = sorted(layers, key=lambda layer: precedence.index(layer.kind))
    company: dict[str, Any] = {}
    person: dict[str, Any] = {}
    sources: dict[str, str] = {}
    _take(COMPANY_GROUPS, [layer.company for layer in ordered], ordered, company, sources)
    _take(PERSON_GROUPS, [layer.person for layer in ordered], ordered, person, sources)
    if all(source == FORM for source in sources.values()):
        return submission, sources
    merged_company = submission.company.model_copy(update={**_NO_COMPANY, **company})
    update: dict[str, Any] = {name: person.get(name) for name in PERSON_FIELDS}
    update["company"] = merged_company
    return submission.model_copy(update=update), sources


def _take(
    groups: Sequence[tuple[str, tuple[str, ...]]],
    parts: list[Mapping[str, Any]],
    layers: Sequence[Layer],
    target: dict[str, Any],
    sources: dict[str, str],
) -> None:
    pairs = list(zip(parts, layers, strict=True))
    for key, names in groups:
        for values, layer in pairs:
            if not values:
                continue
            hit = False
            for name in names:
                value = values.get(name)
                if value is not None:
                    target[name] = value
                    hit = True
            if hit:
                sources[key] = layer.source(key)
                break


def form_layer(submission: LeadInput) -> Layer:
    company = submission.company
    values = {name: getattr(company, name) for name in COMPANY_FIELDS}
    person = {name: getattr(submission, name) for name in PERSON_FIELDS}
    return Layer(FORM, {k: v for k, v in values.items() if v is not None}, person)


def account_layer(remembered: Mapping[str, Any]) -> Layer:
    """What the account's earlier forms said, validated as a form's fields (stored as text)."""
    if not remembered:
        return Layer(ACCOUNT, {}, {})
    known = {k: v for k, v in remembered.items() if k in COMPANY_FIELDS}
    return Layer(ACCOUNT, CompanyInput.model_validate(known).model_dump(exclude_none=True), {})


def split_stored(submission: Mapping[str, Any], sources: Mapping[str, str]) -> list[Layer]:
    """A stored (merged) submission back into its layers by the sources it was stored with:
    what the form and the account gave; enrichment values are looked up again."""
    company = submission.get("company") or {}
    layers = []
    for kind in (FORM, ACCOUNT):
        keys = {key for key, source in sources.items() if source == kind}
        if kind == FORM:  # a stored lead from before provenance: everything was the form's
            keys |= {key for key, _ in (*COMPANY_GROUPS, *PERSON_GROUPS) if key not in sources}
        layers.append(
            Layer(
                kind, _pick(company, COMPANY_GROUPS, keys), _pick(submission, PERSON_GROUPS, keys)
            )
        )
    return layers


def _pick(
    values: Mapping[str, Any], groups: Sequence[tuple[str, tuple[str, ...]]], keys: set[str]
) -> dict[str, Any]:
    return {
        name: values[name]
        for key, names in groups
        if key in keys
        for name in names
        if values.get(name) is not None
    }


def with_sources(scores: dict[str, Any], sources: Mapping[str, str]) -> dict[str, Any]:
    """Both breakdowns (``LeadScores.as_dict()``) with ``source`` on every item: where the value
    it scored came from; None for a value nobody gave ("unknown")."""
    for card in ("lead_score", "icp_score"):
        for item in scores[card]["items"]:
            metric = item["metric"]
            if metric == "email":
                item["source"] = FORM
            elif item["value"] == "unknown":
                item["source"] = None
            else:
                item["source"] = sources.get(METRIC_GROUPS.get(metric, ""), FORM)
    return scores


def account_values(snapshot: Mapping[str, Any], profile: Mapping[str, Any]) -> dict[str, Any]:
    """The account's values: its imported snapshot's, group by group, else what its earlier
    forms said (its profile)."""
    if not snapshot:
        return dict(profile)
    values: dict[str, Any] = {}
    for _, names in COMPANY_GROUPS:
        source = snapshot if any(snapshot.get(name) is not None for name in names) else profile
        values.update({name: source[name] for name in names if source.get(name) is not None})
    return values
