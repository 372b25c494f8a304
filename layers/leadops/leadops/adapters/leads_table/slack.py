"""Slack notices, kept on the lead item itself (``LEAD#<lead_id>`` / ``LEAD``), so one read
gives the lead and whether it was announced:

- ``slack_ts``, ``slack_channel``, ``slack_posted_at``: the message posted (its id in the
  channel, the channel or user id; never the text);
- ``slack_claim``, ``slack_claim_until`` (epoch seconds): a worker is posting it now.

``claim`` is a conditional write: it succeeds only while nothing was posted and no other
worker's claim is live, so two deliveries of one lead (SQS and EventBridge both deliver at least
once) post once. A claim is a lease that ends with the claiming invocation's time budget: a
worker killed mid-post leaves a claim that has expired by the time SQS delivers the message
again.

An MQL crossing (issue 15) gets the same claim / posted / release on its own item
(``keys.slack_mql``: the person and the crossing's ``mql_at``), created by the claim: one
message per crossing, however often ``lead.mql`` is delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadops.adapters.dynamodb import Table, plain, typed
from leadops.adapters.leads_table import keys
from leadops.adapters.leads_table.leads import Leads
from leadops.adapters.leads_table.reps import Reps
from leadops.assignment import Rep
from leadops.errors import NotFound
from leadops.lead_record import StoredLead

_FREE = (
    "attribute_not_exists(slack_ts) AND "
    "(attribute_not_exists(slack_claim_until) OR slack_claim_until < :now)"
)
_CLAIM = f"attribute_exists(pk) AND {_FREE}"  # a lead's notice: on the lead item


def _conditional_failure(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


class SlackNotices(Table):
    def lead(self, lead_id: str) -> tuple[StoredLead, str | None]:
        """The lead, and its Slack message's ``ts`` if it was posted (one consistent read)."""
        answer = self._db.get_item(
            TableName=self.name, Key=keys.lead(lead_id).typed, ConsistentRead=True
        )
        if "Item" not in answer:
            raise NotFound("lead", lead_id)
        item = plain(answer["Item"])
        ts = item.get("slack_ts")
        return Leads.parse(item), str(ts) if ts else None

    def rep(self, rep_id: str) -> Rep | None:
        """The rep as stored now, or None if there is no such rep any more."""
        try:
            return Reps(self.name).get(rep_id)[0]
        except NotFound:
            return None

    def claim(self, lead_id: str, token: str, now: datetime, until: datetime) -> bool:
        """Take the right to post this lead's message until ``until``; False when it was posted
        or another worker's claim is live."""
        return self._claim(keys.lead(lead_id), token, now, until, _CLAIM)

    def posted(self, lead_id: str, channel: str, ts: str, at: datetime) -> bool:
        """Remember the message (and drop the claim); False if one was remembered already."""
        return self._posted(keys.lead(lead_id), channel, ts, at)

    def release(self, lead_id: str, token: str) -> bool:
        """Give up this worker's claim (the post failed), so a retry may post at once."""
        return self._release(keys.lead(lead_id), token)

    # --- one MQL crossing (issue 15): its own item, created by the claim ---------------------
    def claim_mql(
        self, person_id: str, mql_at: str, token: str, now: datetime, until: datetime
    ) -> bool:
        return self._claim(keys.slack_mql(person_id, mql_at), token, now, until, _FREE)

    def mql_posted(self, person_id: str, mql_at: str, channel: str, ts: str, at: datetime) -> bool:
        return self._posted(keys.slack_mql(person_id, mql_at), channel, ts, at)

    def release_mql(self, person_id: str, mql_at: str, token: str) -> bool:
        return self._release(keys.slack_mql(person_id, mql_at), token)

    def _claim(self, key: keys.Key, token: str, now: datetime, until: datetime, free: str) -> bool:
        values = {":token": token, ":until": int(until.timestamp()), ":now": int(now.timestamp())}
        return self._update(key, "SET slack_claim = :token, slack_claim_until = :until", free,
                            values)  # fmt: skip

    def _posted(self, key: keys.Key, channel: str, ts: str, at: datetime) -> bool:
        values = {":ts": ts, ":channel": channel, ":at": at.isoformat()}
        return self._update(
            key,
            "SET slack_ts = :ts, slack_channel = :channel, slack_posted_at = :at "
            "REMOVE slack_claim, slack_claim_until",
            "attribute_exists(pk) AND attribute_not_exists(slack_ts)",
            values,
        )

    def _release(self, key: keys.Key, token: str) -> bool:
        return self._update(
            key, "REMOVE slack_claim, slack_claim_until", "slack_claim = :token", {":token": token}
        )

    def _update(self, key: keys.Key, update: str, condition: str, values: dict[str, Any]) -> bool:
        try:
            self._db.update_item(
                TableName=self.name,
                Key=key.typed,
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=typed(**values),
            )
        except ClientError as error:
            if _conditional_failure(error):
                return False
            raise
        return True
