"""Pure parts of operating the rules: the rule that decided a lead, conversion per group, the
dry-run tally (and its JSON round trip), the live rulebook's cache, stable digests."""

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from leadops.backtest import Tally, changed_items
from leadops.classification import Label
from leadops.lead_decision import decision_rule, outcome_of
from leadops.ports import StoredRulebook
from leadops.qualification import Outcome, SchedulerCheck
from leadops.reports import GroupBy, conversion
from leadops.rulebook import Rulebook
from leadops.services.live_rulebook import LiveRulebook

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def check(
    criteria: tuple[str, ...], locked: bool = False, eligible: bool = False
) -> SchedulerCheck:
    return SchedulerCheck(eligible, criteria, NOW if locked else None, ())


@pytest.mark.parametrize(
    ("label", "scheduler", "score", "has_rep", "rule"),
    [
        (Label.SPAM, None, 50, True, "spam"),
        (Label.SUPPORT, None, 50, True, "support"),
        (
            Label.SALES,
            check(("revenue", "title"), eligible=True),
            20,
            True,
            "instant:revenue+title",
        ),
        (Label.SALES, check(("revenue", "title"), locked=True), 50, True, "manual:locked_out"),
        (Label.SALES, check(("revenue",)), 50, True, "manual:criteria"),
        (Label.SALES, check(("revenue", "industry")), 19, True, "manual:lead_score"),
        (Label.SALES, check(("revenue", "industry"), eligible=True), 30, False, "manual:no_rep"),
    ],
)
def test_the_rule_that_decided_a_lead(
    rulebook: Rulebook,
    label: Label,
    scheduler: SchedulerCheck | None,
    score: int,
    has_rep: bool,
    rule: str,
) -> None:
    assert decision_rule(label, scheduler, score, has_rep, rulebook.demo_booking) == rule


@pytest.mark.parametrize(
    ("label", "eligible", "has_rep", "outcome"),
    [
        (Label.SPAM, False, True, Outcome.DROPPED_SPAM),
        (Label.SUPPORT, False, True, Outcome.SUPPORT_TICKET),
        (Label.SALES, True, True, Outcome.INSTANT_SCHEDULER),
        (Label.SALES, True, False, Outcome.MANUAL_REVIEW),
        (Label.SALES, False, True, Outcome.MANUAL_REVIEW),
    ],
)
def test_outcome(label: Label, eligible: bool, has_rep: bool, outcome: Outcome) -> None:
    scheduler = check(("revenue", "title"), eligible=eligible) if label is Label.SALES else None
    assert outcome_of(label, scheduler, has_rep) is outcome


def lead(rule: str, deal: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"classification": "sales", "outcome": "instant_scheduler", "rule": rule,
            "icp_tier": "high", "owner_id": "r1", "deal_outcome": deal, **fields}  # fmt: skip


def test_conversion_per_rule_against_the_target() -> None:
    items = [
        *(lead("instant:revenue+title", "won") for _ in range(3)),
        *(lead("instant:revenue+title", "lost") for _ in range(2)),
        *(lead("instant:revenue+title") for _ in range(5)),  # open: 3 of 10 won -> 30 %
        lead("manual:lead_score", "lost", outcome="manual_review"),
        lead("manual:lead_score", "won", outcome="manual_review"),
        *(lead("manual:lead_score", outcome="manual_review") for _ in range(3)),  # 1/5 = 20 %
        lead("manual:criteria", outcome="manual_review"),  # no outcome yet: unknown
        {"classification": "spam", "outcome": "dropped_spam", "rule": "spam"},  # not a lead
    ]
    report = conversion(items, GroupBy.RULE, 0.2)
    rows = {row["group"]: row for row in report["groups"]}
    assert list(rows) == ["instant:revenue+title", "manual:lead_score", "manual:criteria"]
    best = rows["instant:revenue+title"]
    assert (best["leads"], best["booked"], best["won"], best["lost"], best["open"]) == (
        10,
        10,
        3,
        2,
        5,
    )
    assert (best["conversion_rate"], best["vs_target"]) == (0.3, "above")
    assert (
        rows["manual:lead_score"]["conversion_rate"],
        rows["manual:lead_score"]["vs_target"],
    ) == (0.2, "at")
    assert rows["manual:lead_score"]["booked"] == 0
    assert rows["manual:criteria"]["vs_target"] == "unknown"
    assert report["total"]["leads"] == 16
    assert report["total"]["won"] == 4


def test_conversion_by_owner_names_unassigned_leads() -> None:
    report = conversion([lead("x", owner_id=None), lead("x", "won")], GroupBy.OWNER, 0.2)
    assert {row["group"] for row in report["groups"]} == {"unassigned", "r1"}


def _decision(outcome: str, classification: str = "sales") -> dict[str, Any]:
    return {"classification": classification, "outcome": outcome, "rule": outcome,
            "scheduler_eligible": outcome == "instant_scheduler", "lead_score": 30,
            "icp_tier": "high"}  # fmt: skip


