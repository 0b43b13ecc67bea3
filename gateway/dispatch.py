"""JSON-RPC handling, independent of the HTTP server: parse, classify, check, forward, answer.

A forwarded request goes to the node re-encoded from what the gateway parsed (orjson, ~1 us), so
the node cannot read anything the gateway did not check (e.g. a duplicate "method" key); the node's
answer comes back byte for byte, never decoded. A batch is split: refused entries get their error in place, allowed
ones go to the node together as one batch (ids rewritten to positions, then restored), so order and
ids are preserved even when clients reuse ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from gateway.errors import (
    HTTP_OK,
    INVALID_PARAMS,
    INVALID_REQUEST,
    LIMIT_EXCEEDED,
    METHOD_REFUSED,
    PARSE_ERROR,
    ConfigurationError,
    GatewayError,
    UpstreamError,
)
from gateway.permissions import PermissionChecker
from gateway.policy import (
    CACHED,
    SEND_RAW_TRANSACTION,
    Route,
    classify,
    refusal_message,
    refusal_reason,
)
from gateway.transactions import (
    SignedTransaction,
    check_chain_id,
    decode_raw_transaction,
    parse_hex,
)
from gateway.upstream import Upstream

logger = logging.getLogger("gateway")

HTTP_NO_CONTENT = 204


class Reply(NamedTuple):
    status: int
    body: bytes


NO_CONTENT = Reply(HTTP_NO_CONTENT, b"")


@dataclass(frozen=True, slots=True)
class Request:
    obj: dict[str, Any]
    method: str
    params: Any
    id: Any
    notification: bool  # no "id": the client expects no answer (JSON-RPC 2.0 section 4.1)


def _note(method: str, route: Route) -> None:
    """At DEBUG, every method the gateway sees and what it does with it (which methods a city's
    software uses: ``tests/e2e/test_standard_rpc.py`` reads these lines)."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("method=%s route=%s", method[:64], route.value)


def _invalid(reason: str) -> GatewayError:
    return GatewayError(INVALID_REQUEST, f"invalid request: {reason}")


def _valid_id(value: object) -> bool:
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def parse_request(obj: object) -> Request:
    """Check one JSON-RPC 2.0 request object; :class:`GatewayError` (-32600) says what is wrong."""
    if not isinstance(obj, dict):
        raise _invalid("expected a JSON-RPC request object")
    if obj.get("jsonrpc") != "2.0":
        raise _invalid('"jsonrpc" must be "2.0"')
    method = obj.get("method")
    if not isinstance(method, str) or not method:
        raise _invalid('"method" must be a non-empty string')
    params = obj.get("params")
    if params is not None and not isinstance(params, list | dict):
        raise _invalid('"params" must be an array or an object')
    if not _valid_id(obj.get("id")):
        raise _invalid('"id" must be a string, a number or null')
    return Request(obj, method, params, obj.get("id"), "id" not in obj)


def _reply_id(obj: object) -> Any:
    request_id = obj.get("id") if isinstance(obj, dict) else None
    return request_id if _valid_id(request_id) else None


def _error(request_id: Any, error: GatewayError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_error()}


