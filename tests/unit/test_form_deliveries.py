"""Each vendor's signature scheme and body reader, without AWS (issue 12). The signers in
tests/form_vendors.py are written from the vendors' docs, independently of the code under test."""

import json
import time

import pytest

from leadops.form_deliveries import DeliveryError, read_delivery
from leadops.form_sources import Answer, FormVendor
from leadops.http.vendor_signatures import (
    RefusedDelivery,
    SignedRequest,
    hubspot_source,
    verify_delivery,
)
from tests.form_vendors import HOST, SIGNERS, body_of, multipart, sample

NOW = 1_795_424_400.0
PATH = "/webhooks/forms/demo"


def _request(vendor: str, body: bytes, secret: str, now: float = NOW) -> SignedRequest:
    signed = SIGNERS[vendor](body, secret, PATH, now)
    query = dict(part.split("=", 1) for part in signed.query.split("&") if part)
    return SignedRequest("POST", f"https://{HOST}{PATH}", body, signed.headers, query)


@pytest.mark.parametrize("vendor", [v.value for v in FormVendor])
def test_each_vendors_own_signature_is_accepted_with_any_of_the_secrets(vendor: str) -> None:
    request = _request(vendor, b'{"a": 1}', "new-secret")
    verify_delivery(FormVendor(vendor), request, ["old-secret", "new-secret"], NOW)
    with pytest.raises(RefusedDelivery):
        verify_delivery(FormVendor(vendor), request, ["old-secret"], NOW)


@pytest.mark.parametrize("vendor", [v.value for v in FormVendor])
def test_a_changed_body_is_refused(vendor: str) -> None:
    request = _request(vendor, b'{"a": 1}', "s")
    tampered = SignedRequest(
        request.method, request.url, b'{"a": 2}', request.headers, request.query
    )
    if vendor == "jotform":  # the token is all Jotform has: it does not cover the body
        verify_delivery(FormVendor.JOTFORM, tampered, ["s"], NOW)
        return
    with pytest.raises(RefusedDelivery):
        verify_delivery(FormVendor(vendor), tampered, ["s"], NOW)


@pytest.mark.parametrize(
    ("vendor", "skew"), [("webflow", 301), ("hubspot", 301), ("webflow", -301)]
)
def test_a_signed_time_more_than_5_minutes_away_is_refused(vendor: str, skew: float) -> None:
    request = _request(vendor, b"{}", "s", NOW - skew)
    with pytest.raises(RefusedDelivery, match="5 minutes"):
        verify_delivery(FormVendor(vendor), request, ["s"], NOW)
    verify_delivery(FormVendor(vendor), _request(vendor, b"{}", "s", NOW - 299), ["s"], NOW)


def test_an_empty_secret_refuses_everything() -> None:
    request = _request("typeform", b"{}", "")
    with pytest.raises(RefusedDelivery, match="empty"):
        verify_delivery(FormVendor.TYPEFORM, request, ["", ""], NOW)


def test_hubspot_signs_the_uri_with_its_listed_escapes_decoded() -> None:
    """HubSpot v3: "decode any URL-encoded characters" of its table (%3A, %2F, %3F, %40, %21,
    %24, %27, %28, %29, %2A, %2C, %3B) before signing; others stay encoded."""
    source = hubspot_source("post", "https://h.io/p%3Aa%2fb?x=%40y%20z", b"{}", "1")
    assert source == b"POSThttps://h.io/p:a/b?x=@y%20z{}1"


def test_jotforms_token_is_the_query_parameter() -> None:
    request = SignedRequest("POST", "https://h/p", b"", {}, {"token": "t0k"})
    verify_delivery(FormVendor.JOTFORM, request, ["t0k"], time.time())
    with pytest.raises(RefusedDelivery, match="token"):
        verify_delivery(FormVendor.JOTFORM, SignedRequest("POST", "https://h/p", b""), ["t0k"], 0)


# --- readers --------------------------------------------------------------------------------
def _named(answers: list[Answer]) -> dict[str, object]:
    return {answer.names[0]: answer.value for answer in answers}


