"""The public verification page in a real browser (Debian chromium driven by Playwright).

Real HTTP, a real browser: the API runs as a uvicorn process (``pages_api``), the browser loads the
page from it and the page's JavaScript calls it over a real socket. Every page may reach only the
API's origin (tests/browser.py): a request anywhere else is aborted and fails the test, and so does
any Content-Security-Policy violation or script error. The page works with the keyboard alone and
passes axe-core's check (no serious or critical violation) in German and in English.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from eth_account import Account
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from registry_core.did import make_did
from registry_core.verification import TrustBundle, verify
from tests.api_process import poll
from tests.browser import PageGuard, accessibility_violations, guarded_page
from tests.e2e.conftest import PagesApi

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FilePayload, Page

# The page's controls in the order the Tab key reaches them.
TAB_ORDER = ["lang-de", "lang-en", "payload", "check", "image", "camera"]


def _issue(api: PagesApi) -> dict[str, Any]:
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


def _answer_of(page: Page, api: PagesApi, path: str, action: Callable[[], None]) -> dict[str, Any]:
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
        (row.get_attribute("data-check"), row.get_attribute("data-status"), row.locator("td").nth(1).inner_text())
        for row in page.locator("#checks tbody tr").all()
    ]  # fmt: skip


def _expected_rows(answer: dict[str, Any], lang: str) -> list[tuple[str, str, str]]:
    return [(c["name"], c["status"], c[f"reason_{lang}"]) for c in answer["checks"]]


def _focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement.id"))


def _tab_to(page: Page, element_id: str, *, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab) until ``element_id`` has the focus, at most once per control."""
    for _ in TAB_ORDER:
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if _focused(page) == element_id:
            return
    raise AssertionError(f"the keyboard does not reach #{element_id}")


@contextmanager
def _verify_page(browser: Browser, api: PagesApi) -> Iterator[tuple[Page, PageGuard]]:
    """The verification page, opened in German, in a guarded browser context."""
    with guarded_page(browser, api.url, locale="de-DE") as (page, guard):
        response = page.goto(f"{api.url}/verify")
        assert response is not None and response.ok, response and response.status
        yield page, guard


def test_keyboard_alone_verifies_a_pasted_payload_in_german_and_english(
    browser: Browser, pages_api: PagesApi
) -> None:
    issued = _issue(pages_api)
    with _verify_page(browser, pages_api) as (page, guard):
        assert page.get_attribute("html", "lang") == "de"
        assert page.locator("h1").inner_text() == "Nachweis der Stadt prüfen"
        reached = []
        for _ in TAB_ORDER:
            page.keyboard.press("Tab")
            reached.append(_focused(page))
        assert reached == TAB_ORDER

        _tab_to(page, "payload", backwards=True)
        page.keyboard.insert_text(issued["qr_payload"])
        _tab_to(page, "check")
        answer = _answer_of(page, pages_api, "/verify", lambda: page.keyboard.press("Enter"))
        assert answer["valid"] is True, answer["checks"]
        verdict = page.locator("#verdict.valid")
        verdict.wait_for(timeout=10_000)
        assert verdict.inner_text().startswith("GÜLTIG")
        assert page.locator("#checks tr[data-status=passed]").count() == 7
        # Each check's row shows the server's reason, in German, then in English after switching.
        german = _rows(page)
        assert german == _expected_rows(answer, "de")
        assert "Bewohnerparkausweis" in page.locator("#details").inner_text()

        _tab_to(page, "lang-en", backwards=True)
        page.keyboard.press("Space")
        assert page.locator("#verdict").inner_text().startswith("VALID")
        assert page.get_attribute("html", "lang") == "en"
        assert page.title().startswith("Verify a credential")
        assert page.get_attribute("#lang-en", "aria-pressed") == "true"
        assert "Residents' parking permit" in page.locator("#details").inner_text()
        english = _rows(page)
        assert english == _expected_rows(answer, "en") and english != german
        guard.assert_clean(page)


def test_uploaded_screenshot_and_garbage_image(browser: Browser, pages_api: PagesApi) -> None:
    issued = _issue(pages_api)
    png = pages_api.client.post("/credentials/qr", json={"payload": issued["qr_payload"]})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png", png.text
    with _verify_page(browser, pages_api) as (page, guard):
        answer = _answer_of(page, pages_api, "/verify/image", _upload(page, "qr.png", png.content))
        assert answer["valid"] is True and answer["payload"] == issued["qr_payload"], answer
        page.locator("#verdict.valid").wait_for(timeout=10_000)
        assert page.input_value("#payload") == issued["qr_payload"]

        blank = io.BytesIO()
        Image.new("RGB", (120, 120), "white").save(blank, format="PNG")
        upload = _upload(page, "x.png", blank.getvalue())
        answer = _answer_of(page, pages_api, "/verify/image", upload)
        assert answer["valid"] is False and answer["reason"] == "no-qr-code", answer
        page.locator("#verdict.invalid").wait_for(timeout=10_000)
        assert page.locator("#verdict").get_attribute("data-reason") == "no-qr-code"
        assert "kein QR-Code" in page.locator("#verdict").inner_text()
        guard.assert_clean(page)


