"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from registry_api.api.body_limit import BodyLimitMiddleware
from registry_api.api.openapi import install_openapi
from registry_api.api.rate_limit import RateLimitMiddleware
from registry_api.api.request_context import RequestContextMiddleware
from registry_api.api.routes import (
    archive,
    credentials,
    dids,
    health,
    identity,
    metrics,
    openid4vci,
    payments,
    registers,
    trust_bundles,
    verify,
)
from registry_api.core import lifecycle, logs
from registry_api.core.config import Settings, get_settings
from registry_api.core.errors import install_error_handlers
from registry_api.pages import install_pages
from registry_core.manifest import ManifestWatcher
from registry_core.rpc import RpcClient


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.configure(settings.log_format, settings.log_level)
        app.state.rpc = RpcClient(settings.rpc_url, timeout=settings.rpc_timeout_seconds)
        app.state.manifests = ManifestWatcher(settings.deployments_dir)
        lifecycle.start(app.state, settings)
        try:
            yield
        finally:
            lifecycle.stop(app.state)
            app.state.rpc.close()

    app = FastAPI(
        title="City Registry API",
        version="0.1.0",
        summary="Registers, credentials and payments of the city on its permissioned chain.",
        lifespan=lifespan,
        # The documentation pages are served from this server's own files (registry_api/pages).
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(registers.router)
    app.include_router(archive.router)
    app.include_router(credentials.router)
    app.include_router(trust_bundles.router)
    app.include_router(dids.router)
    app.include_router(verify.router)
    app.include_router(identity.router)
    app.include_router(openid4vci.router)
    app.include_router(payments.router)
    install_pages(app, settings)
    install_openapi(app)
    app.add_middleware(
        RateLimitMiddleware,
        limits={
            "public": settings.rate_limit_per_minute,
            "image": settings.rate_limit_images_per_minute,
        },
    )
    # Outermost: a body too large is refused before anything else looks at the request.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    # Outside even that: every answer, a refusal of a large body too, has its id and is counted.
    app.add_middleware(RequestContextMiddleware)
    return app


app = create_app()
