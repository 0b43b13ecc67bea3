"""A JSON-RPC proxy that limits ``eth_getLogs`` ranges as Besu's ``--rpc-max-logs-range`` does.

No Besu binary is reachable on these machines, so tests put this in front of the real anvil:
every request is forwarded over real HTTP, except an ``eth_getLogs`` whose range is wider than the
limit, which gets Besu's answer (``RpcErrorType.EXCEEDS_RPC_MAX_BLOCK_RANGE``: code -32005,
"Requested range exceeds maximum RPC range limit"; Besu refuses when ``to - from > limit``).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx
import orjson

BESU_RANGE_ERROR = {"code": -32005, "message": "Requested range exceeds maximum RPC range limit"}


class LogRangeLimitProxy:
    """``with LogRangeLimitProxy(upstream, max_range=10) as proxy: RpcClient(proxy.url)``."""

    def __init__(self, upstream: str, *, max_range: int) -> None:
        self.upstream = upstream
        self.max_range = max_range
        self.refused: list[tuple[int, int]] = []  # (from, to) of every refused query
        self.served: list[tuple[int, int]] = []
        proxy = self
        http = httpx.Client(timeout=30, trust_env=False)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = orjson.loads(body)
                refusal = proxy._refusal(request) if isinstance(request, dict) else None
                if refusal is not None:
                    answer = orjson.dumps(refusal)
                else:
                    answer = http.post(
                        proxy.upstream, content=body, headers={"Content-Type": "application/json"}
                    ).content
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = http
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _refusal(self, request: dict[str, Any]) -> dict[str, Any] | None:
        if request.get("method") != "eth_getLogs":
            return None
        query = request["params"][0]
        start, end = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        if end - start > self.max_range:
            self.refused.append((start, end))
            return {"jsonrpc": "2.0", "id": request.get("id"), "error": BESU_RANGE_ERROR}
        self.served.append((start, end))
        return None

    def __enter__(self) -> LogRangeLimitProxy:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._http.close()
