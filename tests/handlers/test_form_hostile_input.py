"""Hostile deliveries at POST /webhooks/forms/{source_id} (issue 12), signed correctly so they
reach the readers: every vendor's sample with any part replaced by any JSON value, arbitrary
bytes, and (Jotform) arbitrary multipart parts. Never a 5xx; every 4xx names a field (the
approach of test_hostile_input.py, per vendor)."""

import json
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadops_local.template import SamTemplate
from tests.form_vendors import VENDORS, body_of, delivery_event, multipart, sample, source
from tests.handlers.test_hostile_input import json_values
from tests.helpers import FunctionUnderTest, call

SECRET = "hostile-secret"
HYPOTHESIS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def forms(aws: SamTemplate, load_function) -> FunctionUnderTest:  # type: ignore[no-untyped-def]
    api = load_function("FormSourcesApiFunction")
    for vendor in VENDORS:
        body = source(vendor)
        boto3.client("secretsmanager").create_secret(Name=body["secret_name"], SecretString=SECRET)
        assert call(api, "PUT", f"/form-sources/{vendor}", body)[0] == 200
    return load_function("FormWebhookFunction")


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``document`` a value sits (object keys and list positions)."""
    found = [prefix]
    if isinstance(document, dict):
        items: Any = document.items()
    elif isinstance(document, list):
        items = enumerate(document)
    else:
        return found
    for key, value in items:
        found += _paths(value, (*prefix, key))
    return found


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    place = copy
    for step in path[:-1]:
        place = place[step]
    place[path[-1]] = value
    return copy


def _jotform_document(path: tuple[Any, ...], value: Any) -> Any:
    """Jotform's parts are text: a replaced part is sent as its JSON text, and rawRequest's
    own answers are mutated inside its JSON string."""
    document = sample("jotform")
    raw = json.loads(document["parts"]["rawRequest"])
    mutated = _replaced(raw, path, value)
    document["parts"]["rawRequest"] = json.dumps(mutated)
    return document


def _answered(forms: FunctionUnderTest, vendor: str, body: bytes) -> None:
    response = forms.invoke(delivery_event(vendor, vendor, body, SECRET))
    status, answer = response["statusCode"], json.loads(response["body"])
    assert status < 500, answer
    if status >= 400:
        assert answer["errors"], answer
        assert all(error["field"] for error in answer["errors"]), answer


@pytest.mark.parametrize("vendor", VENDORS)
def test_any_part_of_a_delivery_replaced_never_fails(forms: FunctionUnderTest, vendor: str) -> None:
    document = sample(vendor)
    paths = _paths(json.loads(document["parts"]["rawRequest"]) if vendor == "jotform" else document)

    @HYPOTHESIS
    @given(path=st.sampled_from(paths), value=json_values)
    def check(path: tuple[Any, ...], value: Any) -> None:
        if vendor == "jotform":
            mutated = _jotform_document(path, value)
        else:
            mutated = _replaced(document, path, value)
        _answered(forms, vendor, body_of(vendor, mutated))

    check()


@pytest.mark.parametrize("vendor", VENDORS)
def test_any_bytes_never_fail(forms: FunctionUnderTest, vendor: str) -> None:
    @HYPOTHESIS
    @given(body=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
    def check(body: bytes) -> None:
        _answered(forms, vendor, body)

    check()


@HYPOTHESIS
@given(parts=st.dictionaries(st.sampled_from(["rawRequest", "submissionID", "formID", "x"]),
                             st.text(max_size=200), max_size=4))  # fmt: skip
def test_any_jotform_parts_never_fail(forms: FunctionUnderTest, parts: dict[str, str]) -> None:
    _answered(forms, "jotform", multipart(parts))
