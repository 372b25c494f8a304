"""The folder tree is the architecture, and these tests hold it (DESIGN.md "Layer layout"):

- ``leadops/`` root: the pure domain. Nothing there imports an AWS or HTTP client, directly or
  through another leadops module (the whole folder is walked, no hand-kept list).
- ``leadops/adapters/``: the only modules that import an AWS or HTTP client.
- ``leadops/services/``: use cases; ``leadops/http/``: the HTTP edge.
- Sizes: no class over 200 lines, no function over 60, under ``layers/`` and ``functions/``;
  a handler module stays a table of contents.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "layers" / "leadops" / "leadops"
CLIENTS = {"boto3", "botocore", "httpx", "urllib3", "requests", "aiohttp"}
OUTSIDE_DOMAIN = ("adapters", "services")
MAX_CLASS_LINES = 200
MAX_FUNCTION_LINES = 60
MAX_HANDLER_FUNCTION_LINES = 15


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


@cache
def _imports(module: str) -> frozenset[str]:
    """Every module ``module`` imports, anywhere in its source (TYPE_CHECKING blocks and
    function-level imports included: a lazy import is still an import)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return frozenset(found)


def _reach(module: str) -> dict[str, str]:
    """Every module reachable from ``module`` through leadops imports -> who imported it."""
    seen: dict[str, str] = {module: module}
    todo = [module]
    while todo:
        current = todo.pop()
        for name in _imports(current):
            if name in MODULES and name not in seen:
                seen[name] = current
                todo.append(name)
            elif name not in MODULES and name.split(".")[0] in CLIENTS:
                seen.setdefault(name, current)
    return seen


def _chain(reached: dict[str, str], end: str) -> str:
    chain = [end]
    while reached[chain[-1]] != chain[-1]:
        chain.append(reached[chain[-1]])
    return " <- ".join(chain)


def _in(module: str, folder: str) -> bool:
    return module.startswith(f"leadops.{folder}.") or module == f"leadops.{folder}"


DOMAIN = sorted(m for m in MODULES if not any(_in(m, folder) for folder in OUTSIDE_DOMAIN))


def test_the_folder_walk_finds_the_domain() -> None:
    """A guard on the walk itself: the domain modules are found, adapters are not among them."""
    assert {"leadops.scoring", "leadops.routing", "leadops.backtest"} <= set(DOMAIN)
    assert "leadops.adapters.leads_table" in MODULES
    assert "leadops.adapters.leads_table" not in DOMAIN


@pytest.mark.parametrize("module", DOMAIN)
def test_domain_never_reaches_an_aws_or_http_client(module: str) -> None:
    reached = _reach(module)
    leaks = [
        _chain(reached, name)
        for name in reached
        if name.split(".")[0] in CLIENTS or any(_in(name, f) for f in OUTSIDE_DOMAIN)
    ]
    assert not leaks, leaks


def _python_files() -> Iterator[Path]:
    yield from (ROOT / "layers").rglob("*.py")
    yield from (ROOT / "functions").rglob("*.py")


@pytest.mark.parametrize("path", sorted(_python_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_adapters_import_aws_or_http_clients(path: Path) -> None:
    if "adapters" in path.relative_to(ROOT).parts:
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        assert not {name.split(".")[0] for name in names} & CLIENTS, (path, node.lineno)


def _sizes(path: Path) -> Iterator[tuple[str, int, int]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
            yield f"{path.relative_to(ROOT)}:{node.lineno} {node.name}", size, limit


def test_no_class_over_200_lines_and_no_function_over_60() -> None:
    too_long = [
        f"{where} ({size} > {limit})"
        for path in _python_files()
        for where, size, limit in _sizes(path)
        if size > limit
    ]
    assert not too_long, too_long


@pytest.mark.parametrize(
    "app", sorted(ROOT.glob("functions/*/app.py")), ids=lambda p: p.parent.name
)
def test_handlers_stay_thin(app: Path) -> None:
    """A handler parses, calls a service and shapes the answer: every function in it is short,
    and it defines no classes (models and logic belong to the layer)."""
    tree = ast.parse(app.read_text(encoding="utf-8"))
    assert not [node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    long = [
        f"{node.name} ({(node.end_lineno or 0) - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and (node.end_lineno or 0) - node.lineno + 1 > MAX_HANDLER_FUNCTION_LINES
    ]
    assert not long, long
