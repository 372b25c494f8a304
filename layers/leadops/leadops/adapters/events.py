"""EventBridge: leadops' own bus (the only code that publishes to it)."""

from __future__ import annotations

import json
from typing import Any

from leadops.adapters import aws

SOURCE = "leadops"


class LeadEvents:
    def __init__(self, bus_name: str) -> None:
        self.bus = bus_name

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        answer = aws.client("events").put_events(
            Entries=[
                {
                    "EventBusName": self.bus,
                    "Source": SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, separators=(",", ":")),
                }
            ]
        )
        if answer.get("FailedEntryCount"):
            code = answer["Entries"][0].get("ErrorCode", "unknown")
            raise RuntimeError(f"EventBridge refused {detail_type}: {code}")
