"""`make bench`: leadops performance figures, each beside a baseline measured in the same run.

Prints a report and writes bench/results.json. Not a test: figures on a shared machine are
noisy, so each is a best-of-N and every goal is checked as a ratio against code timed alongside.

- scoring: lead + ICP score of already-normalised leads, leads/s on one core, with a breakdown
  (lead score alone, ICP alone, normalisation, validation + normalisation + scoring) and the
  ratio against a minimal floor implementation (hard-coded if/else, totals only, no breakdown).
- cold start (bench/cold.py): init of each function's app.py in a fresh interpreter plus its
  first request through its first AWS call, against a boto3 handler timed the same way; the
  headline row is the worst function's ratio.
- layer (bench/layer.py): the same cold start of the Webhook and Score functions on the layer as
  make build-LeadopsLayer builds it (bytecode) beside that layer without bytecode (as
  BuildMethod python3.12 shipped it), alternated in one run; builds both into a temp dir (needs
  network: pip fetches Lambda's wheels and boto3).

- behaviour (bench/behaviour.py): PostHog events scored per second (pure), DynamoDB write calls
  per person per batch (moto), and the tracemalloc peak of a 1 M-event export beside 100 k.

``python bench/run.py --only cold [--runs 9]`` runs one part (cold, scoring, webhook, routing,
sweep, dry_run, slack, forms, router, destinations, behaviour, enrichment, layer) without writing
bench/results.json.

- slack (bench/slack.py): chat.postMessage calls per qualified lead and per redelivery, counted
  against a stand-in, and a batch against a hanging Slack as a share of its timeout.
- router (bench/router.py, issue 12): the public router's warm own CPU per browser decision
  beside the webhook's per submission (same lead, same run), and the AWS calls of one browser
  decision and of the vendor's webhook for the same submission after it (moto).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import behaviour
import cold
import destinations
import dry_run  # bench/dry_run.py, routing.py, sweep.py and webhook.py, beside this file
import enrichment
import forms
import layer
import router
import routing
import slack
import sweep
import webhook

from leadops.models import LeadInput
from leadops.normalise import EmailKind, NormalisedLead
from leadops.rulebook import load_rulebook
from leadops.scoring import Scorer
from leadops_local.runtime import FAKE_CREDENTIALS
from leadops_local.template import REGION, SamTemplate

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
GOALS = {
    "scoring_leads_per_s": 200_000,
    "scoring_vs_floor": 8.0,
    "cold_start_worst_vs_baseline": 1.3,
    "webhook_cpu_ms_per_sales_submission": 2.0,
    "aws_calls_per_sales_submission": 5,
    "aws_calls_per_replay": 1,
    "rule_evaluation_accounts_per_s": 100_000,
    "sweep_changed_accounts_per_write_call": 24,  # 25 a call, but each segment's last is partial
    "sweep_rerun_write_calls": 0,
    "router_cpu_ms_per_decision": 2.0,  # issue 12
    "router_aws_calls_per_browser_decision": 6,  # issue 12: the rate-limit counter included
    "router_aws_calls_per_decision_source_uncached": 6,
    "router_aws_calls_vendor_webhook_after_browser": 2,
    "sweep_worker_peak_mb_100000_accounts": 256,
    # destinations (issue 14)
    "slack_calls_per_lead": 1,
    "slack_calls_per_redelivered_lead": 0,
    "slack_hanging_batch_vs_timeout": 1.0,
    # forms: issue 12 - a vendor's webhook after the browser's decision of the same submission
    "forms_vendor_after_browser_aws_calls": 2,
    "forms_leads_per_browser_and_vendor_delivery": 1,
    "salesforce_calls_per_1000_qualified_leads": 5,  # sObject Collections of 200
    "hubspot_calls_per_1000_qualified_leads": 10,  # batch upserts of 100
    "salesforce_calls_per_1000_replayed": 0,
    "hubspot_calls_per_1000_replayed": 0,
    # issue 15
    "behaviour_events_scored_per_s": 5_000,
    "behaviour_dynamodb_writes_per_person_per_batch": 1,
    "behaviour_import_peak_1m_vs_100k": 1.5,
    # issue 13: one provider call per domain; a cache hit costs little CPU and no AWS call
    "enrichment_provider_calls_per_1000_from_300_domains": 300,
    "enrichment_added_cpu_ms_on_cache_hit": 0.3,
    "enrichment_added_aws_calls_on_cache_hit": 0,
}

COUNTRIES = ["United Kingdom", "USA", "Germany", "India", "Brazil", "Poland", "Japan", "Spain"]
TITLES = [
    "Software Engineer",
    "CEO",
    "Product Manager",
    "Head of Growth",
    "Data Scientist",
    "Sales",
]
DOMAINS = ["acme.io", "gmail.com", "example-corp.com", "mailinator.com", "outlook.com"]
EMPLOYEES = ["1-10", "11-50", "51-250", "251-1K", "1K-5K", "10K+"]
REVENUE = ["$0-$1M", "$1M-$10M", "$10M-$50M", "$50M-$100M", "$100M-$250M", "$1B+"]


def sample_bodies(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Deterministic, varied form bodies (some fields missing, as real forms are)."""
    rng = random.Random(seed)
    bodies = []
    for i in range(count):
        company: dict[str, Any] = {
            "country": rng.choice(COUNTRIES),
            "type": rng.choice(["Private", "Public", None]),
            "founded_year": rng.choice([2008, 2016, 2021, None]),
        }
        if rng.random() < 0.5:
            company["employees"] = rng.randint(1, 20_000)
        else:
            company["employees_range"] = rng.choice(EMPLOYEES)
        if rng.random() < 0.5:
            company["annual_revenue"] = rng.randint(0, 300) * 1_000_000
        else:
            company["revenue_range"] = rng.choice(REVENUE)
        bodies.append(
            {
                "email": f"lead{i}@{rng.choice(DOMAINS)}",
                "job_title": rng.choice(TITLES),
                "github": rng.choice(["octocat", None]),
                "company": company,
            }
        )
    return bodies


