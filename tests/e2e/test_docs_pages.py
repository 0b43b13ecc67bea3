"""The API documentation in a real browser, with every other origin out of reach: Swagger UI at
/docs lists every operation of the OpenAPI document and ReDoc at /redoc renders them, from the
API's own files (pinned npm packages), with no request elsewhere and no CSP violation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser import guarded_page
from tests.e2e.conftest import PagesApi

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# ReDoc 2.5.4 shows its "API docs by Redocly" link with a logo hard-coded to Redocly's CDN; the
# page's CSP refuses it before any request (ReDoc then hides the image). The only refusal allowed.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _operations(api: PagesApi) -> list[str]:
    document = api.client.get("/openapi.json").json()
    return [op["operationId"] for path in document["paths"].values() for op in path.values()]


def test_swagger_ui_lists_every_operation(browser: Browser, pages_api: PagesApi) -> None:
    operations = _operations(pages_api)
    with guarded_page(browser, pages_api.url) as (page, guard):
        page.goto(f"{pages_api.url}/docs")
        page.locator(".opblock").nth(len(operations) - 1).wait_for(timeout=20_000)
        assert page.locator(".opblock").count() == len(operations)
        assert page.locator(".info .title").inner_text().startswith("City Registry API")
        guard.assert_clean(page)


def test_redoc_renders_every_operation(browser: Browser, pages_api: PagesApi) -> None:
    operations = _operations(pages_api)
    with guarded_page(browser, pages_api.url) as (page, guard):
        page.goto(f"{pages_api.url}/redoc")
        # Each operation's section is named "operation/<operationId>" (also under its tag).
        shown = "() => [...new Set([...document.querySelectorAll('[data-section-id*=\"operation/\"]')].map(e => e.dataset.sectionId.split('operation/').pop()))].sort()"
        page.wait_for_function(
            f"(n) => ({shown})().length >= n", arg=len(operations), timeout=20_000
        )
        assert page.evaluate(shown) == sorted(operations)
        assert page.locator("h1").first.inner_text().startswith("City Registry API")
        guard.assert_clean(page, refused=(REDOC_LOGO,))
