"""ICP-sync items: ``ICPSYNC#<email>`` / ``ICPSYNC``, what PostHog was last sent for an email
(``icp_score``, ``icp_tier``, ``at``), so an unchanged score is not sent again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadops.adapters.dynamodb import Table, batch_write, typed
from leadops.adapters.leads_table import keys
from leadops.adapters.leads_table.leads import Leads
from leadops.adapters.leads_table.reads import get_all


class IcpSyncs(Table):
    def emails_and_last_sync(
        self, lead_ids: list[str]
    ) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        """The leads' emails, and what PostHog was last sent for each email (two BatchGets of at
        most 100 keys each per 100 leads)."""
        leads = get_all(self.name, [keys.lead(lead_id) for lead_id in lead_ids])
        emails = {stored.lead_id: stored.record.email for stored in map(Leads.parse, leads)}
        synced = get_all(self.name, [keys.icp_sync(email) for email in set(emails.values())])
        return emails, {keys.email_of_icp_sync(item): item for item in synced}

    def remember_sync(self, sent: dict[str, tuple[int, str]], at: datetime) -> None:
        """What PostHog now has for each email (BatchWriteItem, 25 at a time)."""
        requests = [
            {"PutRequest": {"Item": {**keys.icp_sync(email).typed,
                                     **typed(icp_score=score, icp_tier=tier, at=at.isoformat())}}}
            for email, (score, tier) in sent.items()
        ]  # fmt: skip
        batch_write(self.name, requests)
