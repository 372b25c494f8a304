"""The demo-request webhook's reads and writes (``leadops.ports.DemoRequestStore``): one
BatchGetItem before deciding (and, for an account with an owner, that rep's item), one
TransactWriteItems to store the decision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadops.adapters import aws
from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.dynamodb import Table
from leadops.adapters.leads_table import keys
from leadops.adapters.leads_table.accounts import AccountLockouts, AccountProfiles
from leadops.adapters.leads_table.enrichment import EnrichmentItems
from leadops.adapters.leads_table.leads import Leads
from leadops.adapters.leads_table.people import People
from leadops.adapters.leads_table.reads import batch_get
from leadops.adapters.leads_table.reps import Reps
from leadops.assignment import Rep
from leadops.errors import NotFound
from leadops.lead_record import Intake, LeadRecord
from leadops.ports import AlreadyStored, CacheEntry


class WebhookStore(Table):
    """The leads table, and the accounts table for the routing signals a demo request leaves."""

    def __init__(self, table_name: str, accounts: AccountsTable) -> None:
        super().__init__(table_name)
        self.accounts = accounts

    def read_intake(
        self, lead_id: str, account: str, cache_keys: Sequence[tuple[str, str]] = ()
    ) -> Intake:
        """One BatchGetItem: the lead (replay?), the account's profile and lockout, and from the
        accounts table the domain's pointer to an imported account (with its plan and MRR) and
        the owner of that account's routing (``AccountsTable.intake_keys``); with enrichment on,
        the cached provider answers of ``cache_keys`` too (no call of their own)."""
        wanted = (keys.lead(lead_id), keys.profile(account), keys.lockout(account))
        cached = [EnrichmentItems.key(*key) for key in cache_keys]
        accounts = [{k: {"S": v} for k, v in key.items()}
                    for key in self.accounts.intake_keys(account)]  # fmt: skip
        found = batch_get(
            {
                self.name: {
                    "Keys": [key.typed for key in (*wanted, *cached)],
                    "ConsistentRead": True,
                },
                self.accounts.name: {"Keys": accounts},
            }
        )
        items = {keys.Key.of(item): item for item in found.get(self.name, [])}
        lead = items.get(wanted[0])
        profile = AccountProfiles.parse(items.get(wanted[1]))
        known = self.accounts.domain_account(found.get(self.accounts.name, []), account)
        return Intake(
            lead=Leads.parse(lead).record if lead else None,
            company=profile.company,
            customer=profile.customer,
            locked_until=AccountLockouts.locked_until(items.get(wanted[2])),
            routed_as=known.account_id,
            plan=known.plan,
            mrr=known.mrr,
            owner_id=known.owner_id,
            owner_role=known.owner_role,
            enrichment_cache=EnrichmentItems.parse(found.get(self.name, [])) if cached else {},
            snapshot_company=known.company,
        )

    def rep(self, rep_id: str) -> Rep | None:
        """A rep as stored now (one GetItem), or None if there is no such rep."""
        try:
            return Reps(self.name).get(rep_id)[0]
        except NotFound:
            return None

    def lead(self, lead_id: str) -> LeadRecord:
        return Leads(self.name).get(lead_id).record

    def writes(self) -> SubmissionTransaction:
        return SubmissionTransaction(self.name, self.accounts)


class SubmissionTransaction:
    """A unit of work (``leadops.ports.SubmissionWrites``): the items one submission writes,
    committed as one TransactWriteItems, the new lead first."""

    def __init__(self, table_name: str, accounts: AccountsTable) -> None:
        self._leads = Leads(table_name)
        self._reps = Reps(table_name)
        self._profiles = AccountProfiles(table_name)
        self._people = People(table_name)
        self._enrichment = EnrichmentItems(table_name)
        self._accounts = accounts
        self._lead: dict[str, Any] | None = None
        self._lead_id = ""
        self._more: list[dict[str, Any]] = []

    def add_lead(
        self, lead_id: str, record: LeadRecord, *, owner_id: str | None, expires_at: int | None
    ) -> None:
        self._lead_id = lead_id
        self._lead = self._leads.put(lead_id, record, owner_id=owner_id, expires_at=expires_at)

    def count_assignment(self, rep_id: str) -> None:
        self._more.append(self._reps.count_assignment(rep_id))

    def remember_profile(self, account: str, company: dict[str, Any], at: datetime) -> None:
        self._more.append(self._profiles.update(account, company, at))

    def remember_enrichment(self, entry: CacheEntry) -> None:
        self._more.append(self._enrichment.put(entry))

    def add_signal(
        self, account_id: str, signal: dict[str, Any], at: datetime, window_days: int
    ) -> None:
        self._more.append(self._accounts.signal_put(account_id, signal, at, window_days))

    def remember_person(
        self, email: str, lead_id: str, scores: dict[str, Any], at: datetime
    ) -> None:
        self._more.append(self._people.remember_lead(email, lead_id, scores, at))

    def commit(self) -> None:
        if self._lead is None:
            raise ValueError("a submission's writes store its lead")
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=[self._lead, *self._more])
        except ClientError as error:
            if _condition_failed_on_first(error):
                raise AlreadyStored(self._lead_id) from error
            raise


def _condition_failed_on_first(error: ClientError) -> bool:
    if error.response["Error"]["Code"] != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons") or []
    if reasons:
        return bool(reasons[0].get("Code") == "ConditionalCheckFailed")
    return "ConditionalCheckFailed" in str(error)
