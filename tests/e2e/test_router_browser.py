"""The router in a real browser (issue 12 item 6): headless Chromium, driven by Playwright with
the system's executable (never a downloaded browser), against ``make run``'s server.

A site on 127.0.0.1 (pytest-httpserver) serves a plain HTML form with the leadops.js snippet,
and each rep's booking page. A qualified lead sees its TAE's booking page after one request to
the router; an unqualified and a spam one read the same neutral message; the ``GET /router``
page does the same with JavaScript off. Screenshots go to the test's tmp folder (and into
docs/img/ with ``LEADOPS_SCREENSHOTS=docs``). Where no browser can start, the tests are skipped
with the reason (pytest's ``-ra`` summary prints it)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from leadops.lead_record import lead_id_for
from tests.e2e.test_local_api import RunningApi, _start
from tests.helpers import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
CHROMIUM = os.environ.get("LEADOPS_CHROMIUM", "/usr/bin/chromium")
MESSAGE = "Thank you! Our team will get back to you within one business day."
DOCS_IMG = ROOT / "docs" / "img"

QUALIFIED = {
    "email": "ada@acme-analytics.io", "first_name": "Ada", "last_name": "Lovelace",
    "job_title": "CTO", "company": "Acme Analytics", "company_domain": "acme-analytics.io",
    "employees": "300", "revenue": "$10M-$50M", "industry": "Software", "country": "Germany",
    "message": "We would like a demo for our data team.",
}  # fmt: skip
UNQUALIFIED = {**QUALIFIED, "email": "bob@tiny-shop.example", "job_title": "Office Manager",
               "company": "Tiny Shop", "company_domain": "tiny-shop.example",
               "employees": "3", "revenue": "$0-$1M", "industry": "Retail"}  # fmt: skip
SPAM = {**QUALIFIED, "email": "win@promo-deals.example", "company_domain": "promo-deals.example",
        "message": "Cheap links! http://a.example http://b.example http://c.example"}  # fmt: skip


def _page(api: str) -> str:
    """The site's demo page: a plain form posting to the site's own /thanks, and the snippet."""
    inputs = "".join(
        f'<label>{name.replace("_", " ").capitalize()}<input name="{name}"></label>'
        for name in QUALIFIED
        if name != "message"
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Acme Analytics - book a demo</title>
<style>body{{font:15px/1.4 system-ui,sans-serif;margin:0;background:#f4f6fb;color:#1d2330}}
header{{background:#1d2330;color:#fff;padding:14px 28px;font-weight:600}}
main{{max-width:720px;margin:24px auto;background:#fff;padding:24px 28px;border-radius:10px}}
form{{display:grid;grid-template-columns:1fr 1fr;gap:10px 16px}}
label{{display:flex;flex-direction:column;font-size:13px;color:#4b5563}}
input,textarea{{font:inherit;padding:6px 8px;border:1px solid #cfd5df;border-radius:6px}}
.wide{{grid-column:1/3}} button{{grid-column:1/3;padding:10px;border:0;border-radius:6px;
background:#2457d6;color:#fff;font-weight:600}} .hp{{position:absolute;left:-9999px}}</style>
</head><body><header>Acme Analytics</header><main><h1>Book a demo</h1>
<form id="demo-form" action="/thanks" method="post">{inputs}
<label class="wide">Message<textarea name="message"></textarea></label>
<label class="hp" aria-hidden="true">Website<input name="website" tabindex="-1"></label>
<button type="submit">Request a demo</button></form></main>
<script>window.routed = []; window.addEventListener("leadops:routed",
  function (e) {{ window.routed.push(e.detail); }});</script>
<script src="{api}/leadops.js" data-form="acme-demo" data-selector="#demo-form"></script>
</body></html>"""


def _booking_page(request: Request) -> Response:
    rep = request.path.rsplit("/", 1)[-1]
    body = (
        f"<!doctype html><html><body style='font:16px system-ui;margin:24px'>"
        f"<h2 id='calendar'>Book a call with {rep}</h2>"
        "<p>Tue 10:00 &middot; Tue 14:30 &middot; Wed 09:00 &middot; Thu 16:00</p></body></html>"
    )
    return Response(body, content_type="text/html")


