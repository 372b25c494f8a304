"""Each provider's documented answer onto the form's fields (pure: one function per answer kind).

What the normaliser understands: ``employees`` (exact) or ``employees_range``, ``annual_revenue``
(exact) or ``revenue_range`` (estimated), ``industry`` (the industry text the scheduler's
industry criterion reads: industry, sector and tags joined), ``type``, ``founded_year``,
``country``, ``name``; for the person ``job_title``, ``role`` / ``sub_role`` (Clearbit's own
vocabulary, which the seeds use) and ``github``. A field the answer lacks is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Fields = dict[str, Any]


def _get(document: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(document, Mapping):
            return None
        document = document.get(key)
    return document


def _text(*parts: Any) -> str | None:
    """Industry-like strings and lists of them, joined with "; " (repeats dropped)."""
    seen: list[str] = []
    for part in parts:
        items: Iterable[Any] = part if isinstance(part, list) else [part]
        for item in items:
            if isinstance(item, str) and item.strip() and item.strip() not in seen:
                seen.append(item.strip())
    return "; ".join(seen) or None


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _fields(**values: Any) -> Fields:
    return {name: value for name, value in values.items() if value is not None}


# --- Clearbit (Enrichment API: Company, Person, Combined) ----------------------------------
def clearbit_company(company: Any) -> Fields | None:
    """``GET company.clearbit.com/v2/companies/find?domain=``, or ``company`` of the combined
    answer: ``name``, ``category {sector, industryGroup, industry, subIndustry}``, ``tags``,
    ``type``, ``foundedYear``, ``geo.countryCode``, ``metrics {employees, employeesRange,
    annualRevenue, estimatedAnnualRevenue}``."""
    if not isinstance(company, Mapping):
        return None
    category = company.get("category") or {}
    metrics = company.get("metrics") or {}
    return _fields(
        name=company.get("name"),
        employees=_number(_get(metrics, "employees")),
        employees_range=_get(metrics, "employeesRange"),
        annual_revenue=_number(_get(metrics, "annualRevenue")),
        revenue_range=_get(metrics, "estimatedAnnualRevenue"),
        industry=_text(
            _get(category, "industry"),
            _get(category, "subIndustry"),
            _get(category, "industryGroup"),
            _get(category, "sector"),
            company.get("tags"),
        ),
        type=company.get("type"),
        founded_year=_number(company.get("foundedYear")),
        country=_get(company, "geo", "countryCode") or _get(company, "geo", "country"),
    )


def clearbit_person(person: Any) -> Fields | None:
    """``person`` of ``GET person.clearbit.com/v2/combined/find?email=``: ``employment
    {title, role, subRole, seniority}``, ``github.handle``. Role and sub-role are Clearbit's
    vocabulary, the seeds' own: used as given."""
    if not isinstance(person, Mapping):
        return None
    employment = person.get("employment") or {}
    return _fields(
        job_title=_get(employment, "title"),
        role=_get(employment, "role"),
        sub_role=_get(employment, "subRole"),
        github=_get(person, "github", "handle"),
    )


# --- Apollo (People Enrichment, Organization Enrichment) -----------------------------------
# Apollo's departments that are the seeds' roles; others are left to the title.
_APOLLO_DEPARTMENTS = {
    "c_suite": "leadership",
    "engineering_technical": "engineering",
    "product_management": "product",
    "marketing": "marketing",
}


def apollo_organization(organization: Any) -> Fields | None:
    """``organization`` of ``GET /api/v1/organizations/enrich?domain=`` (or of a person match):
    ``name``, ``estimated_num_employees``, ``annual_revenue``, ``industry``, ``industries``,
    ``keywords``, ``founded_year``, ``country``, ``publicly_traded_symbol``."""
    if not isinstance(organization, Mapping):
        return None
    public = organization.get("publicly_traded_symbol")
    return _fields(
        name=organization.get("name"),
        employees=_number(organization.get("estimated_num_employees")),
        annual_revenue=_number(organization.get("annual_revenue")),
        industry=_text(
            organization.get("industry"),
            organization.get("industries"),
            organization.get("keywords"),
        ),
        type="public" if public else None,
        founded_year=_number(organization.get("founded_year")),
        country=organization.get("country"),
    )


def apollo_person(person: Any) -> Fields | None:
    """``person`` of ``POST /api/v1/people/match``: ``title``, ``departments``, ``github_url``."""
    if not isinstance(person, Mapping):
        return None
    departments = person.get("departments") or []
    role = next((_APOLLO_DEPARTMENTS[d] for d in departments if d in _APOLLO_DEPARTMENTS), None)
    github = person.get("github_url")
    handle = github.rstrip("/").rpartition("/")[2] if isinstance(github, str) else None
    return _fields(job_title=person.get("title"), role=role, github=handle or None)


# --- People Data Labs (Person Enrichment, Company Enrichment) -------------------------------
_PDL_ROLES = {"engineering": "engineering", "marketing": "marketing"}  # shared names only


def pdl_company(company: Any) -> Fields | None:
    """``GET /v5/company/enrich?website=``: ``name``, ``display_name``, ``size``,
    ``employee_count``, ``inferred_revenue``, ``industry``, ``tags``, ``type``, ``founded``,
    ``location.country``."""
    if not isinstance(company, Mapping):
        return None
    return _fields(
        name=company.get("display_name") or company.get("name"),
        employees=_number(company.get("employee_count")),
        employees_range=company.get("size"),
        revenue_range=company.get("inferred_revenue"),
        industry=_text(company.get("industry"), company.get("industry_v2"), company.get("tags")),
        type=company.get("type"),
        founded_year=_number(company.get("founded")),
        country=_get(company, "location", "country"),
    )


def pdl_person(answer: Any) -> tuple[Fields | None, Fields | None]:
    """``GET /v5/person/enrich?email=``: ``{"status": 200, "likelihood", "data": {...}}`` with
    ``job_title``, ``job_title_role``, ``github_username`` and the current employer's
    ``job_company_name``, ``job_company_size``, ``job_company_industry``,
    ``job_company_founded``, ``job_company_location_country``: (company, person)."""
    data = _get(answer, "data")
    if not isinstance(data, Mapping):
        return None, None
    founded = data.get("job_company_founded")
    year = int(founded[:4]) if isinstance(founded, str) and founded[:4].isdigit() else None
    company = _fields(
        name=data.get("job_company_name"),
        employees_range=data.get("job_company_size"),
        industry=_text(data.get("job_company_industry")),
        founded_year=_number(founded) or year,
        country=data.get("job_company_location_country"),
    )
    person = _fields(
        job_title=data.get("job_title"),
        role=_PDL_ROLES.get(str(data.get("job_title_role"))),
        github=data.get("github_username"),
    )
    return company or None, person
