"""A form vendor's webhook delivery, from raw request to stored decision (issue 12): the source
says the vendor, whose signature is checked its own way, whose body is read its own way and
mapped to our submission, which ``DemoRequests`` decides exactly as it decides
/webhooks/demo-request (same decision, same stored lead, same answer).

One lead per submission: the submission id comes from the form's hidden field
(``form_sources.HIDDEN_FIELD``) or the vendor's own id, so a redelivery, or the vendor's
webhook after the browser's call to the router, is a replay answered from the stored lead
(never decided again, no field merged). Reads per delivery: the source (cached in the
container), its secret (cached), then the demo request's own reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from leadops.errors import Invalid, NotFound
from leadops.form_deliveries import read_delivery
from leadops.form_sources import FormSource, FormSourceFields, map_answers
from leadops.http.vendor_signatures import SignedRequest, verify_delivery
from leadops.models import FormSubmission
from leadops.ports import FormSources
from leadops.services.demo_requests import DemoRequests

logger = Logger(child=True)


@dataclass(frozen=True)
class FormWebhooks:
    sources: FormSources
    secrets: Callable[[str], list[str]]  # a source's secret_name -> its values
    demo_requests: DemoRequests
    clock: Callable[[], float] = field(default=time.time)

    def handle(self, source_id: str, request: SignedRequest) -> dict[str, Any]:
        source = self.sources.get(source_id)
        if source is None:
            raise NotFound("form source", source_id)
        secrets = self.secrets(source.secret_name)
        verify_delivery(source.vendor, request, secrets, self.clock())  # SignatureError: 401
        content_type = request.headers.get("content-type")
        delivery = read_delivery(source.vendor, request.body, content_type)  # DeliveryError
        body = map_answers(source, delivery.answers, delivery.vendor_id)
        submission = FormSubmission.model_validate(body)  # ValidationError: 422 naming fields
        logger.info("form delivery", extra={"source_id": source_id, "vendor": source.vendor})
        return self.demo_requests.handle(submission)


def put_source(
    sources: FormSources, source_id: str, fields: FormSourceFields, secrets_prefix: str
) -> FormSource:
    """Store a source whose secret the functions may read (IAM allows the prefix only)."""
    if not fields.secret_name.startswith(secrets_prefix):
        raise Invalid("secret_name", f"the secret's name must start with {secrets_prefix!r}")
    source = FormSource(source_id=source_id, **fields.model_dump())
    sources.put(source)
    return source


def get_source(sources: FormSources, source_id: str) -> FormSource:
    source = sources.get(source_id)
    if source is None:
        raise NotFound("form source", source_id)
    return source