@pytest.fixture(scope="module")
def site() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    server.expect_request("/book/grace").respond_with_handler(_booking_page)
    server.expect_request("/thanks", method="POST").respond_with_data("Thanks!")
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


@pytest.fixture(scope="module")
def api(site: HTTPServer) -> Iterator[RunningApi]:
    """``make run``'s server (a subprocess), a form source for the site and a TAE whose booking
    page is on the site."""
    running = _start("start-api", "--port", "0")
    try:
        origin = site.url_for("/").rstrip("/")
        form = {
            "vendor": "native", "secret_name": "leadops-local/forms/acme-demo",
            "fields": {"company": "company.name", "company_domain": "company.domain",
                       "employees": "company.employees", "revenue": "company.revenue_range",
                       "industry": "company.industry", "country": "company.country",
                       "website": "honeypot"},
            "allowed_origins": [origin], "message": MESSAGE,
        }  # fmt: skip
        _put(running, "/form-sources/acme-demo", form)
        rep = json.loads((ROOT / "events" / "bodies" / "rep-tae.json").read_text())
        _put(running, "/reps/grace", {**rep, "booking_url": site.url_for("/book/grace")})
        page = _page(running.url)
        site.expect_request("/demo").respond_with_data(page, content_type="text/html")
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(timeout=10)


def _put(api: RunningApi, path: str, body: dict[str, Any]) -> None:
    headers = {"content-type": "application/json"}
    status, _, answer = api.post(path, json.dumps(body).encode(), headers, method="PUT")
    assert status == 200, answer


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module; a skip naming the reason where none starts."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as missing:  # pragma: no cover - a dev install has it
        pytest.skip(f"playwright is not installed ({missing}): pip install -e '.[dev]'")
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set LEADOPS_CHROMIUM)"
        print(f"SKIPPED browser tests: {reason}", file=sys.stderr)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
        except Exception as failed:
            reason = f"Chromium at {CHROMIUM} did not start: {str(failed).splitlines()[0]}"
            print(f"SKIPPED browser tests: {reason}", file=sys.stderr)
            pytest.skip(reason)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def _save(page: Any, shots: Path, name: str) -> Path:
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("LEADOPS_SCREENSHOTS") == "docs":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / path.name)
    return path


def _fill_and_send(page: Any, answers: dict[str, str], honeypot: str = "") -> list[str]:
    """Fill the site's form and submit it; the requests the page made to the router."""
    routed: list[str] = []
    page.on(
        "request",
        lambda request: routed.append(request.method) if "/router/forms/" in request.url else None,
    )
    for name, value in answers.items():
        page.fill(f"[name={name}]", value)
    if honeypot:
        page.fill("[name=website]", honeypot)
    page.click("button[type=submit]")
    return routed


