"""Cold start of the layer as it deploys, with bytecode and without, side by side in one run.

``make build-LeadopsLayer`` builds the layer once for the running interpreter's version (Lambda's
wheels, unchecked-hash bytecode) into a temp dir; a copy without any ``__pycache__`` is the
layer as ``BuildMethod: python3.12`` shipped it (Lambda's /opt is read-only, so that one
compiled pydantic, Powertools, pycountry and leadops from source on every cold start).

The child is bench/cold.py's (init of app.py plus the first request up to its first AWS call),
run on the interpreter the venv was made from with ``-S -B`` and ``PYTHONPATH=<layer>/python:
<runtime>``: ``-S`` keeps the venv's site-packages (and its editable leadops) out, so everything
but the standard library comes from the built layer, or from ``<runtime>``, a compiled
``pip install --target`` of the venv's boto3 standing in for the one Lambda's runtime ships;
``-B`` so the source runs never write bytecode. Each function's app.py is a copy without
bytecode in both runs, as SAM ships a function's code. Needs network (pip fetches the wheels)
and Linux (Lambda's manylinux wheels).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import cold

from leadops_local.template import Function, SamTemplate

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("WebhookFunction", "ScoreFunction")
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
# Appended to the child's init (microseconds): a run that did not load the built layer fails.
_CHECK = """
import sys as _sys
_where = _sys.modules["leadops"].__file__ or ""
if not _where.startswith({layer!r}):
    raise SystemExit(f"leadops was imported from {{_where}}, not from the layer {layer}")
"""


def layer_cold_start(
    template: SamTemplate, base_env: dict[str, str], runs: int = 9
) -> dict[str, float]:
    if sys.platform != "linux":
        raise RuntimeError("bench layer: Linux only (it loads Lambda's manylinux wheels)")
    python = (str(_base_interpreter()), "-S", "-B")
    functions = {function.logical_id: function for function in template.functions()}
    with tempfile.TemporaryDirectory(prefix="leadops-layerbench-") as tmp:
        root = Path(tmp)
        layers = _build_layers(root)
        runtime = _build_runtime(root / "runtime")
        figures: dict[str, float] = {}
        for name in FUNCTIONS:
            function = functions[name]
            app = _shipped_app(function, root / "functions")
            event = json.loads((ROOT / "events" / f"{function.code_dir.name}.json").read_text())
            init, request = cold._function_code(app, event)
            children = {  # variant -> (its child's init, its environment), built once
                variant: (
                    init + _CHECK.format(layer=str(layer / "python") + os.sep),
                    _environment(base_env, function, app, layer, runtime),
                )
                for variant, layer in layers.items()
            }
            totals: dict[str, list[float]] = {variant: [] for variant in layers}
            for attempt in range(runs + 1):  # the first round only warms caches
                for variant, (code, env) in children.items():
                    total = _timed(code, request, env, python, f"{name} on the {variant} layer")
                    if attempt:
                        totals[variant].append(total)
            bytecode = statistics.median(totals["bytecode"])
            source = statistics.median(totals["source"])
            figures[f"layer_cold_start_{name}_bytecode_ms"] = bytecode * 1000
            figures[f"layer_cold_start_{name}_source_ms"] = source * 1000
            figures[f"layer_source_vs_bytecode_{name}"] = source / bytecode
    return figures


def _base_interpreter() -> Path:
    """The interpreter the venv was created from (same version, without the venv's packages)."""
    base = Path(sys.base_prefix)
    for candidate in (
        base / "bin" / f"python{VERSION}",
        base / "bin" / "python3",
        base / "bin" / "python",
    ):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError(f"bench layer: no python{VERSION} under sys.base_prefix ({base})")


def _build_layers(root: Path) -> dict[str, Path]:
    """{"bytecode": the layer as make build-LeadopsLayer builds it, "source": it without pycs}."""
    pyc, source = root / "pyc", root / "source"
    command = [
        "make",
        "--no-print-directory",
        "-C",
        str(ROOT),
        "build-LeadopsLayer",
        f"ARTIFACTS_DIR={pyc}",
        f"LAYER_PYTHON_VERSION={VERSION}",
        f"LAYER_PYTHON={sys.executable}",
        f"LAYER_PLATFORM=manylinux2014_{platform.machine()}",
    ]
    _build(command, "build the layer (make build-LeadopsLayer)")
    shutil.copytree(pyc, source, symlinks=True)
    for cache in sorted(source.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    compiled = sum(1 for _ in (pyc / "python").rglob("*.pyc"))
    left = list(source.rglob("*.py[co]"))
    if not compiled or left or not (pyc / "python" / "leadops").is_dir():
        raise RuntimeError(
            f"bench layer: unexpected layer build in {root}: {compiled} pycs in the bytecode "
            f"layer, {len(left)} left in the source one"
        )
    return {"bytecode": pyc, "source": source}


def _build_runtime(target: Path) -> Path:
    """What Lambda's runtime adds to the path: boto3 (the venv's version), compiled."""
    boto3 = f"boto3=={importlib.metadata.version('boto3')}"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _build([*pip, "--no-compile", "--target", str(target), boto3], f"pip install {boto3}")
    _build([sys.executable, "-m", "compileall", "-q", "-j", "0", str(target)], "compile boto3")
    shutil.rmtree(target / "bin", ignore_errors=True)
    return target


def _build(command: list[str], what: str) -> None:
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if out.returncode == 0:
        return
    log = (out.stdout + out.stderr).strip()
    offline = any(
        sign in log
        for sign in (
            "NewConnectionError",
            "Temporary failure in name resolution",
            "Network is unreachable",
            "No matching distribution found",
            "Could not find a version",
            "ConnectTimeout",
        )
    )
    cause = (
        "pip could not fetch the wheels from the package index: this bench needs network"
        if offline
        else f"exit status {out.returncode}"
    )
    raise RuntimeError(
        f"bench layer: could not {what}: {cause}.\ncommand: {' '.join(command)}\n{log[-3000:]}"
    )


def _shipped_app(function: Function, target: Path) -> Path:
    """A copy of the function's app.py without bytecode (both runs compile it, as in Lambda)."""
    app = target / function.code_dir.name / "app.py"
    app.parent.mkdir(parents=True)
    shutil.copyfile(function.code_dir / "app.py", app)
    return app


def _environment(
    base_env: dict[str, str], function: Function, app: Path, layer: Path, runtime: Path
) -> dict[str, str]:
    env = {**base_env, **function.environment(), "LAMBDA_TASK_ROOT": str(app.parent)}
    env["PYTHONPATH"] = os.pathsep.join([str(layer / "python"), str(runtime)])
    for name in ("PYTHONHOME", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONSTARTUP"):
        env.pop(name, None)
    return env


def _timed(
    code: str, request: str, env: dict[str, str], python: tuple[str, ...], what: str
) -> float:
    """init + first request through its first AWS call, in seconds (one fresh child)."""
    try:
        return cold._run(code, request, env, python)[1]
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"bench layer: {what} failed:\n{error.stderr}") from error
