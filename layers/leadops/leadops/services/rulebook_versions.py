"""The live rulebook's versions (``GET/PUT /rulebook``, ``/rulebook/versions``, rollback).

Every change is optimistic: it is decided against the live version it read and the store
writes nothing (errors.Conflict, a 409) if another change got in first. Putting the packaged
rulebook's own version, or rolling back to it, removes the live override.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, StringConstraints

from leadops.errors import Conflict, Invalid, NotFound
from leadops.ports import RulebookStore, StoredRulebook
from leadops.rulebook import Rulebook
from leadops.rules import Rules, packaged_rules
from leadops.services.live_rulebook import rules_from

logger = Logger(child=True)
Version = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Rollback(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    version: Version


def view(rules: Rules) -> dict[str, Any]:
    return {
        "version": rules.version,
        "source": rules.source,
        "activated_at": rules.activated_at,
        "rulebook": rules.rulebook.model_dump(mode="json"),
    }


class RulebookVersions:
    def __init__(
        self, store: RulebookStore, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.store = store
        self.clock = clock

    def current(self) -> Rules:
        """Read through the cache: this API answers what it just stored."""
        stored = self.store.active()
        return rules_from(stored) if stored else packaged_rules()

    def live(self) -> dict[str, Any]:
        return view(self.current())

    def version(self, version: str) -> dict[str, Any]:
        packaged = packaged_rules()
        if version == packaged.version:
            return view(packaged)
        return {**view(rules_from(self._stored(version))), "activated_at": None}

    def versions(self) -> dict[str, Any]:
        current = self.current().version
        packaged = packaged_rules()
        listed = [
            {"version": s.version, "description": s.document.get("description", ""),
             "source": "override", "stored_at": s.stored_at, "active": s.version == current}
            for s in self.store.versions()
        ]  # fmt: skip
        listed.append(
            {"version": packaged.version, "description": packaged.rulebook.description,
             "source": "packaged", "stored_at": None, "active": packaged.version == current}
        )  # fmt: skip
        return {"current": current, "versions": listed}

    def put(self, rulebook: Rulebook) -> dict[str, Any]:
        """Validate (done by the model), store the version and make it live in one write."""
        previous, live = self._live()
        packaged = packaged_rules()
        if rulebook.version == packaged.version:
            if rulebook != packaged.rulebook:
                raise Conflict(
                    "version",
                    f"{rulebook.version!r} is the packaged rulebook's version: "
                    "give the changed rulebook a new version",
                )
            return self._to_packaged(previous, live)
        now = self.clock()
        self.store.store_and_activate(rulebook.model_dump(mode="json"), now, previous, live)
        logger.info("rulebook activated", extra={"version": rulebook.version, "previous": previous})
        return _activated(rulebook.version, now, previous)

    def rollback(self, version: str) -> dict[str, Any]:
        previous, live = self._live()
        if version == packaged_rules().version:
            return self._to_packaged(previous, live)
        stored = self._stored(version)
        try:
            rules_from(stored)
        except ValueError as error:  # pydantic.ValidationError: this layer's model is stricter
            raise Invalid("version", f"{version!r} no longer validates: {error}") from error
        now = self.clock()
        self.store.activate(stored, now, previous, live)
        logger.info("rulebook rolled back", extra={"version": version, "previous": previous})
        return _activated(version, now, previous)

    def _live(self) -> tuple[str, str | None]:
        """(the live version, the live override's version or None while packaged is live)."""
        stored = self.store.active()
        return (stored.version, stored.version) if stored else (packaged_rules().version, None)

    def _to_packaged(self, previous: str, live: str | None) -> dict[str, Any]:
        if live is not None:
            self.store.deactivate(live)
        packaged = packaged_rules().version
        logger.info("packaged rulebook live", extra={"version": packaged, "previous": previous})
        return _activated(packaged, self.clock(), previous, source="packaged")

    def _stored(self, version: str) -> StoredRulebook:
        stored = self.store.version(version)
        if stored is None:
            raise NotFound("rulebook version", version)
        return stored


def _activated(
    version: str, at: datetime, previous: str, source: str = "override"
) -> dict[str, Any]:
    return {
        "version": version,
        "source": source,
        "activated_at": at.isoformat(),
        "previous_version": previous,
    }
