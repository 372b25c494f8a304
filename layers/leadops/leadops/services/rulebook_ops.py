"""Operating the rules (``RulebookApiFunction`` and ``DryRunWorkerFunction``): the three
services wired to the deployed tables and queue, in one place for both functions.

- versions of the live rulebook: leadops.services.rulebook_versions
- conversion reports: leadops.services.rule_reports
- dry runs of a candidate over stored history: leadops.services.dry_runs
"""

from __future__ import annotations

from dataclasses import dataclass

from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.leads_table import Leads
from leadops.adapters.queues import TaskQueue
from leadops.adapters.rulebook_table import RulebookTable
from leadops.services.dry_runs import DryRuns
from leadops.services.rule_reports import RuleReports
from leadops.services.rulebook_versions import RulebookVersions
from leadops.settings import RulebookSettings


@dataclass(frozen=True, slots=True)
class RulebookOps:
    versions: RulebookVersions
    reports: RuleReports
    dry_runs: DryRuns

    @classmethod
    def from_settings(cls, settings: RulebookSettings) -> RulebookOps:
        """As the rulebook API and the dry-run worker are deployed (template.yaml)."""
        table = RulebookTable(settings.rulebook_table)
        leads = Leads(settings.leads_table)
        # Dry runs and reports read the rules through this service, not LiveRulebook's cache:
        # they answer by the version this API has just made live.
        versions = RulebookVersions(table)
        dry_runs = DryRuns(
            rules=versions,
            jobs=table,
            continuations=TaskQueue(settings.dry_run_queue_url),
            leads=leads,
            accounts=AccountsTable(settings.accounts_table),
            sync_budget_ms=settings.dry_run_sync_budget_ms,
        )
        return cls(versions, RuleReports(versions, leads), dry_runs)
