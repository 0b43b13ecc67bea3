"""registry_core.pages: the CSP text, the middleware that puts it on every HTML response, npm
package lookup and the choice of page language."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from registry_core.pages import (
    DEFAULT_POLICY,
    ContentSecurityPolicyMiddleware,
    Message,
    MissingPackageError,
    NpmPackage,
    Receive,
    Scope,
    Send,
    choose_language,
    content_security_policy,
    servable,
)


def test_base_policy_and_what_a_page_adds() -> None:
    assert DEFAULT_POLICY == (
        "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    )
    policy = content_security_policy(img_src=["data:"], style_src=["'nonce-abc'", "'self'"])
    assert policy == DEFAULT_POLICY + "; img-src 'self' data:; style-src 'self' 'nonce-abc'"


def _respond(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers ContentSecurityPolicyMiddleware sends for a response with ``headers``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(ContentSecurityPolicyMiddleware(app)({"type": "http"}, receive, send))
    return list(sent[0]["headers"])


def test_middleware_gives_html_without_a_policy_the_base_policy() -> None:
    html = [(b"content-type", b"text/html; charset=utf-8")]
    assert _respond(html) == [*html, (b"content-security-policy", DEFAULT_POLICY.encode())]
    own = [*html, (b"Content-Security-Policy", b"default-src 'self'; img-src 'self' data:")]
    assert _respond(own) == own  # a page's own policy stays as it is
    json_body = [(b"content-type", b"application/json")]
    assert _respond(json_body) == json_body


def test_npm_package_lookup(tmp_path: Path) -> None:
    with pytest.raises(MissingPackageError, match="npm ci"):
        NpmPackage.find(tmp_path, "swagger-ui-dist")
    (tmp_path / "@scope" / "pkg").mkdir(parents=True)
    (tmp_path / "@scope" / "pkg" / "package.json").write_text(json.dumps({"version": "1.2.3"}))
    assert NpmPackage.find(tmp_path, "@scope/pkg").version == "1.2.3"
    assert [servable(p) for p in ["a.js", "b/c.woff2", "index.html", "x.js.map", "package.json"]] == [
        True, True, False, False, False,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("requested", "accept_language", "chosen"),
    [
        ("en", "de-DE", "en"),  # ?lang= wins
        ("fr", "en-GB,en;q=0.9", "en"),  # unsupported ?lang= is ignored
        (None, "en-US,en;q=0.9,de;q=0.8", "en"),
        (None, "fr-FR, de;q=0.5, en;q=0.7", "en"),  # by quality, not position
        (None, "de;q=0.5, en;q=0.5", "de"),  # equal quality: the first
        (None, "en;q=0, de;q=0.1", "de"),  # q=0 means "not this one"
        (None, "fr, it", "de"),  # nothing supported: the city's language
        (None, None, "de"),
        (None, "en;q=oops, de", "de"),
    ],
)
def test_choose_language(requested: str | None, accept_language: str | None, chosen: str) -> None:
    assert choose_language(requested, accept_language) == chosen
