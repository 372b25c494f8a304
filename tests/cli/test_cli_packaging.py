"""`leadops` is a console script of the dev install, and --help works without a server."""

from importlib.metadata import entry_points

import pytest

from leadops_cli.__main__ import main


def test_console_script() -> None:
    (script,) = entry_points(group="console_scripts", name="leadops")
    assert script.value == "leadops_cli.__main__:main"


@pytest.mark.parametrize(
    "argv",
    [[], ["rulebook"], ["report"]],
)
def test_a_missing_command_is_a_usage_error(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for command in ("score", "explain", "sign", "rulebook", "dry-run", "report"):
        assert command in out
