"""The public verification page in a real browser (Debian chromium driven by Playwright).

The browser talks to the API through Playwright's request routing into the FastAPI TestClient, so
the page, its JavaScript and the API run for real without binding another port.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator

import pytest
from eth_account import Account
from PIL import Image

from registry_core.did import make_did
from tests.credential_fixtures import CredentialApi

CHROMIUM = shutil.which("chromium")
ORIGIN = "http://city.test"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "the browser test needs Debian's chromium (`make test` installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, credential_api: CredentialApi):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="de-DE")
    page = context.new_page()

    def forward(route) -> None:  # type: ignore[no-untyped-def]
        request = route.request
        path = request.url.removeprefix(ORIGIN)
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type",)}
        response = credential_api.client.request(
            request.method, path, content=request.post_data_buffer, headers=headers
        )
        route.fulfill(
            status=response.status_code,
            headers={"content-type": response.headers.get("content-type", "text/plain")},
            body=response.content,
        )

    page.route(f"{ORIGIN}/**", forward)
    page.goto(f"{ORIGIN}/verify")
    yield page
    context.close()


def _issue(api: CredentialApi) -> dict:
    body = {
        "type": "PARKING_PERMIT",
        "holder_did": make_did(Account.create().address, 52062),
        "claims": {"licensePlate": "AC-CD 42", "zone": "B2"},
    }
    response = api.client.post("/credentials", json=body, headers=api.headers("FB32"))
    assert response.status_code == 201, response.text
    return response.json()


def test_pasted_payload_shows_a_green_verdict_in_german_and_english(
    page, credential_api: CredentialApi
) -> None:
    issued = _issue(credential_api)
    assert page.locator("h1").inner_text() == "Nachweis der Stadt prüfen"
    page.fill("#payload", issued["qr_payload"])
    page.click("#check")
    verdict = page.locator("#verdict.valid")
    verdict.wait_for(timeout=10_000)
    assert verdict.inner_text().startswith("GÜLTIG")
    assert page.locator("#checks tr[data-status=passed]").count() == 7
    assert "Bewohnerparkausweis" in page.locator("#details").inner_text()
    page.click("#lang-en")
    assert page.locator("#verdict").inner_text().startswith("VALID")
    assert "Residents' parking permit" in page.locator("#details").inner_text()


def test_uploaded_screenshot_and_garbage_image(page, credential_api: CredentialApi) -> None:
    issued = _issue(credential_api)
    png = credential_api.client.post("/credentials/qr", json={"payload": issued["qr_payload"]})
    page.set_input_files(
        "#image", files=[{"name": "qr.png", "mimeType": "image/png", "buffer": png.content}]
    )
    page.locator("#verdict.valid").wait_for(timeout=10_000)
    assert page.input_value("#payload") == issued["qr_payload"]

    blank = io.BytesIO()
    Image.new("RGB", (120, 120), "white").save(blank, format="PNG")
    page.set_input_files(
        "#image", files=[{"name": "x.png", "mimeType": "image/png", "buffer": blank.getvalue()}]
    )
    page.locator("#verdict.invalid").wait_for(timeout=10_000)
    assert page.locator("#verdict").get_attribute("data-reason") == "no-qr-code"
    assert "kein QR-Code" in page.locator("#verdict").inner_text()
