"""What every web page the city serves shares, without a web framework: the Content-Security-Policy
(text, nonces, and a plain ASGI middleware that puts it on every HTML response), the npm packages
whose files the pages load from their own server, and the choice of the page language.

The rule (issue 16, README "Pages: no other origin, CSP, accessibility"): a page loads nothing from
another origin. City administrations run these services in closed networks, where a CDN is not
there, and a page that loads nothing foreign also leaks nothing about its visitors.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The strict base of every page: scripts, styles, images, fonts, fetches and workers only from the
# page's own origin, no plugins, no <base> rewriting, no framing by other sites (clickjacking),
# forms posted only back to the server.
BASE_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "base-uri": ("'none'",),
    "object-src": ("'none'",),
    "frame-ancestors": ("'none'",),
    "form-action": ("'self'",),
}


def content_security_policy(**needs: Iterable[str]) -> str:
    """The base policy plus what one page really needs, as the header's text.

    Keywords name directives with ``_`` for ``-``; their sources are added to ``'self'`` (a named
    directive replaces ``default-src`` for its kind, so ``'self'`` is kept), e.g.
    ``content_security_policy(img_src=["data:"])`` gives ``... img-src 'self' data:``.
    """
    directives = dict(BASE_POLICY)
    for key, sources in needs.items():
        name = key.replace("_", "-")
        directives[name] = tuple(dict.fromkeys((*directives.get(name, ("'self'",)), *sources)))
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def new_nonce() -> str:
    """A fresh CSP nonce (128 bits, base64url), one per response."""
    return secrets.token_urlsafe(16)


DEFAULT_POLICY = content_security_policy()

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_CSP_HEADER = b"content-security-policy"


class ContentSecurityPolicyMiddleware:
    """Gives every HTML response a Content-Security-Policy: the one its page set, else ``policy``
    (the strict base), so a page added later cannot go out without one."""

    def __init__(self, app: ASGIApp, policy: str = DEFAULT_POLICY) -> None:
        self.app = app
        self.policy = policy.encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html") and _CSP_HEADER not in names:
                    message = {**message, "headers": [*headers, (_CSP_HEADER, self.policy)]}
            await send(message)

        await self.app(scope, receive, send_with_policy)


# Only these kinds of file are served from an npm package: never its HTML (swagger-ui-dist ships a
# demo index.html that loads a public pet store), source maps, manifests or read-mes.
SERVABLE_SUFFIXES = frozenset({".js", ".css", ".woff2", ".woff", ".png", ".svg"})


class MissingPackageError(RuntimeError):
    """An npm package a page needs is not installed (``npm ci`` installs the pinned ones)."""


@dataclass(frozen=True)
class NpmPackage:
    """An installed npm package whose files a page loads from its own server."""

    name: str
    version: str
    directory: Path

    @classmethod
    def find(cls, node_modules: Path, name: str) -> NpmPackage:
        directory = node_modules / name
        try:
            manifest = json.loads((directory / "package.json").read_text())
        except (OSError, ValueError) as exc:
            raise MissingPackageError(
                f"npm package {name} is not installed in {node_modules} (run `npm ci`)"
            ) from exc
        return cls(name=name, version=str(manifest["version"]), directory=directory)


def servable(path: str) -> bool:
    """True for a file of an npm package that may be served to a browser."""
    return Path(path).suffix in SERVABLE_SUFFIXES


LANGUAGES = ("de", "en")


def choose_language(
    requested: str | None, accept_language: str | None, supported: tuple[str, ...] = LANGUAGES
) -> str:
    """The page language: ``requested`` (``?lang=``) if supported, else the first supported one in
    the browser's ``Accept-Language`` by preference, else the first of ``supported``."""
    if requested in supported:
        return requested
    preferences: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "")[:1000].split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in supported and quality > 0:
            preferences.append((-quality, position, primary))
    return min(preferences)[2] if preferences else supported[0]
