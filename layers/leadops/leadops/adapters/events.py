"""EventBridge: leadops' own bus (the only code that publishes to it)."""

from __future__ import annotations

import json
from typing import Any

from leadops.adapters import aws

SOURCE = "leadops"


PUT_EVENTS_LIMIT = 10  # entries per PutEvents call


class LeadEvents:
    def __init__(self, bus_name: str) -> None:
        self.bus = bus_name

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        self.publish_all(detail_type, [detail])

    def publish_all(self, detail_type: str, details: list[dict[str, Any]]) -> None:
        """Every detail as one event, 10 to a PutEvents call; raises naming the first refusal."""
        for start in range(0, len(details), PUT_EVENTS_LIMIT):
            entries = [
                {
                    "EventBusName": self.bus,
                    "Source": SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, separators=(",", ":")),
                }
                for detail in details[start : start + PUT_EVENTS_LIMIT]
            ]
            answer = aws.client("events").put_events(Entries=entries)
            if answer.get("FailedEntryCount"):
                codes = [e["ErrorCode"] for e in answer["Entries"] if e.get("ErrorCode")]
                code = codes[0] if codes else "unknown"
                raise RuntimeError(f"EventBridge refused {detail_type}: {code}")
