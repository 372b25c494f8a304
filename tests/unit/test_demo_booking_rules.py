"""The pure demo-booking decisions (seed 001 "Demo booking"): classification, the 2-of-3 check,
the lockout, the account key, weighted round robin and webhook signatures."""

from datetime import UTC, datetime, timedelta

import pytest

from leadops.assignment import Rep, RepRole, pick
from leadops.classification import Label, classify
from leadops.http.signature import SignatureError, parse, secrets_from, sign, verify
from leadops.models import LeadInput
from leadops.normalise import EmailKind, NormalisedLead
from leadops.qualification import account_key, check_scheduler, criteria_met
from leadops.rulebook import Rulebook

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _lead(message: str | None = "Please show us the product", **fields: object) -> LeadInput:
    return LeadInput.model_validate({"email": "a@acme.io", "message": message, **fields})


# --- classification -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lead", "kind", "customer", "label"),
    [
        (_lead(), EmailKind.WORK, False, Label.SALES),
        (_lead(honeypot="x"), EmailKind.WORK, False, Label.SPAM),
        (_lead(), EmailKind.DISPOSABLE, False, Label.SPAM),
        (_lead("Cheap SEO services for you"), EmailKind.WORK, False, Label.SPAM),
        (_lead("see http://a http://b http://c http://d"), EmailKind.WORK, False, Label.SPAM),
        (_lead("see http://a http://b http://c"), EmailKind.WORK, False, Label.SALES),
        (_lead(None), EmailKind.WORK, False, Label.SALES),  # empty alone is not spam
        (_lead(""), EmailKind.FREE_MAIL, False, Label.SALES),
        (_lead("I can't log in, I get an error"), EmailKind.WORK, False, Label.SUPPORT),
        (_lead("Question about billing"), EmailKind.WORK, False, Label.SALES),
        (_lead("Question about billing"), EmailKind.WORK, True, Label.SUPPORT),
        (_lead("Refund the invoice please"), EmailKind.WORK, False, Label.SUPPORT),
        # Issue 16: one clear support request is enough when nothing in it is about buying.
        (_lead("We can't log in to our account"), EmailKind.WORK, False, Label.SUPPORT),
        (_lead("Cannot login since this morning"), EmailKind.FREE_MAIL, False, Label.SUPPORT),
        (_lead("Our dashboard stopped working"), EmailKind.WORK, False, Label.SUPPORT),
        (_lead("How do I reset my password?"), EmailKind.WORK, False, Label.SUPPORT),
        (
            _lead("We can't log in to the trial; what is your pricing?"),
            EmailKind.WORK,
            False,
            Label.SALES,
        ),
        (
            _lead("Our current tool is not working for us, can we book a demo?"),
            EmailKind.WORK,
            False,
            Label.SALES,
        ),
    ],
)
def test_classification(
    rulebook: Rulebook, lead: LeadInput, kind: EmailKind, customer: bool, label: Label
) -> None:
    verdict = classify(lead, kind, customer, rulebook.classification)
    assert verdict.label is label
    assert verdict.reasons


# --- 2 of 3 -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("revenue", "role", "industry", "met"),
    [
        (1_000_000, "engineering", "Computer Software", ["revenue", "title", "industry"]),
        (999_999, "leadership", "Fintech", ["title", "industry"]),
        (5e6, "marketing", "Construction", ["revenue"]),
        (None, "product", None, ["title"]),
        (None, None, "Internet", ["industry"]),
        (None, "other", "Software Development", ["industry"]),
    ],
)
def test_criteria(
    rulebook: Rulebook,
    revenue: float | None,
    role: str | None,
    industry: str | None,
    met: list[str],
) -> None:
    lead = NormalisedLead(annual_revenue=revenue, role=role)
    assert criteria_met(lead, industry, rulebook.demo_booking) == met


@pytest.mark.parametrize(
    ("score", "locked_until", "eligible"),
    [
        (20, None, True),
        (19, None, False),
        (70, NOW + timedelta(days=1), False),
        (70, NOW - timedelta(seconds=1), True),  # expired: TTL may lag, the read checks
    ],
)
def test_scheduler_needs_score_20_criteria_and_no_lockout(
    rulebook: Rulebook, score: int, locked_until: datetime | None, eligible: bool
) -> None:
    lead = NormalisedLead(annual_revenue=2e6, role="engineering")
    check = check_scheduler(lead, "SaaS", score, locked_until, NOW, rulebook.demo_booking)
    assert check.eligible is eligible
    assert (check.locked_out_until is not None) == (locked_until is not None and locked_until > NOW)


