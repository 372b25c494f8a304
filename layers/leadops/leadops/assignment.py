"""Who gets a lead: territory from the country, then weighted round robin over the active reps
of the (role, territory) pool. Pure: the position comes from an atomic DynamoDB counter, so
concurrent invocations each get their own slot and the sequence stays fair."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints

RepId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class RepRole(StrEnum):
    TAE = "TAE"  # technical account executive: new business, demo bookings
    TAM = "TAM"  # technical account manager: product-led
    BDR = "BDR"


class RepFields(BaseModel):
    """A sales rep as ``PUT /reps/{rep_id}`` takes it (the id is in the path)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    role: RepRole
    team: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    territory: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]
    weight: int = Field(gt=0, le=1000)
    active: bool = True
    booking_url: HttpUrl | None = None
    # Where this rep is in the destinations (issue 14): the CRM owner and the Slack user.
    salesforce_user_id: (
        Annotated[str, StringConstraints(pattern=r"^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")] | None
    ) = None
    hubspot_owner_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")] | None = None
    slack_user_id: Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,20}$")] | None = None


class Rep(RepFields):
    rep_id: RepId


def pool_key(role: RepRole, territory: str) -> str:
    return f"{role.value}#{territory}"


@lru_cache(maxsize=256)
def _smooth_sequence(weights: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    """One cycle of smooth weighted round robin (as nginx does it): each rep appears exactly
    ``weight`` times per cycle, spread out rather than in blocks."""
    total = sum(weight for _, weight in weights)
    current = dict.fromkeys((rep_id for rep_id, _ in weights), 0)
    sequence = []
    for _ in range(total):
        for rep_id, weight in weights:
            current[rep_id] += weight
        chosen = max(weights, key=lambda item: (current[item[0]], item[0]))[0]
        current[chosen] -= total
        sequence.append(chosen)
    return tuple(sequence)


def pick(reps: list[Rep], position: int) -> Rep | None:
    """The rep at ``position`` (0, 1, 2, ...) of the pool's weighted cycle; None if no rep is
    active. Inactive reps are skipped: the cycle is over active reps only."""
    active = sorted((rep for rep in reps if rep.active), key=lambda rep: rep.rep_id)
    if not active:
        return None
    sequence = _smooth_sequence(tuple((rep.rep_id, rep.weight) for rep in active))
    chosen = sequence[position % len(sequence)]
    return next(rep for rep in active if rep.rep_id == chosen)


@dataclass(frozen=True, slots=True)
class Pool:
    """A round-robin pool's reps and the slot reserved for this caller."""

    reps: list[Rep]
    position: int  # this caller's slot in the round robin, unique under concurrency
