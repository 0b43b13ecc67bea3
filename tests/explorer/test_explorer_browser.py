"""The explorer in real headless chromium (tests/browser.py), served by ``python -m explorer`` as
the demo starts it (scripts/services.py), indexing in the background a history the API never saw:
home, a record's history, the integrity check with a matching and a non-matching document, the
council log, a credential's status history and the payments reconciliation render with the right
values, load nothing from another origin, pass axe-core, and are saved as screenshots."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest

from scripts.services import start_explorer, stop
from scripts.settings import CitySettings
from tests.api_process import poll
from tests.browser import accessibility_violations, guarded_page
from tests.conftest import free_port
from tests.explorer.explorer_seed import Seeded

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def explorer_url(
    gateway_url: str,
    deployments_dir: Path,
    explorer_history: Seeded,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    settings = CitySettings(
        data_dir=tmp_path_factory.mktemp("explorer-process"),
        deployments_dir=deployments_dir,
        gateway_port=urlsplit(gateway_url).port,
        explorer_port=free_port(),
    )
    process = start_explorer(settings, {"CITY_EXPLORER_POLL_SECONDS": "0.2"})
    try:
        with httpx.Client(trust_env=False) as client:
            head = client.get(f"{settings.explorer_url}/status").json()["head"]
            poll(
                lambda: client.get(f"{settings.explorer_url}/status").json()["indexed_to"] >= head,
                what="the explorer's index to reach the head",
            )
        yield settings.explorer_url
    finally:
        stop(process)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Screenshots go to $CITY_TEST_ARTEFACTS/explorer if set, else the pytest temporary dir."""
    base = os.environ.get("CITY_TEST_ARTEFACTS")
    folder = Path(base) / "explorer" if base else tmp_path_factory.mktemp("explorer-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check(page: Page, shots: Path, name: str) -> None:
    assert accessibility_violations(page) == [], name
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_home(browser: Browser, explorer_url: str, shots: Path) -> None:
    with guarded_page(browser, explorer_url, locale="en-GB") as (page, guard):
        page.goto(explorer_url + "/")
        assert page.locator("#deployment-ok").is_visible()
        assert page.locator("#latest-blocks tbody tr").count() > 0
        assert "FB33" in page.locator("#main").inner_text()
        _check(page, shots, "home")
        guard.assert_clean(page)


def test_record_history(
    browser: Browser, explorer_url: str, shots: Path, explorer_history: Seeded
) -> None:
    record = "0x" + explorer_history.record_a[0].record_id.hex()
    with guarded_page(browser, explorer_url) as (page, guard):
        page.goto(f"{explorer_url}/records/{record}")
        assert page.locator("#versions .version-status").all_inner_texts() == ["erased", "active"]
        assert "data-subject-request" in page.locator("#versions").inner_text()
        _check(page, shots, "record-history")
        guard.assert_clean(page)


@pytest.mark.parametrize("matching", [True, False])
def test_integrity_check(
    browser: Browser, explorer_url: str, shots: Path, explorer_history: Seeded, matching: bool
) -> None:
    version = explorer_history.record_a[1]
    content = version.content if matching else {**version.content, "legal_form": "AG"}
    with guarded_page(browser, explorer_url, locale="en-GB") as (page, guard):
        page.goto(f"{explorer_url}/integrity")
        page.fill("#document", json.dumps(content))
        page.fill("#salt", "0x" + version.salt.hex())
        page.click("form.integrity button[type=submit]")
        verdict = page.locator(".verdict").inner_text()
        if matching:
            assert verdict.startswith("Authentic")
            assert page.locator(".version").inner_text() == "1"
        else:
            assert verdict.startswith("Not found")
        _check(page, shots, f"integrity-{'match' if matching else 'no-match'}")
        guard.assert_clean(page)


def test_council_log(
    browser: Browser, explorer_url: str, shots: Path, explorer_history: Seeded
) -> None:
    with guarded_page(browser, explorer_url, locale="en-GB") as (page, guard):
        page.goto(f"{explorer_url}/council")
        assert page.locator("#council-summary").inner_text() == "Members: 3 · Threshold: 2"
        text = page.locator("#main").inner_text()
        assert "canceled" in text and "executed" in text and "FB99" in text
        _check(page, shots, "council")
        guard.assert_clean(page)


def test_credential_status_history(
    browser: Browser, explorer_url: str, shots: Path, explorer_history: Seeded
) -> None:
    credential = "0x" + explorer_history.credential.hex()
    with guarded_page(browser, explorer_url) as (page, guard):
        page.goto(f"{explorer_url}/credentials/{credential}")
        assert page.locator("#credential-state").inner_text() == "revoked"
        events = page.locator("td.c-event").all_inner_texts()
        assert events == ["CredentialAnchored", "CredentialSuspended", "CredentialResumed",
                          "CredentialRevoked"]  # fmt: skip
        _check(page, shots, "credential-status")
        guard.assert_clean(page)


def test_payments_reconciliation(
    browser: Browser, explorer_url: str, shots: Path, explorer_history: Seeded
) -> None:
    with guarded_page(browser, explorer_url, locale="en-GB") as (page, guard):
        page.goto(f"{explorer_url}/payments")
        rows = page.locator("#reconciliation tbody tr")
        assert rows.count() >= 1
        states = page.locator("#reconciliation td:last-child").all_inner_texts()
        assert states and set(states) == {"reconciles"}
        fb33 = page.locator("#reconciliation tr", has_text="FB33")
        cells = fb33.locator("td").all_inner_texts()
        assert int(cells[1]) >= explorer_history.fee_total and cells[1] == cells[2]
        assert cells[3] == cells[4]
        _check(page, shots, "payments")
        guard.assert_clean(page)
