"""`leadops report conversion`: the table, the colours, and the --plot PNG."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Cli, ContractApi, row

REPORT: dict[str, Any] = {
    "from": "2026-11-01",
    "to": "2026-11-30",
    "by": "rule",
    "target": 0.2,
    "groups": [
        {"group": "NB-1", "leads": 40, "booked": 20, "won": 10, "lost": 6, "no_show": 2,
         "open": 2, "conversion_rate": 0.25, "vs_target": "above"},
        {"group": "PLS-2", "leads": 30, "booked": 10, "won": 3, "lost": 5, "no_show": 1,
         "open": 1, "conversion_rate": 0.1, "vs_target": "below"},
        {"group": "BDR-1", "leads": 5, "booked": 1, "won": 1, "lost": 0, "no_show": 0,
         "open": 0, "conversion_rate": 0.2, "vs_target": "at"},
        {"group": "BDR-4", "leads": 0, "booked": 0, "won": 0, "lost": 0, "no_show": 0,
         "open": 0, "conversion_rate": None, "vs_target": "unknown"},
    ],
    "total": {"leads": 75, "booked": 31, "won": 14, "lost": 11, "no_show": 3, "open": 3,
              "conversion_rate": 0.1867, "vs_target": "below"},
}  # fmt: skip

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def api(contract: ContractApi) -> ContractApi:
    return contract.on("GET", "/reports/conversion", (200, REPORT))


def test_the_table(cli: Cli, api: ContractApi) -> None:
    result = cli(
        "report", "conversion", "--from", "2026-11-01", "--to", "2026-11-30",
        transport=api.transport,
    )  # fmt: skip
    assert result.code == 0, result.err
    (request,) = api.requests
    assert dict(request.url.params) == {"by": "rule", "from": "2026-11-01", "to": "2026-11-30"}
    out = result.out
    assert "Conversion by rule, 2026-11-01 to 2026-11-30 (target 20.0%)" in out
    assert row(out, "rule", "leads", "booked", "won", "lost", "no-show", "open", "conversion")
    assert row(out, "NB-1", "40", "20", "10", "6", "2", "2", "25.0%", "above")
    assert row(out, "PLS-2", "30", "10", "3", "5", "1", "1", "10.0%", "below")
    assert row(out, "BDR-1", "5", "1", "1", "0", "0", "0", "20.0%", "at")
    assert row(out, "BDR-4", "0", "0", "0", "0", "0", "0", "n/a", "unknown")
    assert row(out, "total", "75", "31", "14", "11", "3", "3", "18.7%", "below")


def test_above_and_below_target_are_coloured(cli: Cli, api: ContractApi) -> None:
    out = cli("report", "conversion", transport=api.transport, color=True).out
    green, red = re.escape("\x1b[1;32m"), re.escape("\x1b[1;31m")
    assert re.search(rf"{green} *25\.0%", out)
    assert re.search(rf"{green}above", out)
    assert re.search(rf"{red} *10\.0%", out)
    assert re.search(rf"{red}below", out)
    assert not re.search(rf"({green}|{red}) *20\.0%", out)  # at target: neither


def test_group_by_and_json(cli: Cli, api: ContractApi) -> None:
    result = cli("report", "conversion", "--by", "owner", "--json", transport=api.transport)
    assert result.json() == REPORT
    assert dict(api.requests[0].url.params) == {"by": "owner"}
    with pytest.raises(SystemExit):
        cli("report", "conversion", "--by", "weather")


def test_plot_writes_a_png(cli: Cli, api: ContractApi, tmp_path: Path) -> None:
    chart = tmp_path / "conversion.png"
    result = cli("report", "conversion", "--plot", str(chart), transport=api.transport)
    assert result.code == 0, result.err
    data = chart.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 5_000  # bars, labels and the target line, not an empty canvas
    assert "NB-1" in result.out  # the table is printed too
    assert f"chart written to {chart}" in result.err


def test_plot_to_a_folder_that_does_not_exist(cli: Cli, api: ContractApi, tmp_path: Path) -> None:
    result = cli(
        "report", "conversion", "--plot", str(tmp_path / "no" / "c.png"), transport=api.transport
    )
    assert result.code == 1
    assert "cannot write" in result.err
    assert "Traceback" not in result.err


def test_matplotlib_is_imported_only_for_a_plot() -> None:
    code = (
        "import sys; import leadops_cli.__main__, leadops_cli.render; "
        "print('matplotlib' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