def test_a_tally_counts_changes_keeps_few_examples_and_survives_json() -> None:
    tally = Tally(examples_wanted=1)
    tally.add_lead("l1", (_decision("instant_scheduler"), _decision("manual_review")), "won")
    tally.add_lead("l2", (_decision("instant_scheduler"), _decision("manual_review")), None)
    tally.add_lead("l3", (_decision("manual_review"), _decision("manual_review")), "lost")
    tally.add_lead("l4", None, None)  # stored before dry runs: skipped, counted
    tally = Tally.from_json(tally.to_json())
    tally.add_account("a1", ({"team": "bdr", "rule": "BDR-1"}, {"team": None, "rule": None}))
    result = tally.result(0.2)
    leads = result["leads"]
    assert (leads["evaluated"], leads["skipped"]) == (3, 1)
    assert leads["changed"] == {"classification": 0, "outcome": 2, "scheduler_eligible": 2,
                                "rule": 2, "any": 2}  # fmt: skip
    assert [example["lead_id"] for example in leads["examples"]] == ["l1"]
    current, candidate = leads["conversion"]["current"], leads["conversion"]["candidate"]
    assert (current["booked"], current["won"], current["conversion_rate"]) == (2, 1, 0.3333)
    assert (candidate["booked"], candidate["won"]) == (0, 1)
    assert result["accounts"]["changed"] == {"team": 1, "rule": 1, "any": 1}


def test_a_tally_asks_for_score_items_only_for_the_examples_it_keeps() -> None:
    asked: list[str] = []

    def items(lead_id: str) -> Any:
        return lambda: asked.append(lead_id) or [{"metric": "employees", "source": "clearbit"}]

    tally = Tally(examples_wanted=1)
    flip = (_decision("instant_scheduler"), _decision("manual_review"))
    tally.add_lead("l1", flip, None, items("l1"))
    tally.add_lead("l2", flip, None, items("l2"))  # over the examples wanted
    same = (_decision("manual_review"), _decision("manual_review"))
    tally.add_lead("l3", same, None, items("l3"))
    assert asked == ["l1"]
    (example,) = Tally.from_json(tally.to_json()).result(0.2)["leads"]["examples"]
    assert example["score_items"] == [{"metric": "employees", "source": "clearbit"}]


def _card(*items: tuple[str, str | None, int]) -> dict[str, Any]:
    return {"items": [{"metric": metric, "value": 1, "band": band, "points": points,
                       "source": "account"} for metric, band, points in items]}  # fmt: skip


def test_changed_items_list_what_differs_including_a_metric_one_side_lacks() -> None:
    before = {"lead_score": _card(("employees", "11-1000", 10), ("country", "EU", 10)),
              "icp_score": _card(("email", "work", 5))}  # fmt: skip
    after = {"lead_score": _card(("employees", "11-1000", 10)),
             "icp_score": _card(("email", "work", 8))}  # fmt: skip
    assert changed_items(before, after) == [
        {"score": "lead_score", "metric": "country", "value": 1, "source": "account",
         "before": 10, "after": None},
        {"score": "icp_score", "metric": "email", "value": 1, "source": "account",
         "before": 5, "after": 8},
    ]  # fmt: skip


class Table:
    """A rulebook table stand-in: ``stored`` is the active override; ``down`` fails reads."""

    def __init__(self) -> None:
        self.stored: StoredRulebook | None = None
        self.down = False
        self.reads = 0

    def active(self) -> StoredRulebook | None:
        self.reads += 1
        if self.down:
            raise ConnectionError("table unreachable")
        return self.stored


@pytest.fixture
def clock() -> list[float]:
    return [1000.0]


def test_the_live_rulebook_is_read_once_a_minute_and_survives_an_outage(
    rulebook: Rulebook, clock: list[float]
) -> None:
    table = Table()
    live = LiveRulebook(table, ttl_s=60, clock=lambda: clock[0])
    assert live.current().source == "packaged"
    override = rulebook.model_dump(mode="json") | {"version": "2099-01-01.1"}
    table.stored = StoredRulebook("2099-01-01.1", override, None, NOW.isoformat())
    clock[0] += 59
    assert live.current().version == rulebook.version  # cached
    clock[0] += 2
    assert live.current().version == "2099-01-01.1"
    assert table.reads == 2
    table.down = True
    clock[0] += 61
    assert live.current().version == "2099-01-01.1"  # kept, logged
    assert live.current().version == "2099-01-01.1"
    assert table.reads == 3  # not retried on every request


def test_a_cold_container_without_its_rulebook_fails_retryably(clock: list[float]) -> None:
    table = Table()
    table.down = True
    with pytest.raises(ConnectionError):
        LiveRulebook(table, clock=lambda: clock[0]).current()


def test_an_override_that_no_longer_validates_falls_back_to_the_packaged_rulebook(
    rulebook: Rulebook, clock: list[float]
) -> None:
    table = Table()
    table.stored = StoredRulebook("old", {"version": "old"}, None)
    assert LiveRulebook(table, clock=lambda: clock[0]).current().source == "packaged"


def test_a_rulebook_digest_does_not_depend_on_the_hash_seed() -> None:
    code = (
        "from leadops.rulebook import load_rulebook\n"
        "from leadops.adapters.rulebook_table import digest\n"
        "print(digest(load_rulebook().model_dump(mode='json')))"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1
