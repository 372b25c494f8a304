"""The demo-request service wired to AWS, built in one place for the two functions that decide
demo requests: /webhooks/demo-request and the form vendors' /webhooks/forms/{source_id}, and
the public router (POST /router/forms/{source_id}/submit, GET /router)."""

from __future__ import annotations

from datetime import UTC, datetime

from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.bedrock import BedrockClassifier
from leadops.adapters.events import LeadEvents
from leadops.adapters.leads_table import Pools, WebhookStore
from leadops.adapters.queues import SupportQueue
from leadops.services.demo_requests import DemoRequests
from leadops.services.live_rulebook import LiveRulebook
from leadops.settings import FormWebhookSettings, RouterSettings, WebhookSettings


def demo_requests(
    settings: WebhookSettings | FormWebhookSettings | RouterSettings,
) -> DemoRequests:
    return DemoRequests(
        rules=LiveRulebook.of(settings.rulebook_table),
        store=WebhookStore(settings.leads_table, AccountsTable(settings.accounts_table)),
        pools=Pools(settings.leads_table),
        tickets=SupportQueue(settings.support_tickets_queue_url),
        events=LeadEvents(settings.event_bus_name),
        clock=lambda: datetime.now(UTC),
        # Optional AI qualifier: on when a Bedrock model id is configured; the rules always run.
        ai=BedrockClassifier(model_id) if (model_id := settings.ai_classifier_model_id) else None,
    )
