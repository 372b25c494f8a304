"""The demo-request service wired to AWS, built in one place for the two functions that decide
demo requests: /webhooks/demo-request and the form vendors' /webhooks/forms/{source_id}, and
the public router (POST /router/forms/{source_id}/submit, GET /router)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from leadops.adapters.accounts_table import AccountsTable
from leadops.adapters.bedrock import BedrockClassifier
from leadops.adapters.enrichment import build_enricher
from leadops.adapters.events import LeadEvents
from leadops.adapters.leads_table import Pools, WebhookStore
from leadops.adapters.queues import EnrichmentQueue, SupportQueue
from leadops.services.demo_requests import DemoRequests
from leadops.services.live_rulebook import LiveRulebook
from leadops.settings import DemoRequestSettings, EnrichedWebhookSettings


def enriched_demo_requests(settings: EnrichedWebhookSettings) -> DemoRequests:
    """The demo-request service with the stack's enrichment providers (issue 13): none named,
    exactly ``demo_requests``. No retries within the webhook's deadline: a lookup that misses it
    is finished by the enrichment worker."""
    queue = settings.enrichment_queue_url
    return replace(
        demo_requests(settings),
        enricher=build_enricher(settings, settings.leads_table, settings.enrichment_deadline_ms, 0),
        enrichment_tasks=EnrichmentQueue(queue) if queue else None,
    )


def demo_requests(settings: DemoRequestSettings) -> DemoRequests:
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
