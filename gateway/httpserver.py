"""A small HTTP/1.1 server for JSON-RPC on raw asyncio, parsed by httptools (llhttp).

Why not a framework: every forwarded call pays the server's per-request cost. Measured on the
project's benchmark (``python -m scripts.bench_gateway``), aiohttp's server and uvicorn's ASGI
server each added 2-5x the latency of this one; one reason is that both write the response head
and body separately, so the client wakes up twice per answer. This server writes each answer in
one piece, keeps connections alive, answers pipelined requests in order, and bounds what a client
can make it hold: head size, body size (413 before reading the body when Content-Length says so),
pipelined requests per connection (reading pauses), idle time.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import cast

import httptools

logger = logging.getLogger("gateway.httpserver")

MAX_HEAD_BYTES = 64 * 1024
MAX_PIPELINED = 16  # queued requests per connection before reading pauses

_REASONS = {
    200: b"OK",
    204: b"No Content",
    400: b"Bad Request",
    404: b"Not Found",
    405: b"Method Not Allowed",
    413: b"Payload Too Large",
    431: b"Request Header Fields Too Large",
    500: b"Internal Server Error",
    502: b"Bad Gateway",
    503: b"Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    body: bytes
    peer: str | None


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = field(default=())
    close: bool = False


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


def encode_response(response: HttpResponse, *, keep_alive: bool) -> bytes:
    """Status line, headers and body in one buffer (one write, one segment for small answers)."""
    head = [
        b"HTTP/1.1 %d %s\r\n" % (response.status, _REASONS.get(response.status, b"Unknown")),
        b"content-length: %d\r\n" % len(response.body),
    ]
    if response.body:
        head.append(b"content-type: application/json\r\n")
    for name, value in response.headers:
        head.append(b"%s: %s\r\n" % (name, value))
    if not keep_alive:
        head.append(b"connection: close\r\n")
    head.append(b"\r\n")
    head.append(response.body)
    return b"".join(head)


class _Connection(asyncio.Protocol):
    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.peer: str | None = None
        self.queue: deque[tuple[HttpRequest | HttpResponse, bool]] = deque()
        self.worker: asyncio.Task[None] | None = None
        self.paused = False
        self.closed = False
        self.idle_timer: asyncio.TimerHandle | None = None
        self._reset_message()

    def _reset_message(self) -> None:
        self.url = b""
        self.head_bytes = 0
        self.parts: list[bytes] = []
        self.size = 0
        self.rejection: HttpResponse | None = None
        self.expect_continue = False
        self.content_length: int | None = None

    # Connection life.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) else None
        self.server.connections.add(self)
        self._arm_idle_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.connections.discard(self)
        if self.idle_timer is not None:
            self.idle_timer.cancel()

    def close(self) -> None:
        if not self.closed and self.transport is not None:
            self.closed = True
            self.transport.close()

    @property
    def busy(self) -> bool:
        return self.worker is not None or bool(self.queue)

    def _arm_idle_timer(self) -> None:
        if self.idle_timer is not None:
            self.idle_timer.cancel()
        self.idle_timer = self.loop.call_later(self.server.idle_timeout, self._idle)

    def _idle(self) -> None:
        if self.busy:
            self._arm_idle_timer()
        else:
            self.close()

    def data_received(self, data: bytes) -> None:
        self._arm_idle_timer()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(HttpResponse(400, b'{"detail":"protocol upgrades are not supported"}'))
        except httptools.HttpParserError:
            self._fail(HttpResponse(400, b'{"detail":"malformed HTTP request"}'))

    def _fail(self, response: HttpResponse) -> None:
        """Answer a request that cannot be parsed, after the ones before it, then close."""
        if self.transport is not None:
            self.transport.pause_reading()
        self._enqueue(HttpResponse(response.status, response.body, close=True), keep_alive=False)

    # httptools callbacks.

    def on_message_begin(self) -> None:
        self._reset_message()

    def on_url(self, url: bytes) -> None:
        self.url += url
        self._count_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value))
        lowered = name.lower()
        if lowered == b"content-length":
            try:
                self.content_length = int(value)
            except ValueError:
                self.content_length = None
        elif lowered == b"expect" and value.lower() == b"100-continue":
            self.expect_continue = True

    def _count_head(self, size: int) -> None:
        self.head_bytes += size
        if self.head_bytes > MAX_HEAD_BYTES:
            raise httptools.HttpParserError("head too large")

    def on_headers_complete(self) -> None:
        length = self.content_length
        if length is not None and length > self.server.max_body_bytes:
            self.rejection = self.server.too_large
        elif self.expect_continue and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        if self.rejection is not None:
            return
        self.size += len(body)
        if self.size > self.server.max_body_bytes:
            self.rejection = self.server.too_large
            self.parts = []
        else:
            self.parts.append(body)

    def on_message_complete(self) -> None:
        keep_alive = self.parser.should_keep_alive()
        if self.rejection is not None:
            self._enqueue(self.rejection, keep_alive=False)
            return
        path = self.url.split(b"?", 1)[0].decode("latin-1")
        method = self.parser.get_method().decode("latin-1")
        body = self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)
        self._enqueue(HttpRequest(method, path, body, self.peer), keep_alive=keep_alive)

    # Answering, in order.

    def _enqueue(self, item: HttpRequest | HttpResponse, *, keep_alive: bool) -> None:
        self.queue.append((item, keep_alive))
        if len(self.queue) >= MAX_PIPELINED and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        if self.worker is None:
            self.worker = self.loop.create_task(self._work())

    async def _work(self) -> None:
        try:
            while self.queue and not self.closed:
                item, keep_alive = self.queue.popleft()
                if isinstance(item, HttpResponse):
                    response = item
                else:
                    response = await self.server.call(item)
                keep_alive = keep_alive and not response.close and not self.server.closing
                if self.closed or self.transport is None:
                    return
                self.transport.write(encode_response(response, keep_alive=keep_alive))
                if not keep_alive:
                    self.close()
                    return
                if self.paused and len(self.queue) < MAX_PIPELINED // 2:
                    self.paused = False
                    self.transport.resume_reading()
        finally:
            self.worker = None


class HttpServer:
    """Serves ``handler`` on a listening socket until :meth:`shutdown`."""

    def __init__(
        self,
        handler: Handler,
        *,
        max_body_bytes: int,
        too_large: HttpResponse | None = None,
        idle_timeout: float = 60.0,
    ) -> None:
        self.handler = handler
        self.max_body_bytes = max_body_bytes
        self.idle_timeout = idle_timeout
        self.too_large = too_large or HttpResponse(413, close=True)
        self.connections: set[_Connection] = set()
        self.closing = False
        self._server: asyncio.Server | None = None

    async def call(self, request: HttpRequest) -> HttpResponse:
        try:
            return await self.handler(request)
        except Exception:
            logger.exception("unexpected error while handling %s %s", request.method, request.path)
            return HttpResponse(500, b'{"detail":"internal error in the gateway"}')

    async def start(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), sock=sock)

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Stop accepting, let requests in flight finish (up to ``timeout``), close everything."""
        self.closing = True
        if self._server is not None:
            self._server.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for connection in list(self.connections):
                if not connection.busy:
                    connection.close()
            if not self.connections or loop.time() > deadline:
                break
            await asyncio.sleep(0.05)
        for connection in list(self.connections):
            connection.close()
