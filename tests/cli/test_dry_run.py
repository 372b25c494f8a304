"""`leadops dry-run`: POST /rulebook/dry-run; a 202 is polled every second until complete."""

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Cli, ContractApi, row
from tests.helpers import SALES

PACKAGED = Path(__file__).resolve().parents[2] / "layers/leadops/leadops/rulebook.toml"

COMPLETE: dict[str, Any] = {
    "status": "complete",
    "current_version": "2026-11-23.1",
    "candidate_version": "2027-01-01.1",
    "window": {"from": "2026-11-01", "to": "2026-11-30"},
    "leads": {
        "evaluated": 200,
        "changed": {"classification": 0, "outcome": 12, "scheduler": 12, "any": 15},
        "examples": [
            {
                "lead_id": "ld_aaa",
                "before": {"classification": "sales", "outcome": "manual_review",
                           "scheduler_eligible": False, "lead_score": 18, "icp_tier": "low",
                           "rule": None},
                "after": {"classification": "sales", "outcome": "instant_scheduler",
                          "scheduler_eligible": True, "lead_score": 20, "icp_tier": "low",
                          "rule": None},
                "changed": ["outcome", "scheduler_eligible", "lead_score"],
            }
        ],
        "conversion": {
            "current": {"leads": 200, "booked": 40, "won": 10, "lost": 20,
                        "conversion_rate": 0.25},
            "candidate": {"leads": 200, "booked": 52, "won": 10, "lost": 20,
                          "conversion_rate": 0.1923},
        },
    },
    "accounts": {
        "evaluated": 1000,
        "changed": {"team": 3, "rule": 7, "any": 7},
        "examples": [
            {"account_id": "acme", "before": {"team": "bdr", "rule": "BDR-2"},
             "after": {"team": "new_business", "rule": "NB-4"}, "changed": ["team", "rule"]}
        ],
    },
}  # fmt: skip


def _running(leads: int, accounts: int) -> dict[str, Any]:
    return {
        "status": "running",
        "job_id": "dr_123",
        "progress": {"leads_evaluated": leads, "accounts_evaluated": accounts},
    }


@pytest.fixture
def candidate(tmp_path: Path) -> Path:
    path = tmp_path / "candidate.toml"
    shutil.copy(PACKAGED, path)
    return path


