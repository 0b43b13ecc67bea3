"""A lean JSON-RPC client for Ethereum nodes.

web3.py's default provider adds middleware round trips (two extra ``eth_chainId`` calls per
``eth_call``) and cannot batch; on a local chain those round trips dominate. This client keeps one
HTTP connection alive, sends single or batch requests, and leaves ABI work to :mod:`registry_core.abi`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Any

import httpx
import orjson

from registry_core.errors import RpcConnectionError, RpcError

JsonValue = Any
Call = tuple[str, Sequence[JsonValue]]


class RpcClient:
    """Synchronous JSON-RPC client over HTTP with keep-alive and batch requests."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url
        self._http = httpx.Client(
            timeout=timeout, headers={"Content-Type": "application/json"}, trust_env=False
        )
        self._ids = itertools.count(1)
        self._chain_id: int | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, payload: object) -> Any:
        try:
            response = self._http.post(self.url, content=orjson.dumps(payload))
        except httpx.HTTPError as exc:
            raise RpcConnectionError(f"cannot reach JSON-RPC endpoint {self.url}: {exc}") from exc
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise RpcConnectionError(
                f"{self.url} answered HTTP {response.status_code} without JSON-RPC content"
            ) from exc

    @staticmethod
    def _result(reply: Any) -> JsonValue:
        if not isinstance(reply, dict):
            raise RpcConnectionError(f"malformed JSON-RPC reply: {reply!r:.200}")
        if "error" in reply:
            error = reply["error"] or {}
            raise RpcError(
                int(error.get("code", -32603)), str(error.get("message", "")), error.get("data")
            )
        return reply.get("result")

    def request(self, method: str, params: Sequence[JsonValue] = ()) -> JsonValue:
        """Send one call and return its result; raise :class:`RpcError` on a JSON-RPC error."""
        return self._result(
            self._post(
                {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
            )
        )

    def batch(self, calls: Sequence[Call]) -> list[JsonValue | RpcError]:
        """Send many calls in one HTTP request; results come back in call order.

        A failing call yields its :class:`RpcError` in place instead of raising, so one refusal does
        not hide the other answers.
        """
        if not calls:
            return []
        first = next(self._ids)
        payload = [
            {"jsonrpc": "2.0", "id": first + i, "method": method, "params": list(params)}
            for i, (method, params) in enumerate(calls)
        ]
        # Reserve the ids used by this batch.
        self._ids = itertools.count(first + len(calls))
        replies = self._post(payload)
        if not isinstance(replies, list):
            self._result(replies)  # a single error object for the whole batch
            raise RpcConnectionError(f"malformed JSON-RPC batch reply: {replies!r:.200}")
        by_id = {reply.get("id"): reply for reply in replies if isinstance(reply, dict)}
        results: list[JsonValue | RpcError] = []
        for i in range(len(calls)):
            try:
                results.append(self._result(by_id.get(first + i)))
            except RpcError as exc:
                results.append(exc)
        return results

    # Convenience wrappers for the calls the project uses everywhere.

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.request("eth_chainId"), 16)
        return self._chain_id

    def block_number(self) -> int:
        return int(self.request("eth_blockNumber"), 16)

    def get_code(self, address: str, block: str = "latest") -> bytes:
        return bytes.fromhex(self.request("eth_getCode", [address, block])[2:])

    def call(self, to: str, data: bytes, block: str | int = "latest") -> bytes:
        tag = hex(block) if isinstance(block, int) else block
        result = self.request("eth_call", [{"to": to, "data": "0x" + data.hex()}, tag])
        return bytes.fromhex(result[2:])

    def nonce(self, address: str, block: str = "pending") -> int:
        return int(self.request("eth_getTransactionCount", [address, block]), 16)

    def send_raw_transaction(self, raw: bytes) -> str:
        return str(self.request("eth_sendRawTransaction", ["0x" + raw.hex()]))

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        result = self.request("eth_getTransactionReceipt", [tx_hash])
        return result if isinstance(result, dict) else None

    def wait_for_receipt(
        self, tx_hash: str, *, timeout: float = 30.0, poll: float = 0.02
    ) -> dict[str, Any]:
        """Poll for a receipt (every 20 ms, not web3's 100 ms) until ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            receipt = self.receipt(tx_hash)
            if receipt is not None:
                return receipt
            if time.monotonic() > deadline:
                raise TimeoutError(f"no receipt for {tx_hash} after {timeout:.0f} s")
            time.sleep(poll)

    def get_logs(
        self, *, address: str | Sequence[str], from_block: int, to_block: int | str = "latest"
    ) -> list[dict[str, Any]]:
        to_tag = hex(to_block) if isinstance(to_block, int) else to_block
        query = {"address": address, "fromBlock": hex(from_block), "toBlock": to_tag}
        return list(self.request("eth_getLogs", [query]))
