"""Reads pass through, single and batch; constants are answered locally; a dead node is reported."""

from __future__ import annotations

from gateway.errors import INTERNAL_ERROR, METHOD_REFUSED
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from tests.gateway.conftest import GatewayProcess
from tests.gateway.test_refusals import assert_error


def request(
    request_id: object, method: str, params: list[object] | None = None
) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or []}


def test_reads_answer_as_the_node_does(
    gateway_rpc: RpcClient, node_rpc: RpcClient, city: DeploymentManifest
) -> None:
    council = city.contract("CityCouncil")
    assert gateway_rpc.request("eth_chainId") == node_rpc.request("eth_chainId") == "0xcb5e"
    assert gateway_rpc.request("net_version") == node_rpc.request("net_version")
    assert gateway_rpc.get_code(council.address) == node_rpc.get_code(council.address) != b""
    block = hex(council.deploy_block)
    assert gateway_rpc.request("eth_getBlockByNumber", [block, False]) == node_rpc.request(
        "eth_getBlockByNumber", [block, False]
    )
    receipt = gateway_rpc.receipt(council.deploy_tx)
    assert receipt is not None and receipt["contractAddress"].lower() == council.address.lower()
    logs = gateway_rpc.get_logs(address=council.address, from_block=council.deploy_block)
    assert logs == node_rpc.get_logs(address=council.address, from_block=council.deploy_block)


def test_eth_accounts_is_empty(gateway: GatewayProcess) -> None:
    _, answer = gateway.call(request(3, "eth_accounts"))
    assert answer == {"jsonrpc": "2.0", "id": 3, "result": []}


def test_filters_work_through_the_gateway(gateway_rpc: RpcClient) -> None:
    filter_id = gateway_rpc.request("eth_newBlockFilter")
    assert isinstance(gateway_rpc.request("eth_getFilterChanges", [filter_id]), list)
    assert gateway_rpc.request("eth_uninstallFilter", [filter_id]) is True


def test_batch_mixes_allowed_and_refused_in_order(gateway: GatewayProcess) -> None:
    batch = [
        request("a", "eth_blockNumber"),
        request("b", "anvil_mine"),
        request("c", "eth_chainId"),
        7,
        request("e", "eth_getBalance", ["0x" + "00" * 20, "latest"]),
        request("f", "eth_sendTransaction", [{}]),
        request("g", "eth_accounts"),
    ]
    status, answers = gateway.call(batch)
    assert status == 200
    assert [answer["id"] for answer in answers] == ["a", "b", "c", None, "e", "f", "g"]
    assert answers[0]["result"].startswith("0x")
    assert_error(answers[1], METHOD_REFUSED, "anvil_mine is refused", "b")
    assert answers[2]["result"] == "0xcb5e"
    assert_error(answers[3], -32600, "expected a JSON-RPC request object", None)
    assert answers[4]["result"] == "0x0"
    assert_error(answers[5], METHOD_REFUSED, "eth_sendTransaction is refused", "f")
    assert answers[6]["result"] == []


def test_batch_keeps_duplicate_ids_apart(gateway: GatewayProcess) -> None:
    batch = [
        request(1, "eth_getBalance", ["0x" + "00" * 20, "latest"]),
        request(1, "net_version"),
        request(1, "eth_getCode", ["0x" + "00" * 20, "latest"]),
    ]
    _, answers = gateway.call(batch)
    assert [a["id"] for a in answers] == [1, 1, 1]
    assert [a["result"] for a in answers] == ["0x0", "52062", "0x"]


def test_notifications_get_no_answer(gateway: GatewayProcess) -> None:
    response = gateway.post(b'{"jsonrpc":"2.0","method":"eth_blockNumber","params":[]}')
    assert response.status_code == 204 and response.content == b""
    status, answers = gateway.call(
        [{"jsonrpc": "2.0", "method": "eth_blockNumber"}, request(2, "eth_chainId")]
    )
    assert status == 200
    assert answers == [{"jsonrpc": "2.0", "id": 2, "result": "0xcb5e"}]


def test_health_reports_chain_and_permissioning(
    gateway: GatewayProcess, city: DeploymentManifest
) -> None:
    health = gateway.http.get(f"{gateway.url}/health").json()
    assert health["status"] == "ok"
    assert health["chain_id"] == 52062
    assert health["permissioning"] == city.address("AccountPermissioning")


def test_unreachable_node_is_502_with_internal_error(limited_gateway: GatewayProcess) -> None:
    status, answer = limited_gateway.call(request(9, "eth_blockNumber"))
    assert status == 502
    assert_error(answer, INTERNAL_ERROR, "the chain node behind the gateway is unreachable", 9)
    status, answers = limited_gateway.call([request(1, "eth_blockNumber"), request(2, "evm_mine")])
    assert status == 502
    assert_error(answers[0], INTERNAL_ERROR, "unreachable", 1)
    assert_error(answers[1], METHOD_REFUSED, "evm_mine is refused", 2)
    assert limited_gateway.http.get(f"{limited_gateway.url}/health").status_code == 503


def test_duplicate_keys_cannot_smuggle_a_refused_method(
    gateway: GatewayProcess, node_rpc: RpcClient
) -> None:
    """The node gets what the gateway checked, not the client's bytes: whichever duplicate a JSON
    parser keeps, ``evm_mine`` never reaches the node."""
    block = node_rpc.block_number()
    for body in (
        b'{"jsonrpc":"2.0","id":1,"method":"evm_mine","method":"eth_blockNumber","params":[]}',
        b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","method":"evm_mine","params":[]}',
    ):
        gateway.post(body)
    assert node_rpc.block_number() == block