def test_typeform_answers_by_ref_id_and_title_with_choice_labels() -> None:
    delivery = read_delivery(FormVendor.TYPEFORM, body_of("typeform", sample("typeform")), None)
    assert delivery.vendor_id == "a3a12ec67a1365927098a606107fac15"
    by_ref = {answer.names[0]: answer for answer in delivery.answers}
    assert by_ref["work_email"].value == "ada@acme-analytics.io"
    assert by_ref["work_email"].names == ("work_email", "Xo1mWq2e3R4t", "What's your work email?")
    assert by_ref["revenue"].value == "$10M-$50M"
    assert by_ref["employees"].value == 300
    assert by_ref["leadops_submission_id"].value == "br_7f3c9a1e5d2b4c68"
    answers = [{"type": "choices", "choices": {"labels": ["A", "B"]}, "field": {"ref": "r"}}]
    choices = {"event_type": "form_response", "form_response": {"answers": answers}}
    (answer,) = read_delivery(FormVendor.TYPEFORM, json.dumps(choices).encode(), None).answers
    assert answer.value == ["A", "B"]


def test_tally_choices_are_option_texts_and_hidden_fields_answers() -> None:
    delivery = read_delivery(FormVendor.TALLY, body_of("tally", sample("tally")), None)
    assert delivery.vendor_id == "2wgx4n"
    by_label = {answer.names[1]: answer.value for answer in delivery.answers}
    assert by_label["Annual revenue"] == ["$10M-$50M"]
    assert by_label["leadops_submission_id"] == "br_7f3c9a1e5d2b4c68"


def test_webflow_reads_payload_data_and_id() -> None:
    delivery = read_delivery(FormVendor.WEBFLOW, body_of("webflow", sample("webflow")), None)
    assert delivery.vendor_id == "6321a42e7c0c9b6a4f1d3e52"
    assert _named(delivery.answers)["Work Email"] == "ada@acme-analytics.io"


def test_hubspot_reads_the_contact_or_a_flat_body() -> None:
    delivery = read_delivery(FormVendor.HUBSPOT, body_of("hubspot", sample("hubspot")), None)
    assert delivery.vendor_id == "5c1e2b7a-9d4f-4a3e-8b6c-0e2d1f3a4b5c"
    assert _named(delivery.answers)["jobtitle"] == "CTO"
    flat = read_delivery(FormVendor.HUBSPOT, b'{"email": "a@b.io", "firstname": "A"}', None)
    assert (_named(flat.answers), flat.vendor_id) == ({"email": "a@b.io", "firstname": "A"}, None)


def test_jotform_reads_multipart_raw_request_by_key_and_unique_name() -> None:
    body = body_of("jotform", sample("jotform"))
    delivery = read_delivery(
        FormVendor.JOTFORM, body, "multipart/form-data; boundary=" + _boundary(body)
    )
    assert delivery.vendor_id == "5791234567891234567"
    names = {answer.names: answer.value for answer in delivery.answers}
    assert names[("q4_email", "email")] == "ada@acme-analytics.io"
    assert names[("q3_name.first", "name.first")] == "Ada"


def _boundary(body: bytes) -> str:
    return body.split(b"\r\n", 1)[0].decode().removeprefix("--")


@pytest.mark.parametrize(
    ("vendor", "body", "content_type", "status", "field"),
    [
        ("typeform", b"not json", None, 400, "body"),
        ("typeform", b"[1, 2]", None, 422, "body"),
        ("typeform", b'{"form_response": {"answers": 3}}', None, 422, "form_response.answers"),
        ("tally", b'{"data": []}', None, 422, "data"),
        ("webflow", b'{"payload": {"data": "x"}}', None, 422, "payload.data"),
        ("jotform", b"{}", "application/json", 400, "body"),
        ("jotform", multipart({"formID": "1"}), "multipart/form-data; boundary=x", 400, "body"),
    ],
)
def test_a_body_not_in_the_vendors_shape_names_where(
    vendor: str, body: bytes, content_type: str | None, status: int, field: str
) -> None:
    with pytest.raises(DeliveryError) as refused:
        read_delivery(FormVendor(vendor), body, content_type)
    assert (refused.value.status, refused.value.field) == (status, field)


def test_jotform_without_raw_request_names_it() -> None:
    body = multipart({"submissionID": "1"})
    with pytest.raises(DeliveryError) as refused:
        read_delivery(FormVendor.JOTFORM, body, "multipart/form-data; boundary=" + _boundary(body))
    assert refused.value.field == "rawRequest"


def test_generic_json_reads_one_level_of_nesting() -> None:
    body = b'{"submission_id": "s1", "email": "a@b.io", "company": {"country": "DE"}}'
    delivery = read_delivery(FormVendor.GENERIC_JSON, body, None)
    assert delivery.vendor_id == "s1"
    assert _named(delivery.answers)["company.country"] == "DE"