def test_a_qualified_lead_sees_the_chosen_taes_booking_page_after_one_request(
    browser: Any, api: RunningApi, site: HTTPServer, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(site.url_for("/demo"))
    browser_id = page.input_value("[name=leadops_submission_id]")
    assert len(browser_id) >= 32  # the snippet's hidden field, generated in the browser
    routed = _fill_and_send(page, QUALIFIED)
    frame = page.frame_locator("iframe.leadops-booking")
    frame.locator("#calendar").wait_for(timeout=15_000)
    assert frame.locator("#calendar").inner_text() == "Book a call with grace"
    assert page.locator(".leadops-title").inner_text() == "Book your demo with Grace Hopper"
    assert routed == ["POST"]  # one request: text/plain JSON needs no CORS preflight
    events = page.evaluate("window.routed")
    assert events == [
        {"outcome": "booking", "owner_id": "grace", "submission_id": f"form:acme-demo:{browser_id}"}
    ]
    _save(page, shots, "router-booking")
    # The form's own submission still reached the site (sent in the background).
    page.wait_for_timeout(300)
    posted = [request for request, _ in site.log if request.path == "/thanks"]
    assert posted
    assert posted[-1].form["email"] == QUALIFIED["email"]
    # The decision is the webhook's, stored under the browser's id.
    status, _, lead = api.post(f"/leads/{lead_id_for(f'form:acme-demo:{browser_id}')}", b"",
                               method="GET")  # fmt: skip
    assert (status, lead["outcome"], lead["owner"]["id"]) == (200, "instant_scheduler", "grace")
    page.close()


@pytest.mark.parametrize(
    ("name", "answers", "honeypot", "classification"),
    [
        ("unqualified", UNQUALIFIED, "", "sales"),
        ("spam", SPAM, "http://cheap.example", "spam"),
    ],
)
def test_unqualified_and_spam_leads_read_the_same_neutral_message(
    browser: Any,
    api: RunningApi,
    site: HTTPServer,
    shots: Path,
    name: str,
    answers: dict[str, str],
    honeypot: str,
    classification: str,
) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(site.url_for("/demo"))
    browser_id = page.input_value("[name=leadops_submission_id]")
    _fill_and_send(page, answers, honeypot)
    message = page.locator(".leadops-message")
    message.wait_for(timeout=15_000)
    assert message.inner_text() == MESSAGE
    assert page.locator("iframe").count() == 0
    assert page.evaluate("window.routed")[0]["outcome"] == "message"
    assert page.evaluate("window.routed")[0]["owner_id"] is None
    _save(page, shots, f"router-{name}")
    page.click(".leadops-modal button[aria-label=Close]")
    assert page.locator(".leadops-modal").count() == 0
    lead_id = lead_id_for(f"form:acme-demo:{browser_id}")
    status, _, lead = api.post(f"/leads/{lead_id}", b"", method="GET")
    assert (status, lead["classification"]) == (200, classification)
    page.close()


@pytest.mark.parametrize(
    ("answers", "shows_booking"),
    [({**QUALIFIED, "email": "grace@hopper-labs.io", "company_domain": "hopper-labs.io"}, True),
     ({**UNQUALIFIED, "email": "carl@tiny-shop.example"}, False)],
)  # fmt: skip
def test_the_redirect_page_works_without_javascript(
    browser: Any,
    api: RunningApi,
    shots: Path,
    answers: dict[str, str],
    shows_booking: bool,
) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1100, "height": 900}
    )
    page = context.new_page()
    response = page.goto(f"{api.url}/router?{urlencode({'form': 'acme-demo', **answers})}")
    assert response is not None
    assert response.status == 200
    if shows_booking:
        frame = page.frame_locator("iframe")
        frame.locator("#calendar").wait_for(timeout=15_000)
        assert frame.locator("#calendar").inner_text() == "Book a call with grace"
        assert "Grace Hopper" in page.locator("h1").inner_text()
        _save(page, shots, "router-page-booking")
    else:
        assert page.locator("p.note").inner_text() == MESSAGE
        assert page.locator("iframe").count() == 0
        _save(page, shots, "router-page-message")
    context.close()


def _hubspot_page(api: str) -> str:
    """A page where a HubSpot embedded (legacy) form reports its submission the way HubSpot's
    script does: window messages {type: "hsFormCallback", eventName, id, data} - onFormSubmit
    with the fields as [{name, value}], then onFormSubmitted (HubSpot's legacy forms page)."""
    answers = {**QUALIFIED, "email": "hs@acme-analytics.io"}
    pairs = json.dumps([{"name": name, "value": value} for name, value in answers.items()])
    return f"""<!doctype html><html><body><div id="hs-form">(HubSpot form)</div>
<script src="{api}/leadops.js" data-form="acme-demo"></script>
<script>
function hubspotSubmits() {{
  window.postMessage({{type: "hsFormCallback", eventName: "onFormSubmit", id: "guid-1",
                       data: {pairs}}}, "*");
  window.postMessage({{type: "hsFormCallback", eventName: "onFormSubmitted", id: "guid-1",
                       data: {{}}}}, "*");
}}
</script></body></html>"""