def test_a_running_job_is_polled_every_second_until_complete(
    cli: Cli, candidate: Path, contract: ContractApi
) -> None:
    contract.on("POST", "/rulebook/dry-run", (202, _running(0, 0)))
    contract.on(
        "GET", "/rulebook/dry-run/dr_123", (202, _running(80, 0)), (202, _running(200, 500)),
        (200, COMPLETE),
    )  # fmt: skip
    result = cli(
        "dry-run", str(candidate), "--from", "2026-11-01", "--to", "2026-11-30",
        transport=contract.transport,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert [(r.method, r.url.path) for r in contract.requests] == [
        ("POST", "/rulebook/dry-run"),
        ("GET", "/rulebook/dry-run/dr_123"),
        ("GET", "/rulebook/dry-run/dr_123"),
        ("GET", "/rulebook/dry-run/dr_123"),
    ]
    assert result.sleeps == [1.0, 1.0, 1.0]
    assert json.loads(contract.requests[0].content) == {
        "rulebook": tomllib.loads(candidate.read_text(encoding="utf-8")),
        "from": "2026-11-01",
        "to": "2026-11-30",
    }
    out = result.out
    assert (
        "Dry run: current 2026-11-23.1 → candidate 2027-01-01.1 over 2026-11-01 to 2026-11-30"
        in out
    )
    assert row(out, "evaluated", "200")
    assert row(out, "changed: outcome", "12", "6.0%")
    assert row(out, "changed: any", "15", "7.5%")
    assert row(out, "conversion (won / leads)", "25.0%", "19.2%")
    assert row(out, "booked", "40", "52")
    assert row(out, "ld_aaa", "outcome", "manual_review", "instant_scheduler")
    assert row(out, "scheduler_eligible", "no", "yes")
    assert row(out, "lead_score", "18", "20")
    assert row(out, "evaluated", "1000")
    assert row(out, "changed: rule", "7", "0.7%")
    assert row(out, "acme", "team", "bdr", "new_business")
    assert row(out, "rule", "BDR-2", "NB-4")


def test_an_immediate_answer_and_json(cli: Cli, candidate: Path, contract: ContractApi) -> None:
    contract.on("POST", "/rulebook/dry-run", (200, COMPLETE))
    result = cli("dry-run", str(candidate), "--json", transport=contract.transport)
    assert result.code == 0
    assert result.sleeps == []
    assert result.json() == COMPLETE
    assert json.loads(contract.requests[0].content).keys() == {"rulebook"}


def test_one_lead(cli: Cli, candidate: Path, contract: ContractApi, tmp_path: Path) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text(json.dumps(SALES), encoding="utf-8")
    one = {**COMPLETE, "window": None, "accounts": None}
    contract.on("POST", "/rulebook/dry-run", (200, one))
    result = cli("dry-run", str(candidate), "--lead", str(lead), transport=contract.transport)
    assert result.code == 0, result.err
    body = json.loads(contract.requests[0].content)
    assert body["lead"] == SALES
    assert "over one lead" in result.out
    assert "Accounts" not in result.out
    with_window = cli("dry-run", str(candidate), "--lead", str(lead), "--from", "2026-11-01")
    assert with_window.code == 2


def test_a_candidate_the_api_refuses(cli: Cli, candidate: Path, contract: ContractApi) -> None:
    contract.on("POST", "/rulebook/dry-run", (422, {
        "message": "invalid rulebook",
        "errors": [{"field": "icp_score.high_tier_min", "message": "must be <= 24",
                    "type": "value_error"}],
    }))  # fmt: skip
    result = cli("dry-run", str(candidate), transport=contract.transport)
    assert result.code == 1
    assert "  icp_score.high_tier_min: must be <= 24" in result.err.splitlines()


def test_a_job_that_fails(cli: Cli, candidate: Path, contract: ContractApi) -> None:
    contract.on("POST", "/rulebook/dry-run", (202, _running(0, 0)))
    contract.on("GET", "/rulebook/dry-run/dr_123", (200, {"status": "failed", "message": "boom"}))
    result = cli("dry-run", str(candidate), transport=contract.transport)
    assert result.code == 1
    assert "dry run ended with status 'failed': boom" in result.err


def test_dates_are_checked_before_any_request(cli: Cli, candidate: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        cli("dry-run", str(candidate), "--from", "01/11/2026")
    assert exited.value.code == 2


def test_changed_score_items_are_shown_with_their_source(
    cli: Cli, candidate: Path, contract: ContractApi, tmp_path: Path
) -> None:
    """Issue 13: each changed score item names where its value came from."""
    item = {"score": "lead_score", "metric": "employees", "value": 2400, "source": "clearbit",
            "before": 20, "after": 0}  # fmt: skip
    (example,) = COMPLETE["leads"]["examples"]
    window = {**COMPLETE, "leads": {**COMPLETE["leads"],
              "examples": [{**example, "score_items": [item]}]}}  # fmt: skip
    contract.on("POST", "/rulebook/dry-run", (200, window))
    result = cli("dry-run", str(candidate), transport=contract.transport)
    assert result.code == 0, result.err
    assert "Score items changed" in result.out
    assert row(result.out, "ld_aaa", "lead_score", "employees", "2400", "clearbit", "20", "0")

    lead = tmp_path / "lead.json"
    lead.write_text(json.dumps(SALES), encoding="utf-8")
    pair = {key: example[key] for key in ("before", "after", "changed")}
    form = {**item, "value": 300, "source": "form", "before": 10}
    one = {**COMPLETE, "window": None, "leads": None, "accounts": None,
           "lead": {**pair, "score_items": [form]}}  # fmt: skip
    contract.on("POST", "/rulebook/dry-run", (200, one))
    result = cli("dry-run", str(candidate), "--lead", str(lead), transport=contract.transport)
    assert result.code == 0, result.err
    assert row(result.out, "lead", "lead_score", "employees", "300", "form", "10", "0")