def test_no_serious_accessibility_violation_in_german_and_english(
    browser: Browser, pages_api: PagesApi
) -> None:
    """axe-core over the page with a green verdict in German and English, and a red one."""
    issued = _issue(pages_api)
    with _verify_page(browser, pages_api) as (page, guard):
        page.fill("#payload", issued["qr_payload"])
        page.click("#check")
        page.locator("#verdict.valid").wait_for(timeout=10_000)
        assert accessibility_violations(page) == []
        page.click("#lang-en")
        assert page.get_attribute("html", "lang") == "en"
        assert accessibility_violations(page) == []
        page.fill("#payload", "CRV1:@@@")
        page.click("#check")
        page.locator("#verdict.invalid").wait_for(timeout=10_000)
        assert accessibility_violations(page) == []
        guard.assert_clean(page)


def test_the_checks_catch_other_origins_and_inaccessible_markup(
    browser: Browser, pages_api: PagesApi
) -> None:
    """The checks above can fail: a request to another origin is aborted and recorded, the page's
    CSP refuses a foreign image and an inline script before they load or run, and axe reports an
    unlabelled input, an image without text and text without contrast."""
    with _verify_page(browser, pages_api) as (page, guard):
        page.evaluate(
            """() => {
              const img = document.createElement("img");
              img.src = "https://cdn.example.invalid/x.png";
              document.body.append(img);
              const script = document.createElement("script");
              script.textContent = "window.inlineRan = true";
              document.body.append(script);
              document.querySelector("label[for=payload]").remove();
              document.querySelector("h1").style.color = "#d0d0d0";
            }"""
        )
        found = {v["rule"] for v in accessibility_violations(page)}
        assert found == {"label", "image-alt", "color-contrast"}
        for _ in range(100):  # the reports arrive asynchronously: poll, bounded
            if len(guard.csp_violations) >= 2:
                break
            page.wait_for_timeout(20)
        assert page.evaluate("window.inlineRan === undefined")
        refused = {(v["directive"], v["blocked"]) for v in guard.csp_violations}
        assert refused == {
            ("img-src", "https://cdn.example.invalid/x.png"),
            ("script-src-elem", "inline"),
        }
        with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_CLIENT"):
            page.goto("https://other.example.invalid/")
        assert guard.foreign_requests == ["https://other.example.invalid/"]


def test_offline_answer_that_cannot_be_confirmed_yet_shows_amber(
    browser: Browser, pages_api: PagesApi
) -> None:
    """The page's third state, from a real offline answer: a credential issued after the trust
    bundle, verified against that bundle (the API itself verifies online, so it never answers this)."""
    signer = pages_api.client.get("/credentials/trust-bundle/signer").json()["signer"]
    bundle = TrustBundle.load(
        pages_api.client.get("/credentials/trust-bundle").json(), trusted_signers=[signer]
    )
    issued = _issue(pages_api)
    answer = verify(issued["qr_payload"], bundle).to_json()
    assert answer["outcome"] == "unconfirmed", answer["checks"]
    with _verify_page(browser, pages_api) as (page, guard):
        page.evaluate("(result) => render(result)", answer)
        verdict = page.locator("#verdict.unconfirmed")
        verdict.wait_for(timeout=10_000)
        assert verdict.inner_text().startswith("NOCH NICHT BESTÄTIGBAR")
        assert "Vertrauenspaket aktualisieren" in verdict.inner_text()
        assert page.locator("#mode").inner_text().startswith("Offline geprüft")
        assert page.locator("#checks tr[data-check=anchored]").get_attribute("data-status") == (
            "unconfirmed"
        )
        assert accessibility_violations(page) == []
        page.click("#lang-en")
        assert page.locator("#verdict").inner_text().startswith("CANNOT BE CONFIRMED YET")
        assert accessibility_violations(page) == []
        page.fill("#payload", issued["qr_payload"])  # the API verifies online: valid, green
        answer = _answer_of(page, pages_api, "/verify", lambda: page.click("#check"))
        assert (answer["outcome"], answer["mode"]) == ("valid", "online")
        page.locator("#verdict.valid").wait_for(timeout=10_000)
        assert page.locator("#mode").inner_text().startswith("Verified online, as of block")
        guard.assert_clean(page)