def test_a_hubspot_embedded_form_is_routed_from_its_message_events(
    browser: Any, api: RunningApi, site: HTTPServer
) -> None:
    site.expect_request("/hubspot").respond_with_data(
        _hubspot_page(api.url), content_type="text/html"
    )
    page = browser.new_page()
    page.goto(site.url_for("/hubspot"))
    page.evaluate("hubspotSubmits()")
    frame = page.frame_locator("iframe.leadops-booking")
    frame.locator("#calendar").wait_for(timeout=15_000)
    assert frame.locator("#calendar").inner_text() == "Book a call with grace"
    page.close()


def test_when_the_router_fails_the_form_submits_as_if_the_snippet_were_not_there(
    browser: Any, site: HTTPServer
) -> None:
    """The snippet served by the site itself, so its router (the site: no such route, 500) is
    down: the native submission goes ahead and the visitor lands on the form's own page."""
    snippet = (ROOT / "layers/leadops/leadops/static/leadops.js").read_text(encoding="utf-8")
    site.expect_request("/leadops.js").respond_with_data(snippet, content_type="text/javascript")
    down = _page(site.url_for("").rstrip("/"))
    site.expect_request("/down").respond_with_data(down, content_type="text/html")
    page = browser.new_page()
    page.goto(site.url_for("/down"))
    _fill_and_send(page, UNQUALIFIED)
    page.wait_for_url("**/thanks", timeout=15_000)
    assert page.content().count("Thanks!") == 1
    page.close()


def test_a_hubspot_v4_form_is_routed_from_its_success_event(
    browser: Any, api: RunningApi, site: HTTPServer
) -> None:
    """New HubSpot forms: window event ``hs-form-event:on-submission:success``, the form from
    ``HubSpotFormsV4.getFormFromEvent(event)``, its values (names like ``0-1/email``) from
    ``getFormFieldValues()`` (HubSpot's "Global form events" page); HubSpot's object stubbed."""
    values = json.dumps(
        [{"name": f"0-1/{name}", "value": value} for name, value in
         {**QUALIFIED, "email": "v4@acme-analytics.io"}.items()]
    )  # fmt: skip
    page_html = f"""<!doctype html><html><body>
<script src="{api.url}/leadops.js" data-form="acme-demo"></script>
<script>window.HubSpotFormsV4 = {{getFormFromEvent: function () {{ return {{
  getFormId: function () {{ return "guid-2"; }},
  getFormFieldValues: function () {{ return Promise.resolve({values}); }} }}; }} }};
</script></body></html>"""
    site.expect_request("/hubspot-v4").respond_with_data(page_html, content_type="text/html")
    page = browser.new_page()
    page.goto(site.url_for("/hubspot-v4"))
    page.evaluate("window.dispatchEvent(new Event('hs-form-event:on-submission:success'))")
    frame = page.frame_locator("iframe.leadops-booking")
    frame.locator("#calendar").wait_for(timeout=15_000)
    assert frame.locator("#calendar").inner_text() == "Book a call with grace"
    page.close()


def test_beacon_mode_routes_the_answers_and_leaves_the_form_alone(
    browser: Any, api: RunningApi, site: HTTPServer
) -> None:
    """``data-mode="beacon"``: the answers go with ``navigator.sendBeacon`` while the form
    navigates natively; the lead is decided and stored all the same."""
    page_html = _page(api.url).replace('data-selector="#demo-form"',
                                       'data-selector="#demo-form" data-mode="beacon"')  # fmt: skip
    site.expect_request("/beacon").respond_with_data(page_html, content_type="text/html")
    page = browser.new_page()
    page.goto(site.url_for("/beacon"))
    browser_id = page.input_value("[name=leadops_submission_id]")
    _fill_and_send(page, {**UNQUALIFIED, "email": "beacon@tiny-shop.example"})
    page.wait_for_url("**/thanks", timeout=15_000)
    lead_path = f"/leads/{lead_id_for(f'form:acme-demo:{browser_id}')}"
    for _ in range(50):  # the beacon is sent as the page unloads: give it a moment
        status, _, lead = api.post(lead_path, b"", method="GET")
        if status == 200:
            break
        page.wait_for_timeout(100)
    assert (status, lead["classification"]) == (200, "sales")
    page.close()
