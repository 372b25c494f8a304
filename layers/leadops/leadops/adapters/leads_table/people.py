"""Person items: ``PERSON#<person id>`` / ``PERSON``, one person's behaviour state (counts per
day and rule, seen uuids, MQL status) under a ``version`` that every write checks and bumps, so
two writers never lose each other's events (the loser reads again and re-applies: its events
are de-duplicated by uuid). The demo-request webhook sets the ``lead_*`` / ``icp_score``
attributes (the person's latest lead, their fit) in its own transaction; behaviour writes never
touch them. The email is kept in the item (the PostHog sync reads it by person id); it never
reaches an event or a log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadops.adapters.dynamodb import Table, plain, typed
from leadops.adapters.leads_table import keys
from leadops.adapters.leads_table.reads import get_all
from leadops.behaviour import PersonState, StoredPerson, person_id


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class People(Table):
    @staticmethod
    def parse(item: dict[str, Any]) -> StoredPerson:
        doc = json.loads(item["doc"]) if item.get("doc") else None
        return StoredPerson(
            person_id=keys.person_id_of(item),
            email=str(item.get("email", "")),
            domain=item.get("domain"),
            state=PersonState.from_doc(doc),
            version=int(item.get("version", 0)),
            score=int(item.get("score", 0)),
            lead_id=item.get("lead_id"),
            icp_score=_int(item.get("icp_score")),
            lead_score=_int(item.get("lead_score")),
        )

    def get_many(self, person_ids: list[str]) -> dict[str, StoredPerson]:
        """The stored people among ``person_ids`` (consistent BatchGets of 100)."""
        wanted = [keys.person(pid) for pid in dict.fromkeys(person_ids)]
        return {p.person_id: p for p in map(self.parse, get_all(self.name, wanted, True))}

    def emails(self, person_ids: list[str]) -> dict[str, str]:
        """The email of each stored person (the PostHog sync's distinct id for lead.mql)."""
        return {pid: p.email for pid, p in self.get_many(person_ids).items() if p.email}

    def get(self, person_id: str) -> StoredPerson | None:
        return self.get_many([person_id]).get(person_id)

    def save(self, person: StoredPerson, at: datetime) -> bool:
        """Write the behaviour attributes if the stored version is still the one read
        (``person.version``); False when another writer got there first. A person with a
        stored lead has the lead's ``grade`` and ``behaviour_score`` set in the same request
        (one TransactWriteItems: still one write call per person), for reports by grade."""
        update = self._update(person, at)
        try:
            if person.lead_id and person.grade:
                lead = _lead_grade(self.name, person.lead_id, person.grade, person.score)
                self._db.transact_write_items(TransactItems=[{"Update": update}, lead])
            else:
                self._db.update_item(**update)
        except ClientError as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons") or []]
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException" or (
                reasons[:1] == ["ConditionalCheckFailed"]
            ):
                return False
            if reasons[1:2] != ["ConditionalCheckFailed"]:
                raise
            self._db.update_item(**update)  # the lead is gone: the person alone
        person.version += 1
        return True

    def _update(self, person: StoredPerson, at: datetime) -> dict[str, Any]:
        """The person's ``Update`` (UpdateItem / TransactWriteItems form), version-checked."""
        old = person.version
        values = typed(**{":doc": json.dumps(person.state.as_doc(), separators=(",", ":")),
                          ":v": old + 1, ":old": old, ":score": person.score,
                          ":email": person.email, ":at": at.isoformat(),
                          ":mql": person.state.mql_at is not None})  # fmt: skip
        names = {"#doc": "doc", "#v": "version"}
        update = "SET #doc = :doc, #v = :v, score = :score, email = :email, updated_at = :at"
        update += ", mql = :mql"
        if person.domain:
            update += ", #domain = :domain"
            names["#domain"] = "domain"
            values |= typed(**{":domain": person.domain})
        return {
            "TableName": self.name,
            "Key": keys.person(person.person_id).typed,
            "UpdateExpression": update,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ConditionExpression": "attribute_not_exists(#v) OR #v = :old",
        }

    def scored(self) -> Iterator[StoredPerson]:
        """Every person with a behaviour score above 0 (the daily decay sweep's scan)."""
        paginator = self._db.get_paginator("scan")
        for page in paginator.paginate(
            TableName=self.name,
            FilterExpression="sk = :kind AND score > :zero",
            ExpressionAttributeValues={":kind": {"S": keys.Kind.PERSON.value}, ":zero": {"N": "0"}},
        ):
            for raw in page["Items"]:
                yield self.parse(plain(raw))

    def remember_lead(
        self, email: str, lead_id: str, scores: dict[str, Any], at: datetime
    ) -> dict[str, Any]:
        """An ``Update`` (TransactWriteItems form) recording the person's latest lead and its
        fit scores (``lead_score``, ``icp_score``), for the webhook's transaction."""
        fields = {
            "lead_id": lead_id,
            "lead_at": at.isoformat(),
            "email": email.lower(),
            "lead_score": scores.get("lead_score"),
            "icp_score": scores.get("icp_score"),
        }
        present = {name: value for name, value in fields.items() if value is not None}
        return {
            "Update": {
                "TableName": self.name,
                "Key": keys.person(person_id(email)).typed,
                "UpdateExpression": "SET " + ", ".join(f"{n} = :{n}" for n in present),
                "ExpressionAttributeValues": typed(**{f":{n}": v for n, v in present.items()}),
            }
        }


def _lead_grade(table: str, lead_id: str, grade: str, score: int) -> dict[str, Any]:
    """The lead's ``grade`` / ``behaviour_score`` (TransactWriteItems form), only if it exists."""
    return {
        "Update": {
            "TableName": table,
            "Key": keys.lead(lead_id).typed,
            "UpdateExpression": "SET grade = :grade, behaviour_score = :score",
            "ExpressionAttributeValues": typed(**{":grade": grade, ":score": score}),
            "ConditionExpression": "attribute_exists(pk)",
        }
    }
