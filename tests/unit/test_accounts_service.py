"""The accounts API's service (``leadops.services.accounts``) against in-memory accounts and
rep pools: a signal routes its account at once, deciding it once; a read decides no routing."""

from datetime import UTC, datetime
from typing import Any

import pytest

from leadops.account import AccountRecord
from leadops.account_decision import AccountDecider, AccountDecision
from leadops.assignment import RepRole
from leadops.routing import AccountSnapshot
from leadops.rulebook import Rulebook
from leadops.scoring import Scorer
from leadops.services.account_routing import AccountRouting
from leadops.services.accounts import SignalInput, read_account, record_signal
from tests.unit.fakes import MemoryAccounts, MemoryPools, rep

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class CountingDecider(AccountDecider):
    """The real decider, counting its decisions."""

    decisions = 0

    def decide(self, record: AccountRecord) -> AccountDecision:
        self.decisions += 1
        return super().decide(record)


@pytest.fixture
def routing(rulebook: Rulebook, scorer: Scorer) -> AccountRouting:
    routing = AccountRouting(rulebook, scorer, MemoryPools(rep("tae-1", RepRole.TAE)), NOW)
    routing.decider = CountingDecider(rulebook, scorer, NOW)
    return routing


def signal(kind: str) -> SignalInput:
    return SignalInput.model_validate({"type": kind})


def test_a_signal_routes_its_account_at_once_deciding_it_once(routing: AccountRouting) -> None:
    accounts = MemoryAccounts()
    view = record_signal(accounts, routing, "acme", signal("demo_form"), window_days=30)
    assert (view["routing"]["team"], view["routing"]["rule"]) == ("new_business", "NB-1")
    assert view["routing"]["owner"] == {"id": "tae-1", "name": "Rep tae-1", "role": "TAE"}
    assert [s["type"] for s in view["signals"]] == ["demo_form"]
    assert accounts.writes == [{"acme": accounts.routing("acme")}]
    assert isinstance(routing.decider, CountingDecider)
    assert routing.decider.decisions == 1


def test_a_signal_that_changes_nothing_writes_nothing(routing: AccountRouting) -> None:
    accounts = MemoryAccounts()
    record_signal(accounts, routing, "acme", signal("trust_center_nda"), window_days=30)  # NB-6
    view = record_signal(accounts, routing, "acme", signal("demo_form"), window_days=30)
    assert view["routing"]["rule"] == "NB-6"  # same team, assignment open: not re-routed
    assert len(accounts.writes) == 1


def test_reading_an_account_scores_it_and_shows_the_stored_routing(
    rulebook: Rulebook, scorer: Scorer
) -> None:
    stored: dict[str, Any] = {"team": "bdr", "rule": "BDR-3", "owner": None}
    snapshot = AccountSnapshot(account_id="acme", employees=200, country="US")
    accounts = MemoryAccounts(AccountRecord("acme", snapshot, routing=stored))
    decider = CountingDecider(rulebook, scorer, NOW)
    view = read_account(accounts, decider, "acme")
    assert view["icp_score"] == decider.icp(AccountRecord("acme", snapshot)).total
    assert (view["routing"]["team"], view["routing"]["rule"]) == ("bdr", "BDR-3")
    assert decider.decisions == 0  # reading routes nothing
