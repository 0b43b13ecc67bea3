"""The API's HTML pages in-process: every HTML response carries a Content-Security-Policy that
allows no other origin and no inline code, the pages contain none, the verification page follows
the chosen language, and pages whose npm files are missing answer a problem, not a blank page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient

from registry_api.core.config import Settings
from registry_api.main import create_app
from tests.credential_fixtures import CredentialApi

HTML_PAGES = {"/verify", "/docs", "/redoc"}
# Sources a page's policy may name: its own origin, nothing, or inline content it vouches for by
# nonce or hash; data: images and blob: workers are made by the page itself.
ALLOWED_SOURCE = re.compile(r"'self'|'none'|'nonce-[\w-]+'|'sha256-[\w+/=]+'|data:|blob:")


def _policy(text: str) -> dict[str, list[str]]:
    directives = [part.split() for part in text.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


class _InlineCode(HTMLParser):
    """Collects inline scripts, styles, style attributes and event-handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.nonces: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        self.found += [f"<{tag} {name}=>" for name in names if name.startswith("on")]
        if "style" in names or tag == "style":
            self.found.append(f"<{tag}> style")
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append("inline <script>")
        if "nonce" in names:
            self.nonces.append(str(names["nonce"]))


def _get_paths(client: TestClient) -> list[str]:
    """Every GET path of the OpenAPI document (path parameters filled in), the documentation
    pages and the document itself (not in it), and a path that does not exist."""
    document = client.get("/openapi.json").json()
    paths = [path for path, operations in document["paths"].items() if "get" in operations]
    filled = [re.sub(r"\{[^}]+\}", "0x" + "00" * 32, path) for path in paths]
    return [*filled, "/docs", "/redoc", "/openapi.json", "/no-such-page"]


def test_every_html_response_carries_a_strict_csp(credential_api: CredentialApi) -> None:
    client = credential_api.client
    html = {}
    for path in _get_paths(client):
        response = client.get(path, headers=credential_api.headers("FB33"))
        assert response.status_code < 500, (path, response.text)
        if response.headers["content-type"].startswith("text/html"):
            html[path] = response
    assert set(html) == HTML_PAGES
    for path, response in html.items():
        policy = _policy(response.headers["content-security-policy"])
        assert policy["default-src"] == ["'self'"], path
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
        loose = [
            s for sources in policy.values() for s in sources if not ALLOWED_SOURCE.fullmatch(s)
        ]
        assert loose == [], (path, loose)
        page = _InlineCode()
        page.feed(response.text)
        assert page.found == [], (path, page.found)
        for nonce in page.nonces:
            assert f"'nonce-{nonce}'" in policy.get("style-src", []), (path, nonce)


def test_nonces_differ_per_response(credential_api: CredentialApi) -> None:
    policies = {
        credential_api.client.get("/redoc").headers["content-security-policy"] for _ in "ab"
    }
    assert len(policies) == 2


def test_verification_page_follows_the_chosen_language(credential_api: CredentialApi) -> None:
    client = credential_api.client
    english = client.get("/verify", headers={"Accept-Language": "en-GB,en;q=0.9,de;q=0.8"})
    assert '<html lang="en">' in english.text and "Verify a city credential</h1>" in english.text
    assert english.headers["vary"] == "Accept-Language"
    german = client.get("/verify", headers={"Accept-Language": "fr-FR, de;q=0.5, en;q=0.3"})
    assert '<html lang="de">' in german.text and "Nachweis der Stadt prüfen</h1>" in german.text
    chosen = client.get("/verify?lang=de", headers={"Accept-Language": "en"})
    assert '<html lang="de">' in chosen.text
    assert '<html lang="de">' in client.get("/verify").text  # the city's language by default


def test_npm_packages_serve_only_their_assets(credential_api: CredentialApi) -> None:
    client = credential_api.client
    css = client.get("/static/vendor/swagger-ui-dist/swagger-ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    # swagger-ui-dist's demo page (it loads a public pet store) and its manifest are not served.
    for path in ["swagger-ui-dist/index.html", "swagger-ui-dist/package.json", "redoc/README.md"]:
        assert client.get(f"/static/vendor/{path}").status_code == 404, path


def test_pages_without_their_npm_packages_answer_a_problem(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(node_modules_dir=tmp_path)))  # no lifespan needed
    for path in ["/docs", "/redoc"]:
        response = client.get(path)
        assert response.status_code == 503, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "run `npm ci`" in response.json()["detail"]
    assert client.get("/verify").status_code == 200  # it needs no npm package
