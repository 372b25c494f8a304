"""The layer ships what it needs and nothing the runtime has (purity: test_architecture.py)."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "layers" / "leadops"


def _requirements(lines: list[str]) -> dict[str, str]:
    reqs = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    return {req.name.lower(): str(req.specifier) for req in reqs}


def test_layer_requirements_match_the_project_dependencies_except_boto3() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _requirements(project["dependencies"])
    layer = _requirements((LAYER / "requirements.txt").read_text(encoding="utf-8").splitlines())
    assert "boto3" not in layer, "the Lambda runtime ships boto3; packaging it bloats the layer"
    assert {name: spec for name, spec in declared.items() if name != "boto3"} == layer


def test_rulebook_document_ships_inside_the_package() -> None:
    assert (LAYER / "leadops" / "rulebook.toml").is_file()
