"""Per-client rate limits on the unauthenticated endpoints: ``429`` with ``Retry-After``.

Verification (JSON and image), the sign-in nonces and messages, the DID reads and the OpenID4VCI
token and nonce endpoints answer anyone; each client address may send at most
``CITY_API_RATE_LIMIT_PER_MINUTE`` requests a minute to them (image decodes, the costly ones,
``CITY_API_RATE_LIMIT_IMAGES_PER_MINUTE``). The counts live in the store (``rate_limit_hit``, one
row per limit, client and minute, raised by one upsert per request), so every API replica counts
into the same rows and the limit holds across replicas. ``0`` turns a limit off (``make fuzz``).

The client is the connection's peer address: behind a reverse proxy, that proxy must pass the
client's address through (uvicorn ``--forwarded-allow-ips``) or every client shares one count.
"""

from __future__ import annotations

import re
import time
from typing import Any

from anyio import to_thread
from sqlalchemy import Engine, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from starlette.types import ASGIApp, Receive, Scope, Send

from registry_api.core.errors import HTTP_KINDS, problem
from registry_api.models.limit_tables import RateLimitHit

WINDOW_SECONDS = 60
# (method, path) -> the limit's name; "image" has its own, lower limit.
LIMITED: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"^/verify/image$"), "image"),
    ("POST", re.compile(r"^/verify$"), "public"),
    ("GET", re.compile(r"^/verify$"), "public"),
    ("POST", re.compile(r"^/auth/(nonce|siwe)$"), "public"),
    ("GET", re.compile(r"^/dids/"), "public"),
    ("GET", re.compile(r"^/identity/[^/]+/erc1056$"), "public"),
    ("POST", re.compile(r"^/identity/[^/]+/change-owner$"), "public"),
    ("POST", re.compile(r"^/oid4vci/(token|nonce)$"), "public"),
)


def limit_name(method: str, path: str) -> str | None:
    for limited_method, pattern, name in LIMITED:
        if method == limited_method and pattern.match(path):
            return name
    return None


def count_hit(engine: Engine, bucket: str, window: int) -> int:
    """This client's requests in this window, this one included (one upsert)."""
    insert = postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(RateLimitHit)
        .values(bucket=bucket, window=window, hits=1)
        .on_conflict_do_update(
            index_elements=["bucket", "window"], set_={"hits": col(RateLimitHit.hits) + 1}
        )
        .returning(col(RateLimitHit.hits))
    )
    with engine.begin() as connection:
        hits = int(connection.execute(statement).scalar_one())
        if hits == 1:  # the first request of a window clears what is older than the last one
            connection.execute(
                delete(RateLimitHit).where(col(RateLimitHit.window) < window - WINDOW_SECONDS)
            )
    return hits


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: dict[str, int]) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        name = limit_name(scope["method"], scope["path"])
        limit = self.limits.get(name, 0) if name else 0
        if limit > 0:
            now = time.time()
            window = int(now) // WINDOW_SECONDS * WINDOW_SECONDS
            client = (scope.get("client") or ("unknown", 0))[0]
            engine: Any = scope["app"].state.engine
            hits = await to_thread.run_sync(count_hit, engine, f"{name}:{client}"[:100], window)
            if hits > limit:
                retry_after = max(1, int(window + WINDOW_SECONDS - now + 0.999))
                response = problem(
                    status=429,
                    kind=HTTP_KINDS[429],
                    title="Too many requests",
                    detail=f"at most {limit} such requests a minute from one client; "
                    f"send again in {retry_after} s",
                    instance=scope["path"],
                    headers={"Retry-After": str(retry_after)},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
