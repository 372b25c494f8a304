"""Destination-sync items: ``SYNC#<destination>#<record key>`` / ``SYNC``, the fingerprint of
what a CRM destination was last sent for one record (``lead#<lead_id>``,
``account#<account_id>``) and when, so a replayed delivery sends nothing. Also the reads a
destination worker makes: the stored leads and their reps (BatchGets of 100; a key asked once
even when a batch names it twice)."""

from __future__ import annotations

from datetime import datetime

from leadops.adapters.dynamodb import Table, batch_write, typed
from leadops.adapters.leads_table import keys
from leadops.adapters.leads_table.leads import Leads
from leadops.adapters.leads_table.reads import get_all
from leadops.assignment import Rep
from leadops.lead_record import StoredLead


class SyncLedgerTable(Table):
    def leads(self, lead_ids: list[str]) -> dict[str, StoredLead]:
        found = get_all(self.name, [keys.lead(lead_id) for lead_id in dict.fromkeys(lead_ids)])
        return {stored.lead_id: stored for stored in map(Leads.parse, found)}

    def reps(self, rep_ids: list[str]) -> dict[str, Rep]:
        found = get_all(self.name, [keys.rep(rep_id) for rep_id in dict.fromkeys(rep_ids)])
        return {rep.rep_id: rep for rep in (Rep.model_validate_json(i["doc"]) for i in found)}

    def last_sent(self, destination: str, record_keys: list[str]) -> dict[str, str]:
        wanted = [keys.sync(destination, key) for key in dict.fromkeys(record_keys)]
        found = get_all(self.name, wanted)
        return {keys.record_key_of_sync(destination, i): str(i["fingerprint"]) for i in found}

    def remember_sent(self, destination: str, sent: dict[str, str], at: datetime) -> None:
        requests = [
            {"PutRequest": {"Item": {**keys.sync(destination, key).typed,
                                     **typed(fingerprint=print_, at=at.isoformat())}}}
            for key, print_ in sent.items()
        ]  # fmt: skip
        batch_write(self.name, requests)
