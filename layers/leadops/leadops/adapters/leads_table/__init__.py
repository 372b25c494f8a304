"""The leads table: the only code that knows its key schema (written once, in ``keys``).

Single-table design (partition key ``pk``, sort key ``sk``, one GSI, TTL on ``expires_at``), one
class per item kind over the same table:

- lead (``Leads``): ``LEAD#<lead_id>`` / ``LEAD`` - the decision; gsi1 ``LEADS#<day>`` by
  received time
- account profile (``AccountProfiles``): ``ACCOUNT#<key>`` / ``PROFILE`` - company data last
  seen, customer flag
- account lockout (``AccountLockouts``): ``ACCOUNT#<key>`` / ``LOCKOUT`` - ``locked_until``;
  TTL removes it later
- rep (``Reps``): ``REP#<rep_id>`` / ``REP`` - the rep, ``assigned_count``; gsi1 ``REPS`` lists
  them
- pool (``Pools``): ``POOL#<role>#<territory>`` / ``POOL`` - its reps and the round-robin
  ``position``
- ICP sync (``IcpSyncs``): ``ICPSYNC#<email>`` / ``ICPSYNC`` - what PostHog was last sent for
  the email
- enrichment (``EnrichmentItems``): ``ENRICH#company#<domain>`` / ``ENRICH#person#<sha256>`` /
  ``ENRICHMENT`` - a provider answer until ``expires_at``; ``ENRICHBUDGET#<provider>#<month>`` -
  the month's calls
- form source (``FormSources``, issue 12): ``FORMSOURCE#<source_id>`` / ``FORMSOURCE`` - the
  form's vendor, secret name, field mapping, origins and visitor texts (``doc``)
- rate-limit counter (``RateLimits``, issue 12): ``RATE#<scope>#<hash>#<window start>`` /
  ``RATE`` - ``hits`` in a fixed window; TTL removes it after the window
- destination sync (``SyncLedgerTable``, issue 14): ``SYNC#<destination>#<record>`` / ``SYNC`` -
  the fingerprint of what Salesforce / HubSpot was last sent for a lead or an account

- person (``People``): ``PERSON#<person id>`` / ``PERSON`` - behaviour state (counts per day
  and rule, seen uuids, MQL status) under a version, and the latest lead's fit scores
- Slack MQL notice (``SlackNotices``, issue 15): ``SLACKMQL#<person id>#<mql_at>`` /
  ``SLACKMQL`` - the claim and the posted message of one MQL crossing (as on a lead item)

``WebhookStore`` reads and writes what one demo request needs across those kinds, in one
BatchGetItem and one TransactWriteItems. A lead's id is derived from its submission id, so a
replayed submission finds its lead with one read, and the conditional write makes a concurrent
duplicate lose cleanly.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadops.adapters.leads_table.accounts import (
        AccountLockouts,
        AccountProfile,
        AccountProfiles,
    )
    from leadops.adapters.leads_table.destinations import SyncLedgerTable
    from leadops.adapters.leads_table.enrichment import EnrichmentItems
    from leadops.adapters.leads_table.form_sources import FormSources
    from leadops.adapters.leads_table.icp_sync import IcpSyncs
    from leadops.adapters.leads_table.leads import Leads
    from leadops.adapters.leads_table.people import People
    from leadops.adapters.leads_table.pools import Pools
    from leadops.adapters.leads_table.rate_limits import RateLimits
    from leadops.adapters.leads_table.reps import Reps
    from leadops.adapters.leads_table.webhook import SubmissionTransaction, WebhookStore

# Each class loads on first use, with the domain modules it needs: a function's cold start
# pays only for the item kinds it touches (the webhook loads none of the destination syncs,
# ICP syncs, rate limits or form sources).
_HOME = {
    "AccountLockouts": "accounts",
    "AccountProfile": "accounts",
    "AccountProfiles": "accounts",
    "EnrichmentItems": "enrichment",
    "FormSources": "form_sources",
    "IcpSyncs": "icp_sync",
    "Leads": "leads",
    "People": "people",
    "Pools": "pools",
    "RateLimits": "rate_limits",
    "Reps": "reps",
    "SubmissionTransaction": "webhook",
    "SyncLedgerTable": "destinations",
    "WebhookStore": "webhook",
}


def __getattr__(name: str) -> Any:
    """A class of this package, imported from its module the first time it is asked for."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(name)
    found = getattr(import_module(f"leadops.adapters.leads_table.{module}"), name)
    globals()[name] = found  # later look-ups skip this function
    return found


__all__ = [
    "AccountLockouts",
    "AccountProfile",
    "AccountProfiles",
    "EnrichmentItems",
    "FormSources",
    "IcpSyncs",
    "Leads",
    "People",
    "Pools",
    "RateLimits",
    "Reps",
    "SubmissionTransaction",
    "SyncLedgerTable",
    "WebhookStore",
]