# --- the floor: the same two totals, written as plainly and quickly as possible --------------
_TIER10 = {"AT", "CA", "FR", "DE", "JP", "NO", "SE", "GB", "US"}
_TIER5 = {"AU", "BE", "EE", "FI", "GE", "GG", "NL", "NZ", "PL", "PT", "SG"}
_ICP = {"AU", "AT", "BE", "BR", "CA", "DK", "EE", "FI", "FR", "DE", "IS", "IE", "IL", "IT"}
_ICP |= {"JP", "LV", "LT", "NL", "NZ", "NO", "PT", "SG", "KR", "ES", "SE", "CH", "GB", "US"}
_LEAD_ROLE = {"engineering": 10, "product": 10, "leadership": 10, "marketing": 5}
_ICP_ROLE = {"engineering": 6, "leadership": 6, "product": 3}
_SUB = {"data_science_engineer", "project_engineer", "software_engineer", "web_engineer"}


def floor_scores(lead: NormalisedLead) -> tuple[int, int]:
    e, r, c = lead.employees, lead.annual_revenue, lead.country
    s = 0
    if e is not None:
        s += 20 if e >= 1000 else 10 if e >= 11 else 0
    if r is not None:
        s += 20 if r >= 1e8 else 10 if r >= 1e7 else 5 if r >= 1e6 else 0
    s += _LEAD_ROLE.get(lead.role or "", 0)
    s += 10 if lead.sub_role in _SUB or lead.sub_role == "founder_ceo" else 0
    s += 10 if c in _TIER10 else 5 if c in _TIER5 else 0
    i = 0
    if e is not None:
        i += 6 if 15 <= e < 500 else 3 if 500 <= e < 1000 else 0
    if r is not None:
        i += 6 if 1e6 <= r < 5e7 else 3 if 5e7 <= r <= 1e8 else 0
    i += 6 if lead.role == "product" and lead.has_github else _ICP_ROLE.get(lead.role or "", 0)
    i += 3 if lead.company_type == "private" else 0
    y = lead.founded_year
    i += 3 if y is not None and 2015 <= y <= 2022 else 0
    i -= 5 if c is not None and c not in _ICP else 0
    i -= 10 if lead.email_kind in (EmailKind.FREE_MAIL, EmailKind.DISPOSABLE) else 0
    return s, i


