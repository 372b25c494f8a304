"""Normalisation of raw form input: countries, roles, ranges, email domains, company types."""

import pytest

from leadops.models import LeadInput
from leadops.normalise import EmailKind, Normaliser
from leadops.ranges import parse_employee_range, parse_range, parse_revenue_range


@pytest.fixture(scope="module")
def normaliser(rulebook) -> Normaliser:  # type: ignore[no-untyped-def]
    return Normaliser(rulebook)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("GB", "GB"),
        ("gb", "GB"),
        ("GBR", "GB"),
        ("England", "GB"),
        ("USA", "US"),
        ("US", "US"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("  germany ", "DE"),
        ("Deutschland", "DE"),
        ("South Korea", "KR"),
        ("Korea, Republic of", "KR"),
        ("Czechia", "CZ"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Guernsey", "GG"),
        ("Georgia", "GE"),
    ],
)
def test_countries_resolve_to_iso_alpha_2(normaliser: Normaliser, text: str, code: str) -> None:
    assert normaliser.country(text) == code


@pytest.mark.parametrize("text", ["Atlantis", "XX", "", None])
def test_unknown_countries_are_none(normaliser: Normaliser, text: str | None) -> None:
    assert normaliser.country(text) is None


@pytest.mark.parametrize(
    ("role", "job_title", "expected_role", "expected_sub_role"),
    [
        (None, "Software Engineer", "engineering", "software_engineer"),
        (None, "Senior Backend Developer", "engineering", "software_engineer"),
        (None, "Frontend Engineer", "engineering", "web_engineer"),
        (None, "Web Developer", "engineering", "web_engineer"),
        (None, "Data Scientist", "engineering", "data_science_engineer"),
        (None, "Project Engineer", "engineering", "project_engineer"),
        (None, "CEO", "leadership", "founder_ceo"),
        (None, "Founder", "leadership", "founder_ceo"),
        (None, "Co-Founder & CTO", "leadership", "founder_ceo"),
        (None, "VP of Engineering", "leadership", "other"),
        (None, "Head of Product", "leadership", "other"),
        (None, "Product Manager", "product", "other"),
        (None, "Growth Marketing Lead", "marketing", "other"),
        (None, "Account Executive", "other", "other"),
        (None, None, None, None),
        ("leadership/founder", None, "leadership", None),
        ("Engineering", "CEO", "engineering", "founder_ceo"),
        ("product", "Designer", "product", "other"),
    ],
)
def test_roles_and_sub_roles_map_to_seed_identifiers(
    normaliser: Normaliser,
    role: str | None,
    job_title: str | None,
    expected_role: str | None,
    expected_sub_role: str | None,
) -> None:
    lead = normaliser.lead(LeadInput(email="a@acme.io", role=role, job_title=job_title))
    assert (lead.role, lead.sub_role) == (expected_role, expected_sub_role)


@pytest.mark.parametrize(
    ("sub_role", "expected"),
    [("founder/ceo", "founder_ceo"), ("software_engineer", "software_engineer"), ("x", "other")],
)
def test_explicit_sub_role_wins_over_job_title(
    normaliser: Normaliser, sub_role: str, expected: str
) -> None:
    lead = normaliser.lead(LeadInput(email="a@acme.io", sub_role=sub_role, job_title="Designer"))
    assert lead.sub_role == expected


@pytest.mark.parametrize(
    ("domain", "kind"),
    [
        ("acme.io", EmailKind.WORK),
        ("gmail.com", EmailKind.FREE_MAIL),
        ("outlook.com", EmailKind.FREE_MAIL),
        ("yahoo.co.uk", EmailKind.FREE_MAIL),
        ("mailinator.com", EmailKind.DISPOSABLE),
        ("inbox.mailinator.com", EmailKind.DISPOSABLE),
        ("10minutemail.com", EmailKind.DISPOSABLE),
        ("GMAIL.COM", EmailKind.FREE_MAIL),
    ],
)
def test_email_domains_are_work_free_mail_or_disposable(
    normaliser: Normaliser, domain: str, kind: EmailKind
) -> None:
    assert normaliser.email_kind(domain) == kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("51-250", (51, 250)),
        ("1-10", (1, 10)),
        ("1K-5K", (1000, 5000)),
        ("10,000+", (10000, None)),
        ("1000+", (1000, None)),
        ("$10M-$50M", (10e6, 50e6)),
        ("$0-$1M", (0, 1e6)),
        ("10-50M", (10e6, 50e6)),
        ("251-1K", (251, 1000)),
        ("$500K-1M", (500e3, 1e6)),
        ("$1B+", (1e9, None)),
        ("USD 10M - 50M", (10e6, 50e6)),
        ("250 to 1000", (250, 1000)),
        ("150", (150, 150)),
    ],
)
def test_ranges_parse(text: str, expected: tuple[float, float | None]) -> None:
    assert parse_range(text) == expected


@pytest.mark.parametrize("text", ["abc", "50-10", "1.000.000", "", "-5", "$-1M"])
def test_unreadable_ranges_raise(text: str) -> None:
    with pytest.raises(ValueError, match="range"):
        parse_range(text)


@pytest.mark.parametrize(
    ("text", "employees"), [("51-250", 150), ("1000+", 1001), ("1-10", 5), ("1K-5K", 3000)]
)
def test_employee_ranges_score_at_their_midpoint(text: str, employees: int) -> None:
    assert parse_employee_range(text) == employees


def test_a_closed_revenue_range_lands_inside_its_band_not_on_its_edge() -> None:
    assert parse_revenue_range("$50M-$100M") == 75e6
    assert parse_revenue_range("$100M+") > 100e6


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Private", "private"),
        ("Privately Held", "private"),
        ("Public Company", "public"),
        ("Non-Profit", "nonprofit"),
        ("Cooperative", "cooperative"),
    ],
)
def test_company_types(normaliser: Normaliser, text: str, kind: str) -> None:
    assert normaliser.company_type(text) == kind


def test_a_full_form_body_normalises(normaliser: Normaliser) -> None:
    lead = normaliser.lead(
        LeadInput.model_validate(
            {
                "email": "Ada@Gmail.com",
                "job_title": "Product Manager",
                "github": "ada",
                "company": {
                    "employees_range": "51-250",
                    "revenue_range": "$10M-$50M",
                    "type": "Private",
                    "founded_year": 2018,
                    "country": "UK",
                },
            }
        )
    )
    assert (lead.employees, lead.annual_revenue, lead.country) == (150, 30e6, "GB")
    assert (lead.role, lead.has_github, lead.company_type) == ("product", True, "private")
    assert (lead.email_kind, lead.email_domain) == (EmailKind.FREE_MAIL, "gmail.com")


def test_an_exact_employee_count_wins_over_a_range(normaliser: Normaliser) -> None:
    lead = normaliser.lead(
        LeadInput.model_validate(
            {"email": "a@acme.io", "company": {"employees": 12, "employees_range": "1K-5K"}}
        )
    )
    assert lead.employees == 12
