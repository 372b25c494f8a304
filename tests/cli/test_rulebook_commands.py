"""`leadops rulebook diff|show|versions|push|rollback`: diffs of local files, and the rulebook
API as its contract describes it (a stand-in transport until the routes are in the template)."""

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Cli, ContractApi, row

PACKAGED = Path(__file__).resolve().parents[2] / "layers/leadops/leadops/rulebook.toml"
VERSION = tomllib.loads(PACKAGED.read_text(encoding="utf-8"))["version"]
BAND = '{ label = "11-1000", min = 11, max = 1000, points = 10 }'


@pytest.fixture
def candidate(tmp_path: Path) -> Path:
    """A copy of the packaged rulebook with one band's points and the version changed."""
    path = tmp_path / "candidate.toml"
    shutil.copy(PACKAGED, path)
    text = path.read_text(encoding="utf-8")
    assert BAND in text
    text = text.replace(BAND, BAND.replace("points = 10", "points = 12"))
    path.write_text(text.replace(f'version = "{VERSION}"', 'version = "2027-01-01.1"'), "utf-8")
    return path


def _document(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


# --- diff -------------------------------------------------------------------------------------
def test_diff_of_two_files(cli: Cli, candidate: Path) -> None:
    result = cli("rulebook", "diff", str(PACKAGED), str(candidate))
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"{PACKAGED} → {candidate}: 2 changes",
        f'version: "{VERSION}" → "2027-01-01.1"',
        "lead_score.employees.bands[1].points: 10 → 12",
    ]


def test_diff_of_toml_against_json_and_identical_files(
    cli: Cli, candidate: Path, tmp_path: Path
) -> None:
    as_json = tmp_path / "candidate.json"
    as_json.write_text(json.dumps(_document(candidate)), encoding="utf-8")
    same = cli("rulebook", "diff", str(candidate), str(as_json))
    assert same.out.strip() == f"{candidate} → {as_json}: identical"
    changes = cli("rulebook", "diff", str(PACKAGED), str(as_json), "--json").json()["changes"]
    assert changes[1] == {
        "path": "lead_score.employees.bands[1].points",
        "kind": "changed",
        "old": 10,
        "new": 12,
    }


def test_diff_against_the_api_versions(cli: Cli, candidate: Path, contract: ContractApi) -> None:
    packaged = _document(PACKAGED)
    contract.on("GET", "/rulebook", (200, _rulebook_answer(_document(candidate), "override")))
    contract.on("GET", f"/rulebook/versions/{VERSION}", (200, _rulebook_answer(packaged)))
    result = cli("rulebook", "diff", VERSION, "current", transport=contract.transport)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == f"{VERSION} → current (2027-01-01.1): 2 changes"
    assert "lead_score.employees.bands[1].points: 10 → 12" in result.out
    unknown = cli("rulebook", "diff", "1999-01-01.1", "current", transport=contract.transport)
    assert unknown.code == 1
    assert "HTTP 404" in unknown.err


def test_diff_of_a_missing_or_broken_file(cli: Cli, tmp_path: Path) -> None:
    missing = cli("rulebook", "diff", str(tmp_path / "gone.toml"), str(PACKAGED))
    assert (missing.code, "file not found" in missing.err) == (2, True)
    broken = tmp_path / "broken.toml"
    broken.write_text("version = ", encoding="utf-8")
    result = cli("rulebook", "diff", str(broken), str(PACKAGED))
    assert result.code == 2
    assert "not valid TOML" in result.err
    assert "Traceback" not in missing.err + result.err


# --- show, versions ---------------------------------------------------------------------------
def _rulebook_answer(document: dict[str, Any], source: str = "packaged") -> dict[str, Any]:
    activated = "2027-01-01T10:00:00+00:00" if source == "override" else None
    return {
        "version": document["version"],
        "source": source,
        "activated_at": activated,
        "rulebook": document,
    }


def test_show(cli: Cli, contract: ContractApi) -> None:
    contract.on("GET", "/rulebook", (200, _rulebook_answer(_document(PACKAGED))))
    result = cli("rulebook", "show", transport=contract.transport)
    assert result.code == 0, result.err
    assert row(result.out, "version", VERSION)
    assert row(result.out, "source", "packaged")
    assert row(result.out, "activated at", "-")
    assert '"high_tier_min": 12' in result.out
    raw = cli("rulebook", "show", "--json", transport=contract.transport).json()
    assert raw["rulebook"] == _document(PACKAGED)