# The 2-of-3 rule at its boundary: everything else favourable (score 70, no lockout), exactly one
# criterion is not enough and exactly two are.
@pytest.mark.parametrize(
    ("revenue", "role", "industry", "met", "eligible"),
    [
        (None, None, None, (), False),
        (5e6, "marketing", "Construction", ("revenue",), False),
        (None, "engineering", "Construction", ("title",), False),
        (None, "marketing", "SaaS", ("industry",), False),
        (5e6, "engineering", "Construction", ("revenue", "title"), True),
        (None, "engineering", "SaaS", ("title", "industry"), True),
        (5e6, "marketing", "SaaS", ("revenue", "industry"), True),
    ],
)
def test_scheduler_needs_two_of_the_three_criteria(
    rulebook: Rulebook,
    revenue: float | None,
    role: str | None,
    industry: str | None,
    met: tuple[str, ...],
    eligible: bool,
) -> None:
    lead = NormalisedLead(annual_revenue=revenue, role=role)
    check = check_scheduler(lead, industry, 70, None, NOW, rulebook.demo_booking)
    assert (check.criteria_met, check.eligible) == (met, eligible)


@pytest.mark.parametrize(
    ("email", "kind", "domain", "key"),
    [
        ("ada@acme.io", EmailKind.WORK, None, "acme.io"),
        ("ada@eu.acme.io", EmailKind.WORK, "www.Acme.io", "acme.io"),
        ("ada@gmail.com", EmailKind.FREE_MAIL, None, "ada@gmail.com"),
        ("Ada@Gmail.com", EmailKind.FREE_MAIL, "acme.io", "ada@gmail.com"),
        ("x@mailinator.com", EmailKind.DISPOSABLE, None, "x@mailinator.com"),
    ],
)
def test_account_key(email: str, kind: EmailKind, domain: str | None, key: str) -> None:
    assert account_key(email, kind, domain) == key


# --- weighted round robin -----------------------------------------------------------------------
def _rep(rep_id: str, weight: int = 1, active: bool = True) -> Rep:
    return Rep(
        rep_id=rep_id,
        name=rep_id,
        email=f"{rep_id}@s.io",
        role=RepRole.TAE,
        team="nb",
        territory="EMEA",
        weight=weight,
        active=active,
    )


def test_each_cycle_gives_every_rep_its_weight_spread_out() -> None:
    reps = [_rep("a"), _rep("b"), _rep("c", weight=2), _rep("off", weight=9, active=False)]
    owners = [pick(reps, position).rep_id for position in range(400)]  # type: ignore[union-attr]
    assert {rep: owners.count(rep) for rep in set(owners)} == {"a": 100, "b": 100, "c": 200}
    assert owners[:4].count("c") == 2  # spread out: c twice in every cycle of four
    assert owners[0] != owners[1]


def test_no_active_rep_means_no_owner() -> None:
    assert pick([_rep("a", active=False)], 0) is None
    assert pick([], 3) is None


# --- signatures ---------------------------------------------------------------------------------
def test_a_signature_verifies_and_any_change_breaks_it() -> None:
    header = sign(b"{}", "s3cret", 1_000)
    verify(header, b"{}", ["s3cret"], now=1_100)
    for body, secrets, now in [(b"{ }", ["s3cret"], 1_100), (b"{}", ["other"], 1_100),
                               (b"{}", ["s3cret"], 1_301), (b"{}", ["s3cret"], 699)]:  # fmt: skip
        with pytest.raises(SignatureError):
            verify(header, body, secrets, now=now)


@pytest.mark.parametrize("header", ["", "t=1", "v1=ab", "t=x,v1=ab", "t=1;v1=ab"])
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(SignatureError):
        verify(header, b"{}", ["s"], now=1)


def test_several_signatures_and_several_secrets_rotate() -> None:
    assert parse("t=5,v1=AB,v1=cd") == (5, ["ab", "cd"])
    assert secrets_from("old\nnew") == ["old", "new"] == secrets_from(" old , new ")
    header = sign(b"x", "new", 10)
    verify(header, b"x", secrets_from("old\nnew"), now=10)
