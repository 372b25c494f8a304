"""`make build-LeadopsLayer`, the layer sam build deploys (template.yaml: BuildMethod makefile),
run for real: Lambda's wheels plus the package, every module shipped as bytecode the runtime uses
without checking it (Lambda cannot write a .pyc to its read-only /opt, so without these every
cold start compiles pydantic, Powertools, pycountry and leadops from source).

Needs the network (pip) and a Python 3.12 interpreter (the runtime's): `python3.12` on PATH, or
LAYER_PYTHON=/path/to/python3.12. Without one the test is skipped, saying so.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = (3, 12)

# Run by the layer's own interpreter: the hash in an unchecked-hash .pyc is keyed by the
# interpreter's magic number, so only a 3.12 can say whether a 3.12 .pyc matches its source.
_CHECK_BYTECODE = r"""
import importlib.util, json, pathlib, sys
root = pathlib.Path(sys.argv[1])
problems = []
for source in sorted(root.rglob("*.py")):
    pyc = pathlib.Path(importlib.util.cache_from_source(str(source)))
    if not pyc.is_file():
        problems.append(f"{source}: no {pyc.name}")
        continue
    header = pyc.read_bytes()[:16]
    flags = int.from_bytes(header[4:8], "little")
    if header[:4] != importlib.util.MAGIC_NUMBER:
        problems.append(f"{pyc}: another Python's magic number")
    elif flags != 0b01:  # bit 0: hash-based; bit 1 (check_source) off
        problems.append(f"{pyc}: flags {flags:#04b}, not an unchecked-hash pyc")
    elif header[8:16] != importlib.util.source_hash(source.read_bytes()):
        problems.append(f"{pyc}: compiled from another version of {source.name}")
print(json.dumps(problems))
"""


def _runtime_python() -> str:
    """The Python 3.12 the Makefile would use, or skip the test with the reason."""
    candidate = os.environ.get("LAYER_PYTHON") or shutil.which("python3.12")
    if not candidate:
        pytest.skip("no python3.12 on PATH (the Lambda runtime's Python compiles the layer)")
    try:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except OSError as error:
        pytest.skip(f"{candidate} does not run: {error}")
    if probe.returncode != 0 or tuple(map(int, probe.stdout.split() or [0, 0])) != RUNTIME:
        said = " ".join(probe.stderr.split())[:160] or probe.stdout.strip()
        pytest.skip(f"{candidate} is not a working Python 3.12 ({said}); set LAYER_PYTHON to one")
    return candidate


def test_the_layer_sam_build_deploys(tmp_path: Path) -> None:
    """One build (about 10 s with a warm pip cache), every check on it: one test, so pytest -n
    auto does not build it once per worker."""
    python = _runtime_python()
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "build-LeadopsLayer",
         f"ARTIFACTS_DIR={tmp_path}", f"LAYER_PYTHON={python}"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    layer = tmp_path / "python"
    _every_module_ships_unchecked_hash_bytecode_for_the_runtime(layer, python)
    _the_package_ships_its_data_and_sources(layer)
    _the_layer_holds_lambdas_wheels_and_not_the_runtimes_sdk(layer)


def _every_module_ships_unchecked_hash_bytecode_for_the_runtime(layer: Path, python: str) -> None:
    assert len(list(layer.rglob("*.py"))) > 100  # the dependencies, not only leadops
    checked = subprocess.run(
        [python, "-I", "-c", _CHECK_BYTECODE, str(layer)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert json.loads(checked.stdout) == []
    leftovers = [p for p in layer.rglob("*.pyc") if p.parent.name != "__pycache__"]
    assert leftovers == []


def _the_package_ships_its_data_and_sources(layer: Path) -> None:
    package = layer / "leadops"
    source = ROOT / "layers" / "leadops" / "leadops"
    assert (package / "rulebook.toml").read_bytes() == (source / "rulebook.toml").read_bytes()
    assert (package / "py.typed").is_file()
    static = sorted(p.name for p in (source / "static").iterdir())
    assert static
    assert sorted(p.name for p in (package / "static").iterdir()) == static
    # the sources stay next to the bytecode: tracebacks show their lines
    assert (package / "adapters" / "wiring.py").is_file()
    assert not (layer / "bin").exists()


def _the_layer_holds_lambdas_wheels_and_not_the_runtimes_sdk(layer: Path) -> None:
    names = {p.name.lower() for p in layer.iterdir()}
    assert not {n for n in names if n.startswith(("boto3", "botocore", "s3transfer"))}
    assert any(n.startswith("aws_lambda_powertools-") for n in names)
    binaries = [p.name for p in (layer / "pydantic_core").glob("_pydantic_core*.so")]
    assert binaries == ["_pydantic_core.cpython-312-x86_64-linux-gnu.so"]
    wheel = next(layer.glob("pydantic_core-*.dist-info")) / "WHEEL"
    tags = [
        line.split(": ", 1)[1]
        for line in wheel.read_text().splitlines()
        if line.startswith("Tag: ")
    ]
    assert tags
    assert all(t.startswith("cp312-cp312-") for t in tags), tags
    assert any(t.endswith("manylinux2014_x86_64") for t in tags), tags
    assert all((p / "RECORD").is_file() for p in layer.glob("*.dist-info"))


def test_without_the_runtimes_python_the_build_says_what_is_missing(tmp_path: Path) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "build-LeadopsLayer",
         f"ARTIFACTS_DIR={tmp_path}", f"LAYER_PYTHON={tmp_path / 'no-such-python'}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "needs a Python 3.12 interpreter" in result.stderr
    assert not (tmp_path / "python").exists()
