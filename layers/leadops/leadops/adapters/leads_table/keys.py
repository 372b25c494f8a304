"""The leads table's key schema, written once: every ``pk`` / ``sk`` (and gsi1 key) of every
item kind is built here (the package docstring lists them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from leadops.assignment import RepRole, pool_key


class Kind(StrEnum):
    """An item's kind is its sort key."""

    LEAD = "LEAD"
    PROFILE = "PROFILE"
    LOCKOUT = "LOCKOUT"
    REP = "REP"
    POOL = "POOL"
    ICP_SYNC = "ICPSYNC"
    ENRICHMENT = "ENRICHMENT"  # issue 13: a provider answer, cached
    ENRICHMENT_BUDGET = "ENRICHBUDGET"  # issue 13: a provider's calls in a month
    PERSON = "PERSON"  # behaviour score (issue 15)
    FORM_SOURCE = "FORMSOURCE"  # issue 12
    RATE = "RATE"  # the public router's rate-limit counters (issue 12)
    SYNC = "SYNC"  # issue 14: what a CRM destination was last sent
    SLACK_MQL = "SLACKMQL"  # issue 15: the Slack notice of one MQL crossing


@dataclass(frozen=True, slots=True)
class Key:
    pk: str
    sk: Kind

    @property
    def typed(self) -> dict[str, Any]:
        """As DynamoDB's low-level client takes it."""
        return {"pk": {"S": self.pk}, "sk": {"S": self.sk.value}}

    @classmethod
    def of(cls, item: dict[str, Any]) -> Key:
        """The key of a plain item."""
        return cls(str(item["pk"]), Kind(item["sk"]))


def lead(lead_id: str) -> Key:
    return Key(f"LEAD#{lead_id}", Kind.LEAD)


def profile(account: str) -> Key:
    return Key(f"ACCOUNT#{account}", Kind.PROFILE)


def lockout(account: str) -> Key:
    return Key(f"ACCOUNT#{account}", Kind.LOCKOUT)


def account_of(item: dict[str, Any]) -> str:
    """The account of a profile or lockout item."""
    return str(item["pk"]).removeprefix("ACCOUNT#")


def rep(rep_id: str) -> Key:
    return Key(f"REP#{rep_id}", Kind.REP)


def pool(role: RepRole, territory: str) -> Key:
    return Key(f"POOL#{pool_key(role, territory)}", Kind.POOL)


def pool_at(pool_pk: str) -> Key:
    """A pool's key from the ``pool_pk`` a rep item keeps (the pool it is on the roster of)."""
    return Key(pool_pk, Kind.POOL)


def icp_sync(distinct_id: str) -> Key:
    """What PostHog was last sent for one person (its distinct id: the email by default)."""
    return Key(f"ICPSYNC#{distinct_id}", Kind.ICP_SYNC)


def distinct_id_of_icp_sync(item: dict[str, Any]) -> str:
    return str(item["pk"]).removeprefix("ICPSYNC#")


def leads_on(day: date) -> str:
    """gsi1 partition of the leads received on ``day``."""
    return f"LEADS#{day.isoformat()}"


def lead_order(received_at: str, lead_id: str) -> str:
    """gsi1 sort key of a lead: by received time."""
    return f"{received_at}#{lead_id}"


REPS = "REPS"  # gsi1 partition listing every rep


# --- enrichment (issue 13) -------------------------------------------------------------------
def enrichment(kind: str, key: str) -> Key:
    """A cached provider answer: a company by domain, a person by the hash of their email."""
    return Key(f"ENRICH#{kind}#{key}", Kind.ENRICHMENT)


def enrichment_budget(provider: str, month: str) -> Key:
    """A provider's calls in one month (``2026-12``)."""
    return Key(f"ENRICHBUDGET#{provider}#{month}", Kind.ENRICHMENT_BUDGET)


# --- behaviour (issue 15) --------------------------------------------------------------------
def person(person_id: str) -> Key:
    """One person's behaviour state and latest lead (``person_id``: a hash of the email)."""
    return Key(f"PERSON#{person_id}", Kind.PERSON)


def person_id_of(item: dict[str, Any]) -> str:
    return str(item["pk"]).removeprefix("PERSON#")


# --- form sources (issue 12) -----------------------------------------------------------------
def form_source(source_id: str) -> Key:
    """A form source: its vendor, secret reference, field mapping, origins and texts."""
    return Key(f"FORMSOURCE#{source_id}", Kind.FORM_SOURCE)


# --- the public router (issue 12) ----------------------------------------------------------
def rate_counter(scope: str, subject: str, window_start: int) -> Key:
    """One rate-limit counter: ``scope`` ("ip", "answers"), its hashed subject, and the start
    (unix seconds) of its fixed window; TTL removes it after the window."""
    return Key(f"RATE#{scope}#{subject}#{window_start}", Kind.RATE)


# --- destinations (issue 14) ------------------------------------------------------------------
def sync(destination: str, record_key: str) -> Key:
    """What ``destination`` (salesforce, hubspot) was last sent for one record
    (``lead#<lead_id>``, ``account#<account_id>``): a fingerprint."""
    return Key(f"SYNC#{destination}#{record_key}", Kind.SYNC)


def record_key_of_sync(destination: str, item: dict[str, Any]) -> str:
    return str(item["pk"]).removeprefix(f"SYNC#{destination}#")


# --- Slack MQL notices (issue 15) ------------------------------------------------------------
def slack_mql(person_id: str, mql_at: str) -> Key:
    """The Slack notice of one person's MQL crossing (``mql_at``: when they crossed)."""
    return Key(f"SLACKMQL#{person_id}#{mql_at}", Kind.SLACK_MQL)
