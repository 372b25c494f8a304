"""ruff is part of the test command, so CI keeps the tree lint-clean and formatted."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff_is_clean(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "app", sorted(ROOT.glob("functions/*/app.py")), ids=lambda p: p.parent.name
)
def test_every_function_holds_gc_off_during_init_and_freezes_after(app: Path) -> None:
    """leadops.coldstart must be the first import (before Powertools and pydantic load) and
    ``coldstart.ready()`` the last statement, or collection stays off for the container's life."""
    import ast

    body = ast.parse(app.read_text(encoding="utf-8")).body
    statements = [node for node in body if not isinstance(node, ast.Expr | ast.Constant)]
    first = next(node for node in body if isinstance(node, ast.Import | ast.ImportFrom))
    assert isinstance(first, ast.ImportFrom)
    assert (first.module, [a.name for a in first.names]) == ("leadops", ["coldstart"])
    last = body[-1]
    assert isinstance(last, ast.Expr)
    assert ast.unparse(last) == "coldstart.ready()"
    assert statements  # the module does something between the two


def test_no_function_loads_boto3_at_init() -> None:
    """The SDK loads with the first AWS call (leadops.adapters.aws), not in every init."""
    for app in ROOT.glob("functions/*/app.py"):
        text = app.read_text(encoding="utf-8")
        assert "import boto3" not in text, app
        assert "utilities import parameters" not in text, app


def test_no_two_test_files_share_a_name() -> None:
    """pytest's rootdir-relative imports work either way, but a name should find one file."""
    names = [path.name for path in (ROOT / "tests").rglob("test_*.py")]
    assert sorted(name for name in set(names) if names.count(name) > 1) == []


def test_coldstart_switches_off_pydantic_plugin_discovery() -> None:
    """Discovery reads every installed distribution's metadata with the first model built:
    a large share of each init, for plugins no dependency has (an explicit setting wins)."""
    import os
    import subprocess
    import sys

    code = "import os, leadops.coldstart; print(os.environ['PYDANTIC_DISABLE_PLUGINS'])"
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "__all__", out.stderr
    env["PYDANTIC_DISABLE_PLUGINS"] = "some_plugin"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "some_plugin", out.stderr
