"""The layer ships what it needs and nothing the runtime has; domain code stays free of AWS."""

import ast
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


DOMAIN_MODULES = ["rulebook", "models", "ranges", "normalise", "scoring"]


def _top_level_imports(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_domain_modules_never_import_boto3() -> None:
    for name in DOMAIN_MODULES:
        source = (LAYER / "leadops" / f"{name}.py").read_text(encoding="utf-8")
        assert not _top_level_imports(source) & {"boto3", "botocore"}, name


def test_rulebook_document_ships_inside_the_package() -> None:
    assert (LAYER / "leadops" / "rulebook.toml").is_file()
