"""Cold start, measured the honest way: each function's init (import + module-level set-up of
its app.py in a fresh interpreter) **plus its first request, up to the moment its first AWS
call would go on the wire** (the sample event from events/ through the real handler). A cost
moved from init to the first request is still a cold-start cost, so only the sum counts.

The baseline is timed the same way in the same run, alternated with each function so drift in
machine load hits both alike: a handler that imports boto3 and creates a DynamoDB client at init,
whose first request is one GetItem. "On the wire" is the first DNS look-up of an AWS host: the
child patches ``socket.getaddrinfo`` to print the time and exit there, so the SDK's whole first
call (endpoint resolution, serialisation, signing) is inside both figures and nothing leaves
the machine.

Every function of the stack is timed, the ones that exist only with an integration turned on
(PostHog, enrichment, Slack, Salesforce, HubSpot) from the template with those parameters set.
The layer is compiled to bytecode first, as the deployed layer ships it
(``make build-LeadopsLayer``), so no run pays for compiling source that production would not;
each function's one small app.py is compiled too (SAM ships it as source: a few milliseconds
this figure leaves out). The ``layer`` part (bench/layer.py) times the built layer itself.
Beside them, ``bench/floor_app.py`` (the libraries alone, no leadops code) is timed the same
way: the part of every ratio that no change inside leadops can remove.
"""

from __future__ import annotations

import compileall
import json
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from leadops_local.template import Function, SamTemplate

ROOT = Path(__file__).resolve().parents[1]
FLOOR = Path(__file__).with_name("floor_app.py")
# Integration parameters that make the template's optional functions exist (values are only
# shapes: every child stops before its first call leaves the machine).
INTEGRATIONS_ON = {
    "PostHogHost": "https://eu.i.posthog.com",
    "EnrichmentProviders": "clearbit",
    "SlackChannel": "C0123456789",
    "SalesforceInstanceUrl": "https://example.my.salesforce.com",
    "HubSpotApiUrl": "https://api.hubapi.com",
}

_CHILD = """
import os, socket, sys, time

class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 10_000

def on_the_wire(*args, **kwargs):
    print("BENCH first", time.perf_counter() - start, flush=True)
    os._exit(0)

socket.getaddrinfo = on_the_wire
start = time.perf_counter()
{init}
print("BENCH init", time.perf_counter() - start, flush=True)
{request}
print("BENCH first", time.perf_counter() - start, flush=True)
"""
_BASELINE_INIT = "import boto3\nclient = boto3.client('dynamodb')"
_BASELINE_REQUEST = "client.get_item(TableName='leads', Key={'pk': {'S': 'lead#1'}})"
_FUNCTION_INIT = (
    "import importlib.util\n"
    "spec = importlib.util.spec_from_file_location('app', {path!r})\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(module)"
)
_FUNCTION_REQUEST = "module.lambda_handler(event, Context())"


def _run(
    init: str, request: str, env: dict[str, str], python: Sequence[str] = (sys.executable,)
) -> tuple[float, float]:
    """(init, init + first request through its first AWS call), in seconds, one fresh child.

    ``python`` is the child's interpreter and its flags (bench/layer.py: ``-S -B`` on the base
    interpreter); by default the dev venv's.
    """
    out = subprocess.run(
        [*python, "-c", _CHILD.format(init=init, request=request)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    marks = dict(line.split()[1:3] for line in out.stdout.splitlines() if line.startswith("BENCH "))
    return float(marks["init"]), float(marks["first"])


def _function_code(path: Path, event: dict[str, Any]) -> tuple[str, str]:
    init = _FUNCTION_INIT.format(path=str(path))
    # The event arrives as JSON text and is parsed in the child, as the Lambda runtime does.
    request = f"import json\nevent = json.loads({json.dumps(event)!r})\n{_FUNCTION_REQUEST}"
    return init, request


def functions_to_time(template: SamTemplate) -> list[Function]:
    """Every function: as the default stack has them, then those only an integration adds."""
    default = template.functions()
    present = {function.logical_id for function in default}
    with_all = SamTemplate.load(ROOT / "template.yaml", INTEGRATIONS_ON).functions()
    return default + [function for function in with_all if function.logical_id not in present]


Runs = list[tuple[float, float]]


def _alternated(
    code: tuple[str, str], env: dict[str, str], base_env: dict[str, str], runs: int
) -> tuple[Runs, Runs]:
    """(baseline runs, these runs), alternated so drift in machine load hits both alike."""
    _run(_BASELINE_INIT, _BASELINE_REQUEST, base_env), _run(*code, env)  # warm caches
    baseline: Runs = []
    ours: Runs = []
    for _ in range(runs):
        baseline.append(_run(_BASELINE_INIT, _BASELINE_REQUEST, base_env))
        ours.append(_run(*code, env))
    return baseline, ours


def _floor(base_env: dict[str, str], runs: int) -> dict[str, float]:
    event = json.loads((ROOT / "events" / "webhook.json").read_text())
    event.update(body=json.dumps({"email": "ada@example.com"}), isBase64Encoded=False)
    baseline, floor = _alternated(_function_code(FLOOR, event), base_env, base_env, runs)
    total = statistics.median(run[1] for run in floor)
    return {
        "cold_floor_ms": total * 1000,
        "cold_floor_vs_baseline": total / statistics.median(run[1] for run in baseline),
    }


def cold_start(template: SamTemplate, base_env: dict[str, str], runs: int) -> dict[str, float]:
    for tree in ("layers", "functions"):  # bytecode, as the deployed layer ships it
        compileall.compile_dir(ROOT / tree, quiet=1)
    figures: dict[str, float] = {}
    worst = 0.0
    all_baselines: Runs = []
    for function in functions_to_time(template):
        env = {**base_env, **function.environment()}
        event = json.loads((ROOT / "events" / f"{function.code_dir.name}.json").read_text())
        code = _function_code(function.code_dir / "app.py", event)
        baseline, ours = _alternated(code, env, base_env, runs)
        base_init = statistics.median(run[0] for run in baseline)
        base_total = statistics.median(run[1] for run in baseline)
        our_init = statistics.median(run[0] for run in ours)
        our_total = statistics.median(run[1] for run in ours)
        name = function.logical_id
        figures[f"cold_start_{name}_ms"] = our_total * 1000
        figures[f"cold_start_{name}_vs_baseline"] = our_total / base_total
        figures[f"cold_init_{name}_ms"] = our_init * 1000
        figures[f"cold_init_{name}_vs_baseline"] = our_init / base_init
        figures[f"cold_start_{name}_vs_baseline_init"] = our_total / base_init
        all_baselines += baseline
        worst = max(worst, our_total / base_total)
    return {
        "cold_start_worst_vs_baseline": worst,
        **_floor(base_env, runs),
        "cold_start_baseline_ms": statistics.median(run[1] for run in all_baselines) * 1000,
        "cold_init_baseline_ms": statistics.median(run[0] for run in all_baselines) * 1000,
        **figures,
    }