def per_second(work: Callable[[], object], items: int, repeats: int = 5) -> float:
    """Best-of-``repeats`` rate of ``work`` (which handles ``items`` items per call)."""
    best = min(_timed(work) for _ in range(repeats))
    return items / best


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def bench_scoring() -> dict[str, float]:
    scorer = Scorer(load_rulebook())
    bodies = sample_bodies(2_000)
    inputs = [LeadInput.model_validate(body) for body in bodies]
    leads = [scorer.normaliser.lead(lead) for lead in inputs] * 25  # 50,000 leads
    for lead in leads[:2_000]:  # the floor agrees with the product on every sample
        lead_card, icp_card = scorer.lead_score(lead), scorer.icp_score(lead)
        assert floor_scores(lead) == (lead_card.total, icp_card.total), lead
    # Worst case for the per-value item memo: every lead has an employee count and revenue
    # never seen before.
    unseen = [
        replace(lead, employees=100_000 + i, annual_revenue=1e9 + i) for i, lead in enumerate(leads)
    ]
    lead_score, icp_score = scorer.lead_score, scorer.icp_score

    def scoring(batch: list[NormalisedLead]) -> Callable[[], None]:
        def work() -> None:
            for lead in batch:
                lead_score(lead)
                icp_score(lead)

        return work

    def floor() -> None:
        for lead in leads:
            floor_scores(lead)

    def lead_only() -> None:
        for lead in leads:
            lead_score(lead)

    def icp_only() -> None:
        for lead in leads:
            icp_score(lead)

    # Product and floor are timed in alternation so both see the same machine.
    ours, floors = [], []
    for _ in range(5):
        ours.append(per_second(scoring(leads), len(leads), repeats=1))
        floors.append(per_second(floor, len(leads), repeats=1))
    return {
        "scoring_leads_per_s": max(ours),
        "floor_leads_per_s": max(floors),
        "scoring_vs_floor": max(floors) / max(ours),
        "scoring_unseen_values_leads_per_s": per_second(scoring(unseen), len(unseen)),
        "lead_score_only_per_s": per_second(lead_only, len(leads)),
        "icp_score_only_per_s": per_second(icp_only, len(leads)),
        "normalise_per_s": per_second(lambda: [scorer.normaliser.lead(x) for x in inputs], 2_000),
        "validate_normalise_score_per_s": per_second(
            lambda: [scorer.score(LeadInput.model_validate(b)) for b in bodies], 2_000
        ),
    }


def _report(results: dict[str, float]) -> None:
    print(f"{'figure':<44} {'value':>14}  goal")
    for name, value in results.items():
        goal = ""
        if name in GOALS:
            at_least = name.endswith(("per_s", "per_write_call"))
            goal = f">= {GOALS[name]:,}" if at_least else f"<= {GOALS[name]}"
            goal += "x" if name.endswith("_vs_floor") else ""
        elif name.startswith("cold_start_") and name.endswith("_vs_baseline"):
            goal = f"<= {GOALS['cold_start_worst_vs_baseline']}x"
        shown = f"{value:,.0f}" if value >= 100 else f"{value:.2f}"
        print(f"{name:<44} {shown:>14}  {goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parts = [
        "cold",
        "scoring",
        "webhook",
        "routing",
        "sweep",
        "dry_run",
        "slack",
        "forms",
        "router",
        "destinations",
        "behaviour",
        "enrichment",
        "layer",
    ]
    parser.add_argument("--only", choices=parts, help="run one part; results.json is kept")
    parser.add_argument(
        "--runs", type=int, help="cold-start runs per function (default: cold 15, layer 9 each)"
    )
    args = parser.parse_args()
    for name, value in {
        **FAKE_CREDENTIALS,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        os.environ.setdefault(name, value)  # moto only: no real AWS is ever called
    template = SamTemplate.load(ROOT / "template.yaml")
    base_env = {**os.environ, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
    benches: dict[str, Callable[[], dict[str, float]]] = {
        "cold": lambda: cold.cold_start(template, base_env, args.runs or 15),
        "scoring": bench_scoring,
        "webhook": lambda: webhook.cpu_per_submission(template) | webhook.aws_calls(template),
        "routing": routing.rule_evaluation,
        "sweep": lambda: sweep.sweep_calls(template) | sweep.sweep_memory(),
        "dry_run": lambda: dry_run.dry_run_throughput(sample_bodies(5_000)),
        "slack": lambda: slack.slack_calls(ROOT / "template.yaml"),
        "forms": lambda: forms.vendor_after_browser(template) | forms.cpu_per_delivery(template),
        "router": lambda: router.cpu_per_decision(template) | router.aws_calls(template),
        "destinations": destinations.crm_calls,
        "behaviour": lambda: (
            behaviour.events_per_second()
            | behaviour.writes_per_person(template)
            | behaviour.import_memory()
        ),
        "enrichment": lambda: (
            enrichment.provider_calls()
            | enrichment.cpu_on_a_cache_hit(template)
            | enrichment.aws_calls_on_a_cache_hit(template)
        ),
        "layer": lambda: layer.layer_cold_start(template, base_env, args.runs or 9),
    }
    results: dict[str, float] = {}
    for part in [args.only] if args.only else parts:
        results |= benches[part]()
    _report(results)
    if args.only:
        return
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
