"""The public verification page in a real browser (Debian chromium driven by Playwright).

Real HTTP, a real browser: the API runs as a uvicorn process on a free loopback port
(``tests.api_process.ApiProcess``), the browser loads the page from it and the page's JavaScript
calls it over a real socket; nothing is intercepted. The test issues its credentials through the
same server.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from eth_account import Account
from PIL import Image

from registry_core.did import make_did
from tests.api_process import ApiProcess, credential_api_env, department_key, poll
from tests.credential_fixtures import CredentialCity

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FilePayload, Page

CHROMIUM = shutil.which("chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ISSUER = "FB32"  # issues residents' parking permits


@dataclass(frozen=True)
class VerifyApi:
    """The running API, with an HTTP client that holds the issuing department's key."""

    process: ApiProcess
    client: httpx.Client

    @property
    def url(self) -> str:
        return self.process.url


@pytest.fixture(scope="module")
def verify_api(
    credential_city: CredentialCity,
    gateway_url: str,
    deployments_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[VerifyApi]:
    """The API as uvicorn serves it, with the credential city's keys and its own database."""
    data_dir = tmp_path_factory.mktemp("verify-page-api")
    token = department_key(data_dir, department=ISSUER, credential_types=["PARKING_PERMIT"])
    env = credential_api_env(
        gateway_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=data_dir,
        keys_dir=credential_city.keys_dir,
        passphrase=credential_city.passphrase,
    )
    process = ApiProcess(env=env, log_path=data_dir / "api.log")
    process.start()
    try:
        with httpx.Client(
            base_url=process.url, headers={"X-API-Key": token}, timeout=30, trust_env=False
        ) as client:
            yield VerifyApi(process, client)
    finally:
        process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "the browser test needs Debian's chromium (`make test` installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, verify_api: VerifyApi) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(f"{verify_api.url}/verify")
    assert response is not None and response.ok, response and response.status
    yield page
    context.close()
    # Everything the page loaded or called came from the API server, over the network.
    assert requested and all(url.startswith(f"{verify_api.url}/") for url in requested), requested


def _issue(api: VerifyApi) -> dict[str, Any]:
    body = {
        "type": "PARKING_PERMIT",
        "holder_did": make_did(Account.create().address, 52062),
        "claims": {"licensePlate": "AC-CD 42", "zone": "B2"},
    }
    response = api.client.post("/credentials", json=body)
    assert response.status_code in (201, 202), response.text
    if response.status_code == 201:
        issued: dict[str, Any] = response.json()
        return issued
    # Not anchored within the API's wait (its worker process may still be starting): follow
    # the status URL, as a client does.
    url = response.json()["status_url"]
    return poll(lambda: api.client.get(url).json()["credential"], timeout=60, what="the credential")


def _answer_of(page: Page, api: VerifyApi, path: str, action: Callable[[], None]) -> dict[str, Any]:
    """Run ``action`` and return the JSON the server answered to the page's POST to ``path``."""
    with page.expect_response(
        lambda r: r.url == f"{api.url}{path}" and r.request.method == "POST", timeout=30_000
    ) as info:
        action()
    response = info.value
    assert response.status == 200, (response.status, response.text())
    answer: dict[str, Any] = response.json()
    return answer


def _upload(page: Page, name: str, png: bytes) -> Callable[[], None]:
    """Choosing a PNG in the page's file input (the page then posts it to /verify/image)."""
    image: FilePayload = {"name": name, "mimeType": "image/png", "buffer": png}
    return lambda: page.set_input_files("#image", files=[image])


def _rows(page: Page) -> list[tuple[str | None, str | None, str]]:
    """(check, status, reason) of each row of the page's table of checks."""
    return [
        (row.get_attribute("data-check"), row.get_attribute("data-status"), row.locator("td").nth(2).inner_text())
        for row in page.locator("#checks tbody tr").all()
    ]  # fmt: skip


def _expected_rows(answer: dict[str, Any], lang: str) -> list[tuple[str, str, str]]:
    return [(c["name"], c["status"], c[f"reason_{lang}"]) for c in answer["checks"]]


def test_pasted_payload_shows_a_green_verdict_in_german_and_english(
    page: Page, verify_api: VerifyApi
) -> None:
    issued = _issue(verify_api)
    assert page.locator("h1").inner_text() == "Nachweis der Stadt prüfen"
    page.fill("#payload", issued["qr_payload"])
    answer = _answer_of(page, verify_api, "/verify", lambda: page.click("#check"))
    assert answer["valid"] is True, answer["checks"]
    verdict = page.locator("#verdict.valid")
    verdict.wait_for(timeout=10_000)
    assert verdict.inner_text().startswith("GÜLTIG")
    assert page.locator("#checks tr[data-status=passed]").count() == 7
    # Each check's row shows the server's reason, in German, then in English after switching.
    german = _rows(page)
    assert german == _expected_rows(answer, "de")
    assert "Bewohnerparkausweis" in page.locator("#details").inner_text()
    page.click("#lang-en")
    assert page.locator("#verdict").inner_text().startswith("VALID")
    assert "Residents' parking permit" in page.locator("#details").inner_text()
    english = _rows(page)
    assert english == _expected_rows(answer, "en") and english != german


def test_uploaded_screenshot_and_garbage_image(page: Page, verify_api: VerifyApi) -> None:
    issued = _issue(verify_api)
    png = verify_api.client.post("/credentials/qr", json={"payload": issued["qr_payload"]})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png", png.text
    answer = _answer_of(page, verify_api, "/verify/image", _upload(page, "qr.png", png.content))
    assert answer["valid"] is True and answer["payload"] == issued["qr_payload"], answer
    page.locator("#verdict.valid").wait_for(timeout=10_000)
    assert page.input_value("#payload") == issued["qr_payload"]

    blank = io.BytesIO()
    Image.new("RGB", (120, 120), "white").save(blank, format="PNG")
    answer = _answer_of(page, verify_api, "/verify/image", _upload(page, "x.png", blank.getvalue()))
    assert answer["valid"] is False and answer["reason"] == "no-qr-code", answer
    page.locator("#verdict.invalid").wait_for(timeout=10_000)
    assert page.locator("#verdict").get_attribute("data-reason") == "no-qr-code"
    assert "kein QR-Code" in page.locator("#verdict").inner_text()
