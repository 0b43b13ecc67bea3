"""The explorer's web application: FastAPI with server-rendered pages (Jinja2), static files from
this package, a Content-Security-Policy on every HTML response (registry_core.pages), refusals in
German and English, and the background indexer while it runs."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from explorer.chain import Explorer
from explorer.config import ExplorerSettings
from explorer.routes import chain_views, city_views, integrity_view, payments_view, report_view
from explorer.web import STATIC_URL, ExplorerError, problem_response
from registry_core.errors import ManifestError, RpcConnectionError, RpcError
from registry_core.pages import (
    ASGIApp,
    ContentSecurityPolicyMiddleware,
    Message,
    Receive,
    Scope,
    Send,
)


class ServerTiming:
    """``Server-Timing: app;dur=<ms>`` on every response: the time the explorer spent before it
    started answering (pages are rendered in full before that), as the benchmark reports it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                duration = f"app;dur={(time.perf_counter() - began) * 1000:.2f}".encode()
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"server-timing", duration)],
                }
            await send(message)

        await self.app(scope, receive, timed)


def create_app(settings: ExplorerSettings | None = None, *, index: bool = True) -> FastAPI:
    """The explorer app; ``index=False`` leaves the background indexer off (tests drive it)."""
    settings = settings or ExplorerSettings()
    explorer = Explorer(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if index:
            explorer.indexer.start(settings.poll_seconds)
        try:
            yield
        finally:
            explorer.indexer.stop()

    app = FastAPI(
        title="City registry explorer",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.explorer = explorer
    app.add_middleware(ContentSecurityPolicyMiddleware)
    app.add_middleware(ServerTiming)
    app.mount(STATIC_URL, StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for module in (chain_views, city_views, payments_view, integrity_view, report_view):
        app.include_router(module.router)

    @app.exception_handler(ExplorerError)
    async def _problem(request: Request, exc: ExplorerError) -> Response:
        return problem_response(request, exc)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        key = "not_found" if exc.status_code == 404 else "bad_input"
        params = {} if key == "not_found" else {"detail": str(exc.detail)[:200]}
        return problem_response(request, ExplorerError(exc.status_code, key, **params))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        detail = "; ".join(str(e.get("msg", "")) for e in exc.errors())[:200]
        return problem_response(request, ExplorerError(400, "bad_input", detail=detail))

    @app.exception_handler(RpcConnectionError)
    async def _chain_down(request: Request, exc: RpcConnectionError) -> Response:
        return problem_response(request, ExplorerError(503, "chain_down", detail=str(exc)[:200]))

    @app.exception_handler(RpcError)
    async def _rpc(request: Request, exc: RpcError) -> Response:
        return problem_response(request, ExplorerError(502, "chain_down", detail=str(exc)[:200]))

    @app.exception_handler(ManifestError)
    async def _manifest(request: Request, exc: ManifestError) -> Response:
        return problem_response(request, ExplorerError(503, "no_manifest", detail=str(exc)[:300]))

    return app
