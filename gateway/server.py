"""The gateway's HTTP server: aiohttp, one keep-alive session to the node, uvloop when available.

``POST /`` takes JSON-RPC (single or batch); ``GET /health`` reports the node's chain id, its latest
block and the permissioning contract in use.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

import orjson
from aiohttp import web

from gateway.config import GatewaySettings
from gateway.dispatch import Dispatcher
from gateway.errors import HTTP_PAYLOAD_TOO_LARGE, INTERNAL_ERROR, LIMIT_EXCEEDED
from gateway.permissions import PermissionChecker
from gateway.upstream import Upstream

logger = logging.getLogger("gateway")

DISPATCHER = web.AppKey("dispatcher", Dispatcher)
_JSON = "application/json"
_INTERNAL = orjson.dumps(
    {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": INTERNAL_ERROR, "message": "internal error in the gateway"},
    }
)


def _too_large(limit: int) -> web.Response:
    error = {
        "code": LIMIT_EXCEEDED,
        "message": f"limit exceeded: the request body is larger than the gateway's limit of {limit} bytes",
    }
    body = orjson.dumps({"jsonrpc": "2.0", "id": None, "error": error})
    return web.Response(body=body, status=HTTP_PAYLOAD_TOO_LARGE, content_type=_JSON)


def create_app(settings: GatewaySettings) -> web.Application:
    upstream = Upstream(
        settings.upstream_url,
        timeout=settings.upstream_timeout,
        connections=settings.upstream_connections,
    )
    dispatcher = Dispatcher(
        upstream=upstream,
        permissions=PermissionChecker(deployments_dir=settings.deployments_dir, upstream=upstream),
        chain_id=settings.chain_id,
        max_batch_size=settings.max_batch_size,
    )
    limit = settings.max_body_bytes
    # aiohttp enforces client_max_size while reading; the handler turns it into a JSON-RPC error.
    app = web.Application(client_max_size=limit)
    app[DISPATCHER] = dispatcher

    async def rpc(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > limit:
            return _too_large(limit)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _too_large(limit)
        try:
            reply = await dispatcher.handle(body, peer=request.remote)
        except Exception:  # a bug must still yield a JSON-RPC error, never an HTML 500
            logger.exception("unexpected error while handling a request")
            return web.Response(body=_INTERNAL, status=500, content_type=_JSON)
        if not reply.body:
            return web.Response(status=reply.status)
        return web.Response(body=reply.body, status=reply.status, content_type=_JSON)

    async def health(request: web.Request) -> web.Response:
        info = await dispatcher.status()
        status = 200 if info["status"] == "ok" else 503
        return web.Response(body=orjson.dumps(info), status=status, content_type=_JSON)

    async def usage(request: web.Request) -> web.Response:
        text = b'{"detail":"POST JSON-RPC 2.0 requests to /; GET /health for status"}'
        return web.Response(body=text, status=405, content_type=_JSON, headers={"Allow": "POST"})

    async def on_startup(app: web.Application) -> None:
        await upstream.start()

    async def on_cleanup(app: web.Application) -> None:
        await upstream.close()

    app.router.add_post("/", rpc)
    app.router.add_get("/", usage)
    app.router.add_get("/health", health)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


async def serve(
    settings: GatewaySettings, *, on_ready: Callable[[str], None] | None = None
) -> None:
    """Serve until SIGINT/SIGTERM; ``on_ready`` gets the URL once the socket listens."""
    runner = web.AppRunner(create_app(settings), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, reuse_address=True)
    await site.start()
    port = settings.port
    server = site._server  # the bound socket tells the real port when port 0 was asked for
    if isinstance(server, asyncio.base_events.Server) and server.sockets:
        port = server.sockets[0].getsockname()[1]
    url = f"http://{settings.host}:{port}"
    logger.info(
        "gateway listening on %s -> node %s (deployments %s)",
        url,
        settings.upstream_url,
        settings.deployments_dir,
    )
    if on_ready is not None:
        on_ready(url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        logger.info("gateway stopping")
        await runner.cleanup()


def run(settings: GatewaySettings) -> None:
    """Run the gateway in the current thread (uvloop if installed)."""
    try:
        import uvloop

        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(settings))
