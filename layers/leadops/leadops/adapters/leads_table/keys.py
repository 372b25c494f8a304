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
