"""The gateway's HTTP side: routes, the listening socket, start-up and shutdown.

``POST /`` takes JSON-RPC (single or batch); ``GET /health`` reports the node's chain id, its latest
block and the permissioning contract in use. Served by :mod:`gateway.httpserver` on uvloop.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket

import orjson

from gateway.config import GatewaySettings
from gateway.dispatch import Dispatcher
from gateway.errors import HTTP_PAYLOAD_TOO_LARGE, LIMIT_EXCEEDED
from gateway.httpserver import HttpRequest, HttpResponse, HttpServer
from gateway.permissions import PermissionChecker
from gateway.upstream import Upstream

logger = logging.getLogger("gateway")

_USAGE = b'{"detail":"POST JSON-RPC 2.0 requests to /; GET /health for the gateway status"}'
_NOT_FOUND = b'{"detail":"not found: POST JSON-RPC 2.0 requests to /"}'


def too_large_response(limit: int) -> HttpResponse:
    error = {
        "code": LIMIT_EXCEEDED,
        "message": (
            f"limit exceeded: the request body is larger than the gateway's limit of {limit} bytes"
        ),
    }
    body = orjson.dumps({"jsonrpc": "2.0", "id": None, "error": error})
    return HttpResponse(HTTP_PAYLOAD_TOO_LARGE, body, close=True)


class Gateway:
    """The gateway's parts wired together: upstream client, permission checker, dispatcher."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.upstream = Upstream(
            settings.upstream_url,
            timeout=settings.upstream_timeout,
            connections=settings.upstream_connections,
        )
        self.dispatcher = Dispatcher(
            upstream=self.upstream,
            permissions=PermissionChecker(
                deployments_dir=settings.deployments_dir, upstream=self.upstream
            ),
            chain_id=settings.chain_id,
            max_batch_size=settings.max_batch_size,
        )
        self.http = HttpServer(
            self.handle,
            max_body_bytes=settings.max_body_bytes,
            too_large=too_large_response(settings.max_body_bytes),
        )

    async def handle(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/":
            if request.method == "POST":
                reply = await self.dispatcher.handle(request.body, peer=request.peer)
                return HttpResponse(reply.status, reply.body)
            return HttpResponse(405, _USAGE, headers=((b"allow", b"POST"),))
        if request.path == "/health":
            if request.method == "GET":
                info = await self.dispatcher.status()
                return HttpResponse(200 if info["status"] == "ok" else 503, orjson.dumps(info))
            return HttpResponse(405, _USAGE, headers=((b"allow", b"GET"),))
        return HttpResponse(404, _NOT_FOUND)

    async def serve(self, sock: socket.socket, stop: asyncio.Event) -> None:
        await self.upstream.start()
        await self.http.start(sock)
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        logger.info(
            "gateway listening on http://%s:%d -> node %s (deployments %s)",
            shown,
            port,
            self.settings.upstream_url,
            self.settings.deployments_dir,
        )
        try:
            await stop.wait()
        finally:
            logger.info("gateway stopping")
            await self.http.shutdown()
            await self.upstream.close()


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket up front (the real port is then known even for port 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


async def _main(settings: GatewaySettings, sock: socket.socket) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await Gateway(settings).serve(sock, stop)


def run(settings: GatewaySettings) -> None:
    """Serve until SIGINT/SIGTERM, on uvloop when it is installed."""
    sock = bind(settings.host, settings.port)
    try:
        import uvloop

        uvloop.run(_main(settings, sock))
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        asyncio.run(_main(settings, sock))
    finally:
        sock.close()
