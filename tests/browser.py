"""The browser tests' tools: Debian's chromium driven by Playwright, pages that may load nothing
from another origin, and the axe-core accessibility check (README "Pages: no other origin, CSP,
accessibility"). Used by tests/e2e and by every app's page tests; the one browser of a test session
is the ``browser`` fixture of tests/conftest.py.

A guarded page's browser context aborts every request to another origin (Playwright routing) and
records it, and records every Content-Security-Policy violation (what the page's CSP refused before
any request was made) and every uncaught script error; ``PageGuard.assert_clean`` fails the test
on any of them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Route

CHROMIUM = shutil.which("chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SCRIPT = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")

# Reports each CSP violation to the test (a binding survives navigations; the page's own CSP does
# not apply to scripts the DevTools protocol adds).
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => window.__cspViolation({
  directive: event.effectiveDirective, blocked: event.blockedURI, sample: event.sample,
  page: document.location.href,
}));
"""


@contextmanager
def launch() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "the browser tests need Debian's chromium (`make test` installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class PageGuard:
    """What the pages of one browser context tried beyond their own origin."""

    origin: str
    foreign_requests: list[str] = field(default_factory=list)
    csp_violations: list[dict[str, Any]] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        url = route.request.url
        if origin_of(url) == self.origin:
            route.continue_()
        else:
            self.foreign_requests.append(url)
            route.abort("blockedbyclient")

    def assert_clean(self, page: Page, *, refused: tuple[str, ...] = ()) -> None:
        """No request to another origin, no script error, and no CSP violation other than the
        ``refused`` URLs (loads a page's library hard-codes and its CSP is meant to refuse)."""
        page.evaluate("0")  # a round trip, so that reports still on their way arrive first
        assert self.foreign_requests == [], f"requests to other origins: {self.foreign_requests}"
        assert self.script_errors == [], f"script errors: {self.script_errors}"
        unexpected = [v for v in self.csp_violations if v["blocked"] not in refused]
        assert unexpected == [], f"Content-Security-Policy violations: {unexpected}"


@contextmanager
def guarded_page(
    browser: Browser, origin: str, *, locale: str = "de-DE"
) -> Iterator[tuple[Page, PageGuard]]:
    """A page in a fresh context that may reach only ``origin``, and its guard."""
    context: BrowserContext = browser.new_context(locale=locale)
    guard = PageGuard(origin_of(origin))
    context.route("**/*", guard.route)
    context.expose_binding("__cspViolation", lambda _source, v: guard.csp_violations.append(v))
    context.add_init_script(_REPORT_VIOLATIONS)
    page = context.new_page()
    page.on("pageerror", lambda error: guard.script_errors.append(str(error)))
    try:
        yield page, guard
    finally:
        context.close()


def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (all of axe's rules
    that are not experimental, WCAG 2.1 A/AA among them).

    axe is evaluated through the DevTools protocol, not added as a <script>, so the page's CSP
    stays as strict as it is for visitors.
    """
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text())
    results: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [node["target"] for node in v["nodes"]][:5],
        }
        for v in results["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]
