"""A bound on every request body: larger bodies are refused with ``413 body-too-large`` (problem+json,
or the OAuth error form on the OpenID4VCI endpoints) before a route reads them.

A declared ``Content-Length`` above the bound is refused at once; a body sent without one (chunked)
is counted as it arrives and refused once it passes the bound. Most routes take small JSON bodies
(``CITY_API_MAX_BODY_BYTES``, default 1 MiB); the bulk writes and the image upload name their own,
larger bounds below. (FastAPI's own ``max_body_size`` answers in plain text, not as a problem.)
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry_api.core.errors import HTTP_KINDS, problem

MIB = 1024 * 1024
# Routes whose bodies are larger by design: up to 10,000 records of some kilobytes each, 1,024
# holders' claims, an 8 MiB image with its multipart envelope.
ROUTE_LIMITS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"^/registers/[^/]+/records/bulk$"), 32 * MIB),
    (re.compile(r"^/credentials/batch$"), 8 * MIB),
    (re.compile(r"^/verify/image$"), 8 * MIB + 64 * 1024),
)
TOO_LARGE = "The request body is too large"


def body_limit_for(path: str, default: int) -> int:
    for pattern, limit in ROUTE_LIMITS:
        if pattern.match(path):
            return limit
    return default


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"{TOO_LARGE} (this endpoint takes at most {limit} bytes)")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = body_limit_for(path, self.max_body_bytes)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            error = _too_large(limit)
            response = problem(
                status=413,
                kind=HTTP_KINDS[413],
                title=TOO_LARGE,
                detail=str(error.detail),
                instance=path,
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI lets an HTTPException from reading the body through to the handlers.
                    raise _too_large(limit)
            return message

        await self.app(scope, counted, send)