def _result(request_id: Any, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


class Dispatcher:
    """Answers JSON-RPC bodies for the HTTP layer."""

    def __init__(
        self,
        *,
        upstream: Upstream,
        permissions: PermissionChecker,
        chain_id: int | None = None,
        max_batch_size: int = 1000,
    ) -> None:
        self.upstream = upstream
        self.permissions = permissions
        self.expected_chain_id = chain_id
        self.max_batch_size = max_batch_size
        self._cache: dict[str, Any] = {}
        self._chain_id: int | None = None

    # Constant values of the chain.

    async def chain_id(self) -> int:
        if self._chain_id is None:
            result = await self._cached("eth_chainId")
            try:
                chain_id = int(result, 16)
            except (TypeError, ValueError):
                self._cache.pop("eth_chainId", None)
                raise UpstreamError("the chain node returned an invalid chain id") from None
            if self.expected_chain_id is not None and chain_id != self.expected_chain_id:
                self._cache.pop("eth_chainId", None)
                logger.error(
                    "the node reports chain id %d, the gateway is configured for %d",
                    chain_id,
                    self.expected_chain_id,
                )
                raise ConfigurationError(
                    f"the gateway is configured for chain {self.expected_chain_id} but its node "
                    f"runs chain {chain_id}"
                )
            self._chain_id = chain_id
        return self._chain_id

    async def _cached(self, method: str) -> Any:
        if method not in self._cache:
            self._cache[method] = await self.upstream.call(method)
        return self._cache[method]

    async def _local(self, method: str) -> Any:
        if method == "eth_chainId":
            await self.chain_id()  # checks the configured chain id once
        if method in CACHED:
            return await self._cached(method)
        return []  # eth_accounts: the node holds no keys for clients

    # Entry point.

    async def handle(self, body: bytes, *, peer: str | None = None) -> Reply:
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            error = GatewayError(
                PARSE_ERROR, f"parse error: the request body is not valid JSON ({exc})"
            )
            return Reply(HTTP_OK, orjson.dumps(_error(None, error)))
        if isinstance(payload, list):
            return await self._batch(payload, peer)
        return await self._single(payload, peer)

    async def _single(self, obj: object, peer: str | None) -> Reply:
        try:
            request = parse_request(obj)
            route = classify(request.method)
            _note(request.method, route)
            if route is Route.FORWARD:
                answer = await self.upstream.post(orjson.dumps(request.obj))
            elif route is Route.LOCAL:
                answer = orjson.dumps(_result(request.id, await self._local(request.method)))
            elif route is Route.RAW_TRANSACTION:
                problem = (await self._check_raw_transactions([request], peer))[0]
                if problem is not None:
                    raise problem
                answer = await self.upstream.post(orjson.dumps(request.obj))
            else:
                raise self._refuse(request, peer)
        except GatewayError as exc:
            if isinstance(obj, dict) and "id" not in obj and exc.code != INVALID_REQUEST:
                return NO_CONTENT
            return Reply(exc.http_status, orjson.dumps(_error(_reply_id(obj), exc)))
        return NO_CONTENT if request.notification else Reply(HTTP_OK, answer)

    def _refuse(self, request: Request, peer: str | None) -> GatewayError:
        logger.info(
            "refused method=%s peer=%s sender=- reason=%s",
            request.method[:64],
            peer or "-",
            refusal_reason(request.method),
        )
        return GatewayError(METHOD_REFUSED, refusal_message(request.method))

    async def _batch(self, entries: list[Any], peer: str | None) -> Reply:
        if not entries:
            error = _invalid("empty batch: send at least one request")
            return Reply(HTTP_OK, orjson.dumps(_error(None, error)))
        if len(entries) > self.max_batch_size:
            error = GatewayError(
                LIMIT_EXCEEDED,
                f"limit exceeded: a batch of {len(entries)} requests is larger than the gateway's "
                f"limit of {self.max_batch_size}; split it",
            )
            return Reply(HTTP_OK, orjson.dumps(_error(None, error)))

        replies: list[dict[str, Any] | None] = [None] * len(entries)
        requests: list[Request | None] = [None] * len(entries)
        forward: list[tuple[int, Request]] = []
        raw: list[tuple[int, Request]] = []
        status = HTTP_OK
        for i, obj in enumerate(entries):
            try:
                request = requests[i] = parse_request(obj)
                route = classify(request.method)
                _note(request.method, route)
                if route is Route.FORWARD:
                    forward.append((i, request))
                elif route is Route.RAW_TRANSACTION:
                    raw.append((i, request))
                elif route is Route.LOCAL:
                    replies[i] = _result(request.id, await self._local(request.method))
                else:
                    raise self._refuse(request, peer)
            except GatewayError as exc:
                replies[i] = _error(_reply_id(obj), exc)
                status = max(status, exc.http_status)

        if raw:
            problems = await self._check_raw_transactions([r for _, r in raw], peer)
            for (i, request), problem in zip(raw, problems, strict=True):
                if problem is None:
                    forward.append((i, request))
                else:
                    replies[i] = _error(_reply_id(entries[i]), problem)
                    status = max(status, problem.http_status)
            forward.sort(key=lambda item: item[0])

        if forward:
            upstream_batch = [{**request.obj, "id": k} for k, (_, request) in enumerate(forward)]
            try:
                answers = await self.upstream.batch(upstream_batch)
            except GatewayError as exc:
                answers = [_error(k, exc) for k in range(len(forward))]
                status = max(status, exc.http_status)
            for (i, _), answer in zip(forward, answers, strict=True):
                answer["id"] = _reply_id(entries[i])
                replies[i] = answer

        # Notifications get no answer, except when they were not valid requests at all.
        out = [
            reply
            for reply, request in zip(replies, requests, strict=True)
            if reply is not None and not (request is not None and request.notification)
        ]
        if not out:
            return NO_CONTENT
        return Reply(status, orjson.dumps(out))

    async def _check_raw_transactions(
        self, requests: list[Request], peer: str | None
    ) -> list[GatewayError | None]:
        """Decode, check the chain id and ask the permissioning contract, for many transactions."""
        problems: list[GatewayError | None] = [None] * len(requests)
        txs: list[SignedTransaction | None] = [None] * len(requests)
        try:
            chain_id = await self.chain_id()
        except GatewayError as exc:
            return [exc] * len(requests)
        for i, request in enumerate(requests):
            try:
                params = request.params
                if not isinstance(params, list) or len(params) != 1:
                    raise GatewayError(
                        INVALID_PARAMS,
                        f"{SEND_RAW_TRANSACTION} expects one parameter: the signed transaction "
                        "as 0x-prefixed hex",
                    )
                tx = decode_raw_transaction(parse_hex(params[0]))
                check_chain_id(tx, chain_id)
                txs[i] = tx
            except GatewayError as exc:
                problems[i] = exc
        pending = [(i, tx) for i, tx in enumerate(txs) if tx is not None]
        if pending:
            try:
                decisions = await self.permissions.check(chain_id, [tx for _, tx in pending])
            except GatewayError as exc:
                decisions = [exc] * len(pending)
            for (i, _), decision in zip(pending, decisions, strict=True):
                problems[i] = decision
        for problem, decoded in zip(problems, txs, strict=True):
            if problem is not None:
                logger.info(
                    "refused method=%s peer=%s sender=%s reason=%s",
                    SEND_RAW_TRANSACTION,
                    peer or "-",
                    decoded.sender if decoded is not None else "unknown",
                    problem.message,
                )
        return problems

    async def status(self) -> dict[str, Any]:
        """Health summary: the node's chain id and the permissioning contract in use."""
        info: dict[str, Any] = {"status": "ok"}
        try:
            info["chain_id"] = await self.chain_id()
            info["block_number"] = int(await self.upstream.call("eth_blockNumber"), 16)
        except GatewayError as exc:
            return {"status": "unavailable", "detail": exc.message}
        try:
            info["permissioning"] = self.permissions.contract(info["chain_id"]).address
        except GatewayError as exc:
            info["permissioning"] = None
            info["detail"] = exc.message
        return info
