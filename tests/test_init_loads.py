"""What a function's init loads: only what its requests can use (issue 16, the cold start).

Each case imports a function's app.py in a fresh interpreter with the environment the template
gives it (the default stack, or the stack with enrichment on) and reports which modules are
loaded and which pydantic models already have their schema built. Timings are the bench's job
(`make bench`); these pin the cuts that the timings rest on, so a change that undoes one fails
here rather than quietly costing every cold start again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from leadops_local.template import SamTemplate

ROOT = Path(__file__).resolve().parents[1]
PROVIDERS = [
    "leadops.adapters.enrichment.clearbit",
    "leadops.adapters.enrichment.apollo",
    "leadops.adapters.enrichment.pdl",
]
# The vendors' HTTP client: the router keeps it (Turnstile is a per-source choice, known only
# when a submission names its source); the others have no vendor to call without enrichment.
HTTP_CLIENT = "leadops.adapters.vendor_http"
# Models no demo-request function validates: built only where a request names them.
UNUSED_BY_DEMO_REQUESTS = [
    "leadops.destinations.AccountChange",
    "leadops.destinations.LeadChange",
    "leadops.assignment.RepFields",
    "leadops.tickets.SupportTicket",
]

_CHILD = """
import importlib, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
built = {}
for name in json.loads(sys.argv[2]):
    owner, _, attribute = name.rpartition(".")
    built[name] = getattr(importlib.import_module(owner), attribute).__pydantic_complete__
print(json.dumps({"modules": sorted(sys.modules), "built": built}))
"""


def _init(function: str, overrides: dict[str, str] | None = None) -> dict[str, Any]:
    template = SamTemplate.load(ROOT / "template.yaml", overrides)
    found = template.function(function)
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        **found.environment(),
    }
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            str(found.code_dir / "app.py"),
            json.dumps(UNUSED_BY_DEMO_REQUESTS),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    answer: dict[str, Any] = json.loads(out.stdout)
    return answer


DEMO_REQUEST_FUNCTIONS = ["WebhookFunction", "FormWebhookFunction", "RouterFunction"]


@pytest.mark.parametrize("function", [*DEMO_REQUEST_FUNCTIONS, "ScoreFunction"])
def test_without_enrichment_no_provider_is_loaded(function: str) -> None:
    loaded = set(_init(function)["modules"])
    assert [name for name in PROVIDERS if name in loaded] == []
    assert (HTTP_CLIENT in loaded) == (function == "RouterFunction")


def test_with_a_provider_named_the_webhook_loads_it_at_init() -> None:
    """The cut is conditional, not a removal: a stack naming Clearbit loads it (and only it)."""
    loaded = set(_init("WebhookFunction", {"EnrichmentProviders": "clearbit"})["modules"])
    assert "leadops.adapters.enrichment.clearbit" in loaded
    assert HTTP_CLIENT in loaded
    assert "leadops.adapters.enrichment.apollo" not in loaded


@pytest.mark.parametrize("function", DEMO_REQUEST_FUNCTIONS)
def test_models_a_function_never_validates_are_not_built_at_its_init(function: str) -> None:
    assert _init(function)["built"] == dict.fromkeys(UNUSED_BY_DEMO_REQUESTS, False)


def test_the_ports_load_no_domain_module() -> None:
    """leadops.ports names domain types for annotations only: importing it loads none of them."""
    code = "import json, sys, leadops.ports; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = [name for name in json.loads(out.stdout) if name.startswith("leadops.")]
    assert loaded == ["leadops.ports"]
