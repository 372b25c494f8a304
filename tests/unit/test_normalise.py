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
        # issue 16, item 5: other spellings and the countries' own names
        ("Ivory Coast", "CI"),
        ("Côte d'Ivoire", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("Macedonia", "MK"),
        ("North Macedonia", "MK"),
        ("Österreich", "AT"),
        ("osterreich", "AT"),
        ("Nederland", "NL"),
        ("Schweiz", "CH"),
        ("Sverige", "SE"),
        ("España", "ES"),
        ("Brasil", "BR"),
        ("Allemagne", "DE"),
        ("Estados Unidos", "US"),
        ("Royaume-Uni", "GB"),
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
        (None, "VP of Engineering", "engineering", "other"),  # function first (issue 16)
        (None, "Head of Product", "product", "other"),  # function first (issue 16)
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


# Issue 16, items 2 and 3: titles read function first, accents folded, joined words split, and a
# sub-role only from its whole phrase. (job title, role, sub-role)
TITLES = [
    # joined words and accents
    ("Founder&CEO", "leadership", "founder_ceo"),
    ("Data-Scientist", "engineering", "data_science_engineer"),
    ("Président", "leadership", "other"),
    ("Directeur Technique", "leadership", "other"),
    ("Geschäftsführer", "leadership", "other"),
    ("Développeur Web", "engineering", "web_engineer"),
    ("GESCHÄFTSFÜHRERIN", "leadership", "other"),
    ("Co-Fondateur / CTO", "leadership", "founder_ceo"),
    ("Fundador y CEO", "leadership", "founder_ceo"),
    ("Sócio Fundador", "leadership", "founder_ceo"),
    ("Gründer, Geschäftsführer", "leadership", "founder_ceo"),
    ("Ingénieur Logiciel", "engineering", "software_engineer"),
    ("Softwareentwickler", "engineering", "software_engineer"),
    ("Ingeniero de Datos", "engineering", "data_science_engineer"),
    ("Desenvolvedor Web", "engineering", "web_engineer"),
    ("Desarrollador Backend", "engineering", "software_engineer"),
    ("Chef de Produit", "product", "other"),
    ("Gerente de Producto", "product", "other"),
    ("Directeur Marketing", "marketing", "other"),
    ("Diretor de Marketing", "marketing", "other"),
    ("Directeur Général", "leadership", "other"),
    ("PDG", "leadership", "founder_ceo"),
    # function first: a function's title is that function whatever its seniority
    ("Web Marketing Manager", "marketing", "other"),
    ("Web Designer", "product", "other"),
    ("Mobile Marketing Manager", "marketing", "other"),
    ("CMO", "marketing", "other"),
    ("Chief Marketing Officer", "marketing", "other"),
    ("Marketing Director", "marketing", "other"),
    ("VP Marketing", "marketing", "other"),
    ("Head of Product", "product", "other"),
    ("Product Owner", "product", "other"),
    ("Chief Product Officer", "product", "other"),
    ("Director of Engineering", "engineering", "other"),
    ("Head of Data", "engineering", "other"),
    # leadership: general management and the technical C-level
    ("CTO", "leadership", "other"),
    ("Chief Technology Officer", "leadership", "other"),
    ("COO", "leadership", "other"),
    ("Managing Director", "leadership", "other"),
    ("General Manager", "leadership", "other"),
    ("Owner", "leadership", "other"),
    ("President", "leadership", "other"),
    ("Chief Executive Officer", "leadership", "founder_ceo"),
    # an assistant to someone is not that someone
    ("Assistant to the CEO", "other", "other"),
    ("Executive Assistant to the Founder", "other", "other"),
    ("Assistante de Direction", "other", "other"),
    # sub-roles need their whole phrase
    ("Web Developer", "engineering", "web_engineer"),
    ("Front-End Developer", "engineering", "web_engineer"),
    ("iOS Developer", "engineering", "software_engineer"),
    ("Mobile Engineer", "engineering", "software_engineer"),
    # short keywords never match inside longer words ("ui" in Recruiter, "dev" in Development,
    # "cto" in Director, "coo" in Coordinator, "pm" in Shipment, "ml" in HTML)
    ("Recruiter", "other", "other"),
    ("Sales Development Representative", "other", "other"),
    ("Sales Director", "other", "other"),
    ("Event Coordinator", "other", "other"),
    ("Shipment Planner", "other", "other"),
    ("HTML Wizard", "other", "other"),
]


@pytest.mark.parametrize(("job_title", "role", "sub_role"), TITLES)
def test_job_titles_read_function_first(
    normaliser: Normaliser, job_title: str, role: str, sub_role: str
) -> None:
    lead = normaliser.lead(LeadInput(email="a@acme.io", job_title=job_title))
    assert (lead.role, lead.sub_role) == (role, sub_role)


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
        # issue 16, item 5: personal mailboxes the maintained list misses, and Apple's relay
        ("tutanota.com", EmailKind.FREE_MAIL),
        ("tuta.io", EmailKind.FREE_MAIL),
        ("hey.com", EmailKind.FREE_MAIL),
        ("privaterelay.appleid.com", EmailKind.FREE_MAIL),
        ("zohomail.eu", EmailKind.FREE_MAIL),
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
    ("text", "employees"), [("51-250", 150), ("1000+", 1000), ("1-10", 5), ("1K-5K", 3000)]
)
def test_employee_ranges_score_at_their_midpoint_open_ones_at_their_start(
    text: str, employees: int
) -> None:
    assert parse_employee_range(text) == employees


def test_a_closed_revenue_range_lands_inside_its_band_not_on_its_edge() -> None:
    assert parse_revenue_range("$50M-$100M") == 75e6
    assert parse_revenue_range("$100M+") == 100e6  # "N+" is N or more: the band starting at N


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Private", "private"),
        ("Privately Held", "private"),
        ("privately-held", "private"),  # issue 16, item 5
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
