"""ICP-sync items: ``ICPSYNC#<distinct id>`` / ``ICPSYNC``, what PostHog was last sent for a
person (``icp_score``, ``icp_tier``, ``at``), so an unchanged score is not sent again. The
distinct id is the email unless the stack sends the form's PostHog id (``POSTHOG_DISTINCT_ID``).

BatchGetItem refuses a request that names one key twice, and a batch of the ICP-sync queue may
hold one lead twice (SQS and EventBridge both deliver at least once): keys are asked once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadops.adapters.dynamodb import Table, batch_write, typed
from leadops.adapters.leads_table import keys
from leadops.adapters.leads_table.leads import Leads
from leadops.adapters.leads_table.reads import get_all
from leadops.icp_sync import IcpPerson

DISTINCT_ID_FIELD = "posthog_distinct_id"  # the submission field (leadops.models.LeadInput)


class IcpSyncs(Table):
    def people(self, lead_ids: list[str]) -> dict[str, IcpPerson]:
        """Each lead found: its email and the PostHog id its form sent (BatchGets of 100)."""
        found = get_all(self.name, [keys.lead(lead_id) for lead_id in dict.fromkeys(lead_ids)])
        people: dict[str, IcpPerson] = {}
        for stored in map(Leads.parse, found):
            form_id = (stored.record.submission or {}).get(DISTINCT_ID_FIELD)
            people[stored.lead_id] = IcpPerson(
                stored.record.email, form_id if isinstance(form_id, str) and form_id else None
            )
        return people

    def last_sync(self, distinct_ids: list[str]) -> dict[str, dict[str, Any]]:
        """What PostHog was last sent for each person, by distinct id (BatchGets of 100)."""
        ids = dict.fromkeys(distinct_ids)
        synced = get_all(self.name, [keys.icp_sync(distinct_id) for distinct_id in ids])
        return {keys.distinct_id_of_icp_sync(item): item for item in synced}

    def remember_sync(self, sent: dict[str, tuple[int, str]], at: datetime) -> None:
        """What PostHog now has for each distinct id (BatchWriteItem, 25 at a time)."""
        requests = [
            {"PutRequest": {"Item": {**keys.icp_sync(distinct_id).typed,
                                     **typed(icp_score=score, icp_tier=tier, at=at.isoformat())}}}
            for distinct_id, (score, tier) in sent.items()
        ]  # fmt: skip
        batch_write(self.name, requests)
