"""Experimental: the gateway as a raw ASGI app on uvicorn (httptools + uvloop)."""

from __future__ import annotations

from typing import Any

import orjson

from gateway.config import GatewaySettings
from gateway.dispatch import Dispatcher
from gateway.permissions import PermissionChecker
from gateway.upstream import Upstream

_JSON_HEADERS = [(b"content-type", b"application/json")]


class GatewayApp:
    def __init__(self, settings: GatewaySettings) -> None:
        self.upstream = Upstream(settings.upstream_url, timeout=settings.upstream_timeout)
        self.dispatcher = Dispatcher(
            upstream=self.upstream,
            permissions=PermissionChecker(deployments_dir=settings.deployments_dir, upstream=self.upstream),
            chain_id=settings.chain_id,
            max_batch_size=settings.max_batch_size,
        )
        self.limit = settings.max_body_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.upstream.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        client = scope.get("client")
        reply = await self.dispatcher.handle(body, peer=client[0] if client else None)
        await send({"type": "http.response.start", "status": reply.status, "headers": _JSON_HEADERS})
        await send({"type": "http.response.body", "body": reply.body})


def main() -> None:
    import sys
    import uvicorn
    settings = GatewaySettings(upstream_url=sys.argv[1], port=int(sys.argv[2]))
    uvicorn.run(GatewayApp(settings), host=settings.host, port=settings.port, loop="uvloop",
                http="httptools", access_log=False, server_header=False, date_header=False, log_level="warning")


if __name__ == "__main__":
    main()
