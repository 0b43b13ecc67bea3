"""Refused methods and malformed requests: each a clear JSON-RPC error with the documented code."""

from __future__ import annotations

import pytest

from gateway.errors import (
    INVALID_REQUEST,
    LIMIT_EXCEEDED,
    METHOD_REFUSED,
    PARSE_ERROR,
)
from tests.gateway.conftest import GatewayProcess


def single(method: str, params: list[object] | None = None) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": 7, "method": method, "params": params or []}


def assert_error(answer: object, code: int, fragment: str, request_id: object = 7) -> None:
    assert isinstance(answer, dict), f"expected one JSON-RPC error object, got {answer!r}"
    assert answer.get("id") == request_id, f"expected id {request_id!r}, got {answer!r}"
    error = answer.get("error")
    assert isinstance(error, dict), f"expected an error, got {answer!r}"
    assert error["code"] == code, f"expected code {code}, got {error}"
    assert fragment in error["message"], f"expected {fragment!r} in {error['message']!r}"


@pytest.mark.parametrize(
    ("method", "fragment"),
    [
        (
            "eth_sendTransaction",
            "eth_sendTransaction is refused: the gateway only accepts transactions signed by "
            "the sender (eth_sendRawTransaction)",
        ),
        ("anvil_setBalance", "anvil_setBalance is refused: node administration methods"),
        ("evm_mine", "evm_mine is refused: node administration methods are not exposed"),
        ("hardhat_impersonateAccount", "node administration methods are not exposed"),
        ("admin_nodeInfo", "node administration methods are not exposed"),
        ("miner_start", "node administration methods are not exposed"),
        ("personal_sign", "personal_sign is refused: the node holds no keys"),
        ("eth_sign", "eth_sign is refused: the node holds no keys for clients; sign locally"),
        ("eth_signTypedData_v4", "eth_signTypedData_v4 is refused: the node holds no keys"),
        ("eth_signTransaction", "eth_signTransaction is refused: the node holds no keys"),
        ("debug_traceTransaction", "debug_traceTransaction is refused: debugging and tracing"),
        ("ots_getApiLevel", "ots_getApiLevel is refused: debugging and tracing"),
        ("txpool_content", "txpool_content is refused: transaction pool inspection"),
        ("eth_subscribe", "eth_subscribe is refused: subscriptions need a WebSocket"),
        (
            "eth_frobnicate",
            "eth_frobnicate is refused: the method is unknown or not on the gateway",
        ),
    ],
)
def test_refused_method_gets_clear_error(
    gateway: GatewayProcess, method: str, fragment: str
) -> None:
    status, answer = gateway.call(single(method))
    assert status == 200
    assert_error(answer, METHOD_REFUSED, fragment)


def test_refusal_is_logged_once_with_method_and_reason(gateway: GatewayProcess) -> None:
    gateway.call(single("anvil_setCode", ["0x" + "11" * 20, "0xdeadbeefcafe"]))
    lines = [line for line in gateway.log().splitlines() if "method=anvil_setCode" in line]
    assert len(lines) == 1, lines
    assert "reason=node administration methods are not exposed" in lines[0]
    assert "deadbeefcafe" not in gateway.log(), "request payloads must never be logged"


def test_malformed_json_is_parse_error(gateway: GatewayProcess) -> None:
    response = gateway.post(b'{"jsonrpc": "2.0", "method": ')
    assert response.status_code == 200
    assert_error(
        response.json(), PARSE_ERROR, "parse error: the request body is not valid JSON", None
    )


def test_empty_body_is_parse_error(gateway: GatewayProcess) -> None:
    assert_error(gateway.post(b"").json(), PARSE_ERROR, "not valid JSON", None)


@pytest.mark.parametrize(
    ("payload", "fragment", "request_id"),
    [
        ({"jsonrpc": "1.0", "id": 7, "method": "eth_blockNumber"}, '"jsonrpc" must be "2.0"', 7),
        ({"jsonrpc": "2.0", "id": 7}, '"method" must be a non-empty string', 7),
        ({"jsonrpc": "2.0", "id": 7, "method": 5}, '"method" must be a non-empty string', 7),
        (
            {"jsonrpc": "2.0", "id": 7, "method": "eth_blockNumber", "params": "x"},
            '"params" must be an array or an object',
            7,
        ),
        (
            {"jsonrpc": "2.0", "id": [1], "method": "eth_blockNumber"},
            '"id" must be a string, a number or null',
            None,
        ),
        ("eth_blockNumber", "expected a JSON-RPC request object", None),
    ],
)
def test_invalid_request_object(
    gateway: GatewayProcess, payload: object, fragment: str, request_id: object
) -> None:
    status, answer = gateway.call(payload)
    assert status == 200
    assert_error(answer, INVALID_REQUEST, f"invalid request: {fragment}", request_id)


def test_empty_batch_is_invalid_request(gateway: GatewayProcess) -> None:
    status, answer = gateway.call([])
    assert status == 200
    assert_error(answer, INVALID_REQUEST, "invalid request: empty batch", None)


def test_batch_over_the_limit_is_refused(gateway: GatewayProcess) -> None:
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_blockNumber"} for i in range(1001)]
    status, answer = gateway.call(batch)
    assert status == 200
    assert_error(
        answer,
        LIMIT_EXCEEDED,
        "a batch of 1001 requests is larger than the gateway's limit of 1000",
        None,
    )


def test_body_over_the_limit_is_413(limited_gateway: GatewayProcess) -> None:
    body = b'{"jsonrpc":"2.0","id":1,"method":"eth_call","params":["' + b"a" * 5000 + b'"]}'
    response = limited_gateway.post(body)
    assert response.status_code == 413
    assert_error(
        response.json(),
        LIMIT_EXCEEDED,
        "request body is larger than the gateway's limit of 4096 bytes",
        None,
    )


def test_batch_limit_is_configurable(limited_gateway: GatewayProcess) -> None:
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(6)]
    _, answer = limited_gateway.call(batch)
    assert_error(answer, LIMIT_EXCEEDED, "limit of 5; split it", None)


def test_get_on_rpc_path_is_405(gateway: GatewayProcess) -> None:
    response = gateway.http.get(gateway.url)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "POST JSON-RPC 2.0 requests" in response.json()["detail"]
