"""The demo-request use case wired to AWS, once per container: what the webhook decides with,
so the public router makes the same decision, round robin and stored lead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.bedrock import BedrockClassifier
from leadops.adapters.events import LeadEvents
from leadops.adapters.leads_table import Pools, WebhookStore
from leadops.adapters.queues import SupportQueue
from leadops.services.demo_requests import DemoRequests
from leadops.services.live_rulebook import LiveRulebook


class DecidingSettings(Protocol):
    """The variables a function that decides demo requests has (WebhookSettings, ...)."""

    @property
    def rulebook_table(self) -> str | None: ...
    @property
    def leads_table(self) -> str: ...
    @property
    def accounts_table(self) -> str: ...
    @property
    def support_tickets_queue_url(self) -> str: ...
    @property
    def event_bus_name(self) -> str: ...
    @property
    def ai_classifier_model_id(self) -> str | None: ...


def demo_requests(settings: DecidingSettings) -> DemoRequests:
    model_id = settings.ai_classifier_model_id
    return DemoRequests(
        rules=LiveRulebook.of(settings.rulebook_table),
        store=WebhookStore(settings.leads_table, AccountsTable(settings.accounts_table)),
        pools=Pools(settings.leads_table),
        tickets=SupportQueue(settings.support_tickets_queue_url),
        events=LeadEvents(settings.event_bus_name),
        clock=lambda: datetime.now(UTC),
        # Optional AI qualifier: on when a Bedrock model id is configured; the rules always run.
        ai=BedrockClassifier(model_id) if model_id else None,
    )
