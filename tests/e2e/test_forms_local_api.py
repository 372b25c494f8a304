"""Form vendors' webhooks over real HTTP on `make run`'s server (issue 12): a Typeform delivery
(JSON, signed) and a Jotform one (multipart, the token in the URL) reach the form webhook through
the local API Gateway stand-in exactly as the vendors send them, and are decided once."""

import base64
import hashlib
import hmac
import json

import boto3
import pytest

from tests.e2e.test_local_api import RunningApi, api  # noqa: F401 - the module's server
from tests.form_vendors import BOUNDARY, body_of, sample, source
from tests.helpers import ROOT

pytestmark = pytest.mark.e2e
SECRET = "e2e-form-secret"


def _moto(server: RunningApi) -> str:
    """The local stack's moto endpoint, as the server logged it."""
    line = next(line for line in server.stderr_lines if "moto server on " in line)
    return line.split("moto server on ")[1].split()[0]


def _define(server: RunningApi, vendor: str) -> None:
    body = source(vendor)
    boto3.client("secretsmanager", endpoint_url=_moto(server)).create_secret(
        Name=body["secret_name"], SecretString=SECRET
    )
    raw = json.dumps(body).encode()
    status, _, answer = server.post(
        f"/form-sources/{vendor}", raw, {"content-type": "application/json"}, "PUT"
    )
    assert status == 200, answer


def test_typeform_and_jotform_deliveries_over_http(api: RunningApi) -> None:  # noqa: F811
    rep = (ROOT / "events" / "bodies" / "rep-tae.json").read_bytes()
    assert api.post("/reps/grace", rep, {"content-type": "application/json"}, "PUT")[0] == 200
    _define(api, "typeform")
    body = body_of("typeform", sample("typeform"))
    digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    headers = {"content-type": "application/json", "typeform-signature": f"sha256={digest}"}
    status, _, answer = api.post("/webhooks/forms/typeform", body, headers)
    assert (status, answer["outcome"]) == (200, "instant_scheduler"), answer
    assert api.post("/webhooks/forms/typeform", body, headers)[2] == answer  # a redelivery
    _define(api, "jotform")
    parts = body_of("jotform", sample("jotform"))
    multipart = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    status, _, answer = api.post(f"/webhooks/forms/jotform?token={SECRET}", parts, multipart)
    assert (status, answer["classification"]) == (200, "sales"), answer
    status, _, refused = api.post("/webhooks/forms/jotform?token=guess", parts, multipart)
    assert (status, refused["errors"][0]["field"]) == (401, "token")
