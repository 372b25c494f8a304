"""The rules workflow a RevOps engineer follows, through the CLI and the real handlers on moto:
push a candidate, see it live, diff it, dry-run it over history, report conversion, roll back."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import leadops.rulebook
from leadops.rulebook import load_rulebook
from leadops_local.runtime import LocalFunction
from tests.cli.conftest import Cli, row
from tests.helpers import SALES, add_rep, call, deliver

PACKAGED_TOML = Path(leadops.rulebook.__file__).with_name("rulebook.toml")
PACKAGED = load_rulebook().version
TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture
def stricter(tmp_path: Path) -> Path:
    """The packaged TOML with a new version and the instant-scheduler bar at 45."""
    text = PACKAGED_TOML.read_text(encoding="utf-8")
    text = text.replace(f'version = "{PACKAGED}"', 'version = "2099-01-01.1"')
    text = text.replace(
        "instant_scheduler_min_lead_score = 20", "instant_scheduler_min_lead_score = 45"
    )
    path = tmp_path / "stricter.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def history(lambda_api: Any, load_function: Any) -> str:
    leads_api: LocalFunction = load_function("LeadsApiFunction")
    add_rep(leads_api, "tae-1")
    _, answer = deliver(load_function("WebhookFunction"), SALES)  # lead score 40: instant today
    call(leads_api, "POST", f"/leads/{answer['lead_id']}/outcome", {"outcome": "won"})
    return str(answer["lead_id"])


def test_dry_run_then_push_then_roll_back(
    cli: Cli, lambda_api: Any, history: str, stricter: Path, tmp_path: Path
) -> None:
    transport = lambda_api[0]
    run = cli("dry-run", str(stricter), "--from", TODAY, "--to", TODAY, transport=transport)
    assert run.code == 0, run.err
    assert f"current {PACKAGED} → candidate 2099-01-01.1" in run.out
    assert row(run.out, "changed: outcome", "1", "100")
    assert row(run.out, history, "outcome", "instant_scheduler", "manual_review")

    diff = cli("rulebook", "diff", "current", str(stricter), transport=transport)
    assert diff.code == 0, diff.err
    assert "demo_booking.instant_scheduler_min_lead_score: 20 → 45" in diff.out

    pushed = cli("rulebook", "push", str(stricter), transport=transport)
    assert pushed.code == 0, pushed.err
    versions = cli("rulebook", "versions", "--json", transport=transport).json()
    assert versions["current"] == "2099-01-01.1"

    report = cli(
        "report", "conversion", "--by", "rule", "--plot", str(tmp_path / "c.png"),
        transport=transport,
    )  # fmt: skip
    assert report.code == 0, report.err
    assert row(report.out, "instant:revenue+title+industry", "1", "1", "1")
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    back = cli("rulebook", "rollback", PACKAGED, transport=transport)
    assert back.code == 0, back.err
    assert cli("rulebook", "show", "--json", transport=transport).json()["source"] == "packaged"


def test_pushing_an_invalid_rulebook_prints_its_field_errors(
    cli: Cli, lambda_api: Any, stricter: Path
) -> None:
    broken = stricter.read_text(encoding="utf-8").replace(
        "criteria_required = 2", "criteria_required = 7"
    )
    stricter.write_text(broken, encoding="utf-8")
    result = cli("rulebook", "push", str(stricter), transport=lambda_api[0])
    assert result.code == 1
    assert "demo_booking.criteria_required" in result.out + result.err
    show = cli("rulebook", "show", "--json", transport=lambda_api[0]).json()
    assert show["source"] == "packaged"
