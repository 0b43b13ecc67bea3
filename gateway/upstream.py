"""The gateway's connection to the chain node: a small keep-alive HTTP/1.1 client on raw asyncio.

Every forwarded request pays this hop, so it is kept lean: a pool of persistent connections, one
request in flight per connection, the request head written by hand and the response parsed by
httptools (llhttp, the parser uvicorn uses). Measured against aiohttp's ClientSession on this
project's benchmark it cuts the gateway's added latency by more than half. Plain ``http://`` only:
the node listens on loopback (put a TLS-terminating proxy in front of a remote node).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import urlsplit

import httptools
import orjson

from gateway.errors import ConfigurationError, UpstreamError

logger = logging.getLogger("gateway.upstream")

UNREACHABLE = "the chain node behind the gateway is unreachable; try again later"


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.parts: list[bytes] = []
        self.closed = False
        self.used = False  # has completed a request before (a stale keep-alive may be closed)
        self.received = False  # bytes of the current response arrived

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"malformed HTTP response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionError("the node closed the connection"))

    # httptools callbacks

    def on_body(self, body: bytes) -> None:
        self.parts.append(body)

    def on_message_complete(self) -> None:
        if not self.parser.should_keep_alive():
            self.close()
        body = b"".join(self.parts)
        self.parts = []
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((self.parser.get_status_code(), body))

    # Client side

    def send(
        self, data: bytes, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        self.waiter = loop.create_future()
        self.received = False
        self.transport.write(data)
        return self.waiter

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Upstream:
    """Posts JSON-RPC bodies to the node and returns its answers (bytes, or decoded results)."""

    def __init__(self, url: str, *, timeout: float = 30.0, connections: int = 64) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ConfigurationError(
                f"upstream URL {url!r}: the gateway talks plain http:// to a node on its host"
            )
        self.url = url
        self._host = parts.hostname
        self._port = parts.port or 80
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        host_header = parts.netloc.rsplit("@", 1)[-1]
        self._head = (
            f"POST {path} HTTP/1.1\r\nHost: {host_header}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode("ascii")
        self._timeout = timeout
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(connections)
        self._ids = itertools.count(1)

    async def start(self) -> None:
        """Nothing to open up front: connections are made on first use and then kept."""

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(_Connection, self._host, self._port)
        return connection

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            connection = None
            while self._idle and connection is None:
                candidate = self._idle.pop()
                if not candidate.closed:
                    connection = candidate
            if connection is None:
                connection = await self._connect()
            reused = connection.used
            waiter = connection.send(request, loop)
            timer = loop.call_later(self._timeout, _expire, waiter)
            try:
                status, body = await waiter
            except ConnectionError:
                connection.close()
                # A kept-alive connection the node closed meanwhile: retry once on a fresh one.
                if reused and not connection.received and attempt == 1:
                    continue
                raise
            except BaseException:  # timeout or cancellation: the answer may still come; drop it
                connection.close()
                raise
            finally:
                timer.cancel()
            connection.used = True
            if not connection.closed:
                self._idle.append(connection)
            return status, body
        raise ConnectionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def post(self, body: bytes) -> bytes:
        """Send a JSON-RPC body as is and return the node's JSON answer as is."""
        request = b"%s%d\r\n\r\n%s" % (self._head, len(body), body)
        async with self._slots:
            try:
                status, answer = await self._exchange(request)
            except (OSError, TimeoutError) as exc:
                logger.warning("upstream %s unreachable: %s", self.url, exc)
                raise UpstreamError(UNREACHABLE) from exc
        if status == 204 or (status == 200 and answer):  # 204: the answer to a notification
            return answer
        if not answer.lstrip().startswith((b"{", b"[")):
            logger.warning(
                "upstream %s answered HTTP %d without JSON-RPC content", self.url, status
            )
            raise UpstreamError(f"the chain node answered HTTP {status} without a JSON-RPC reply")
        return answer

    async def post_json(self, payload: object) -> Any:
        answer = await self.post(orjson.dumps(payload))
        try:
            return orjson.loads(answer)
        except orjson.JSONDecodeError:
            raise UpstreamError("the chain node answered with something that is not JSON") from None

    async def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call's result; a node-side JSON-RPC error raises :class:`UpstreamError`."""
        reply = await self.post_json(
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        )
        if not isinstance(reply, dict) or "error" in reply:
            error = reply.get("error") if isinstance(reply, dict) else reply
            raise UpstreamError(f"the chain node failed {method}: {_describe(error)}")
        return reply.get("result")

    async def batch(self, requests: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send request objects with ids ``0..n-1`` as one batch; replies come back in that order.

        A missing reply, or a single error object for the whole batch, becomes an error reply in
        place, so every request gets exactly one answer.
        """
        if not requests:
            return []
        replies = await self.post_json(list(requests))
        if isinstance(replies, dict):  # one error for the whole batch
            error = replies.get("error") or {"code": -32603, "message": "batch refused by the node"}
            return [{"jsonrpc": "2.0", "id": i, "error": error} for i in range(len(requests))]
        by_id: dict[Any, dict[str, Any]] = {}
        if isinstance(replies, list):
            for reply in replies:
                if isinstance(reply, dict):
                    by_id[reply.get("id")] = reply
        missing = {"code": -32603, "message": "the chain node returned no reply for this request"}
        return [
            by_id.get(i) or {"jsonrpc": "2.0", "id": i, "error": missing}
            for i in range(len(requests))
        ]


def _expire(waiter: asyncio.Future[tuple[int, bytes]]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError("the node did not answer in time"))


def _describe(error: object) -> str:
    if isinstance(error, dict):
        return f"{error.get('message', 'error')} (code {error.get('code')})"
    return repr(error)[:200]
