"""Form-source figures for `make bench` (issue 12): what a vendor's webhook costs when the
browser's call to the router already decided the same submission (the hidden field's id makes
them one submission): AWS calls counted at botocore on moto, in a warm container (source and
secret cached) and in a fresh one, and the leads stored (one); and the warm CPU of a new
Typeform delivery (signature, reading, mapping, deciding) with AWS stubbed out, beside the
demo-request webhook's own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

import boto3
import webhook
from calls import counting_aws, stubbed_aws
from moto import mock_aws

import leadops.adapters.aws
from leadops.adapters.leads_table import Leads, form_sources
from leadops.form_sources import HIDDEN_FIELD, FormSource, map_answers
from leadops.services import live_rulebook
from leadops_local.apigw import build_event, match_route
from leadops_local.provision import provision
from leadops_local.runtime import LocalFunction
from leadops_local.template import SamTemplate

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "events" / "forms"
DELIVERY = json.loads((FORMS / "typeform.json").read_text(encoding="utf-8"))
SOURCE = json.loads((FORMS / "typeform-source.json").read_text(encoding="utf-8"))
SOURCE_ID = "typeform-demo"
BROWSER_ID = DELIVERY["form_response"]["hidden"][HIDDEN_FIELD]


def _typeform_event(template: SamTemplate, delivery: dict[str, Any], secret: str) -> dict[str, Any]:
    """Signed as Typeform signs: sha256=<base64 HMAC-SHA256 of the raw body>."""
    raw = json.dumps(delivery).encode()
    digest = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()
    path = f"/webhooks/forms/{SOURCE_ID}"
    match = match_route(template.routes(), "POST", path)
    assert match is not None
    headers = [("content-type", "application/json"), ("typeform-signature", f"sha256={digest}")]
    return build_event(match, "POST", path, "", headers, raw)


def _browser_body() -> dict[str, Any]:
    """What the router decides for the browser's answers of the same submission."""
    source = FormSource.model_validate({**SOURCE, "source_id": SOURCE_ID})
    answers = {key: value for key, value in webhook.BODY.items() if key != "company"}
    body = map_answers(source, {**answers, HIDDEN_FIELD: BROWSER_ID})
    return body | {"company": webhook.BODY["company"]}


def vendor_after_browser(template: SamTemplate) -> dict[str, float]:
    os.environ["LEADOPS_LOCAL_SECRET_WebhookSecret"] = webhook.SECRET  # noqa: SIM112
    leadops.adapters.aws.client.cache_clear()
    with mock_aws(), webhook._quiet():
        provision(template, None)
        boto3.client("secretsmanager").create_secret(
            Name=SOURCE["secret_name"], SecretString=webhook.SECRET
        )
        api = LocalFunction(template.function("LeadsApiFunction"))
        sources = LocalFunction(template.function("FormSourcesApiFunction"))
        forms = LocalFunction(template.function("FormWebhookFunction"))
        api.invoke(webhook._event(template, "PUT", "/reps/grace", webhook.REP))
        sources.invoke(webhook._event(template, "PUT", f"/form-sources/{SOURCE_ID}", SOURCE))
        other = {**DELIVERY, "form_response": {**DELIVERY["form_response"], "hidden": {}}}
        forms.invoke(_typeform_event(template, other, webhook.SECRET))  # warm: a new submission
        native = LocalFunction(template.function("WebhookFunction"))
        native.invoke(webhook._event(template, "POST", "/webhooks/demo-request", _browser_body()))
        event = _typeform_event(template, DELIVERY, webhook.SECRET)
        with counting_aws() as calls:
            answer = forms.invoke(event)
        warm = dict(calls)
        form_sources.expire_all()  # a fresh container: no cached source, secret, rulebook
        leadops.adapters.aws.reset()
        live_rulebook.expire_all()
        with counting_aws() as calls:
            forms.invoke(event)
        fresh = dict(calls)
        leads = len(Leads(template.physical_name("LeadsTable")).scan())
    assert answer["statusCode"] == 200, answer
    leadops.adapters.aws.client.cache_clear()
    print(f"  AWS calls, vendor webhook after the browser's decision (warm): {warm}")
    print(f"  the same in a fresh container: {fresh}")
    return {
        "forms_vendor_after_browser_aws_calls": sum(warm.values()),
        "forms_vendor_after_browser_calls_cold": sum(fresh.values()),
        "forms_leads_per_browser_and_vendor_delivery": leads - 1,  # the warm-up made one
    }


class _StubWithSource(webhook._StubDynamoDB):
    """The webhook bench's instant AWS, also answering the form source's GetItem."""

    def get_item(self, **params: Any) -> dict[str, Any]:
        if str(params["Key"]["pk"]["S"]).startswith("FORMSOURCE#"):
            doc = json.dumps({**SOURCE, "source_id": SOURCE_ID})
            return {"Item": {"doc": {"S": doc}}}
        return super().get_item(**params)


def cpu_per_delivery(template: SamTemplate, count: int = 2_000) -> dict[str, float]:
    forms = LocalFunction(template.function("FormWebhookFunction"))
    events = []
    for i in range(count):
        response = {**DELIVERY["form_response"], "hidden": {HIDDEN_FIELD: f"b{i}"}}
        events.append(
            _typeform_event(template, {**DELIVERY, "form_response": response}, webhook.SECRET)
        )
    with stubbed_aws(_StubWithSource()):
        return {"forms_cpu_ms_per_typeform_delivery": webhook.warm_cpu_ms(forms, events)}