def test_versions(cli: Cli, contract: ContractApi) -> None:
    contract.on("GET", "/rulebook/versions", (200, {
        "current": "2027-01-01.1",
        "versions": [
            {"version": "2027-01-01.1", "description": "bigger bands", "source": "override",
             "stored_at": "2027-01-01T10:00:00+00:00", "active": True},
            {"version": VERSION, "description": "Seed rules", "source": "packaged",
             "stored_at": None, "active": False},
        ],
    }))  # fmt: skip
    result = cli("rulebook", "versions", transport=contract.transport)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "Rulebook versions (current 2027-01-01.1)" in lines[0]
    assert any(line.split()[:3] == ["*", "2027-01-01.1", "override"] for line in lines)
    assert any(line.split()[:3] == [VERSION, "packaged", "-"] for line in lines)


# --- push, rollback ---------------------------------------------------------------------------
ACTIVATED = {
    "version": "2027-01-01.1",
    "source": "override",
    "activated_at": "2027-01-01T10:00:00+00:00",
    "previous_version": VERSION,
}


def test_push_sends_the_toml_file_as_json(cli: Cli, candidate: Path, contract: ContractApi) -> None:
    contract.on("PUT", "/rulebook", (200, ACTIVATED))
    result = cli("rulebook", "push", str(candidate), transport=contract.transport)
    assert result.code == 0, result.err
    (request,) = contract.requests
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == _document(candidate)
    assert result.out.strip() == (
        "active rulebook: 2027-01-01.1 (override, activated 2027-01-01T10:00:00+00:00; "
        f"previous {VERSION})"
    )


def test_push_prints_every_field_error_and_exits_1(
    cli: Cli, candidate: Path, contract: ContractApi
) -> None:
    contract.on("PUT", "/rulebook", (422, {
        "message": "invalid rulebook",
        "errors": [
            {"field": "lead_score.max", "message": "the items' maxima add up to 72, not 70",
             "type": "value_error"},
            {"field": "lead_score.country.tiers[0].countries[2]", "message": "not an ISO code",
             "type": "value_error"},
        ],
    }))  # fmt: skip
    result = cli("rulebook", "push", str(candidate), transport=contract.transport)
    assert result.code == 1
    assert result.out == ""
    assert result.err.splitlines() == [
        "leadops: HTTP 422: invalid rulebook",
        "  lead_score.max: the items' maxima add up to 72, not 70",
        "  lead_score.country.tiers[0].countries[2]: not an ISO code",
    ]


def test_push_of_a_version_that_exists_with_other_content(
    cli: Cli, candidate: Path, contract: ContractApi
) -> None:
    message = "version 2027-01-01.1 exists with different content: bump version"
    contract.on("PUT", "/rulebook", (409, {"message": message, "errors": []}))
    result = cli("rulebook", "push", str(candidate), transport=contract.transport)
    assert (result.code, result.err.strip()) == (1, f"leadops: HTTP 409: {message}")


def test_rollback(cli: Cli, contract: ContractApi) -> None:
    rolled_back = {**ACTIVATED, "version": VERSION, "previous_version": "2027-01-01.1"}
    contract.on("POST", "/rulebook/rollback", (200, rolled_back))
    result = cli("rulebook", "rollback", VERSION, "--json", transport=contract.transport)
    assert result.code == 0
    assert json.loads(contract.requests[0].content) == {"version": VERSION}
    assert result.json()["previous_version"] == "2027-01-01.1"
    contract.on("POST", "/rulebook/rollback", (404, {
        "message": "no rulebook version '1999'",
        "errors": [{"field": "version", "message": "unknown version", "type": "not_found"}],
    }))  # fmt: skip
    missing = cli("rulebook", "rollback", "1999", transport=contract.transport)
    assert missing.code == 1
    assert "HTTP 404: no rulebook version '1999'" in missing.err
    assert "  version: unknown version" in missing.err


def test_an_error_that_is_not_json(cli: Cli, contract: ContractApi) -> None:
    contract.on("GET", "/rulebook", (502, "Bad Gateway"))
    result = cli("rulebook", "show", transport=contract.transport)
    assert (result.code, result.err.strip()) == (1, "leadops: HTTP 502: Bad Gateway")
