"""eth_sendRawTransaction: forwarded only for permitted senders on this chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from gateway.errors import INVALID_PARAMS, TRANSACTION_REJECTED
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from scripts.chain import EmbeddedChain
from scripts.deploy import deploy_city
from tests.gateway.conftest import GatewayProcess, raw_request, sign_transfer, start_gateway
from tests.gateway.test_refusals import assert_error

CHAIN_ID = 52062


def test_department_transaction_goes_through(
    gateway_rpc: RpcClient, department_key: LocalAccount
) -> None:
    receipt = Signer(department_key, gateway_rpc).transact(to=department_key.address, data=b"")
    assert int(receipt["status"], 16) == 1
    assert receipt["from"].lower() == department_key.address.lower()


def test_every_transaction_type_of_a_permitted_sender_goes_through(
    gateway: GatewayProcess, node_rpc: RpcClient, department_key: LocalAccount
) -> None:
    for tx_type in (0, 1, 2):
        nonce = node_rpc.nonce(department_key.address)
        raw = sign_transfer(department_key, chain_id=CHAIN_ID, nonce=nonce, tx_type=tx_type)
        _, answer = gateway.call(raw_request(raw))
        assert "result" in answer, f"type {tx_type}: {answer}"
        receipt = node_rpc.wait_for_receipt(answer["result"], timeout=10)
        assert int(receipt["type"], 16) == tx_type


def test_unpermitted_sender_is_refused_and_nothing_is_mined(
    gateway: GatewayProcess, node_rpc: RpcClient
) -> None:
    stranger: LocalAccount = Account.create()
    raw = sign_transfer(stranger, chain_id=CHAIN_ID, nonce=0)
    block = node_rpc.block_number()
    status, answer = gateway.call(raw_request(raw, "x"))
    assert status == 200
    assert_error(
        answer,
        TRANSACTION_REJECTED,
        f"transaction rejected: sender {stranger.address} is not permitted to transact",
        "x",
    )
    tx_hash = "0x" + keccak(raw).hex()
    assert node_rpc.request("eth_getTransactionByHash", [tx_hash]) is None
    assert node_rpc.nonce(stranger.address) == 0
    assert node_rpc.block_number() == block
    line = next(x for x in gateway.log().splitlines() if f"sender={stranger.address}" in x)
    assert "method=eth_sendRawTransaction" in line and "not permitted" in line
    assert raw.hex() not in gateway.log(), "raw transactions must never be logged"


def test_council_member_contract_creation_is_checked_with_zero_target(
    gateway: GatewayProcess, node_rpc: RpcClient, council_keys: list[LocalAccount]
) -> None:
    member = council_keys[2]
    tx: dict[str, Any] = {
        "type": 2,
        "chainId": CHAIN_ID,
        "nonce": node_rpc.nonce(member.address),
        "gas": 100_000,
        "maxFeePerGas": 0,
        "maxPriorityFeePerGas": 0,
        "value": 0,
        "data": bytes.fromhex("600a600c600039600a6000f3602a60005260206000f3"),
    }
    raw = bytes(member.sign_transaction(tx).raw_transaction)
    _, answer = gateway.call(raw_request(raw))
    receipt = node_rpc.wait_for_receipt(answer["result"], timeout=10)
    assert receipt["contractAddress"] is not None


def test_wrong_chain_id_is_refused(gateway: GatewayProcess, department_key: LocalAccount) -> None:
    raw = sign_transfer(department_key, chain_id=1, nonce=0)
    _, answer = gateway.call(raw_request(raw))
    assert_error(answer, TRANSACTION_REJECTED, "it is signed for chain 1, this chain is 52062", 1)


def test_unprotected_legacy_transaction_is_refused(
    gateway: GatewayProcess, department_key: LocalAccount
) -> None:
    tx: dict[str, Any] = {
        "nonce": 0,
        "gas": 21_000,
        "gasPrice": 0,
        "to": department_key.address,
        "value": 0,
    }
    raw = bytes(department_key.sign_transaction(tx).raw_transaction)
    _, answer = gateway.call(raw_request(raw))
    assert_error(answer, TRANSACTION_REJECTED, "not replay-protected", 1)


def test_undecodable_raw_transaction_is_invalid_params(gateway: GatewayProcess) -> None:
    for params, fragment in (
        (["0x02c0"], "cannot decode the signed transaction: expected 12 fields"),
        (["0x03" + "00" * 10], "transaction type 0x03 is not accepted"),
        (["0x04" + "00" * 10], "transaction type 0x04 is not accepted"),
        (["0xzz"], "not valid hex"),
        (["deadbeef"], "as a 0x-prefixed hex string"),
        ([], "expects one parameter"),
    ):
        payload = {"jsonrpc": "2.0", "id": 5, "method": "eth_sendRawTransaction", "params": params}
        _, answer = gateway.call(payload)
        assert_error(answer, INVALID_PARAMS, fragment, 5)


def test_batch_with_permitted_and_refused_transactions(
    gateway: GatewayProcess, node_rpc: RpcClient, department_key: LocalAccount
) -> None:
    stranger: LocalAccount = Account.create()
    nonce = node_rpc.nonce(department_key.address)
    batch = [
        raw_request(sign_transfer(department_key, chain_id=CHAIN_ID, nonce=nonce), "first"),
        raw_request(sign_transfer(stranger, chain_id=CHAIN_ID, nonce=0), "stranger"),
        {"jsonrpc": "2.0", "id": "read", "method": "eth_chainId"},
        raw_request(sign_transfer(department_key, chain_id=CHAIN_ID, nonce=nonce + 1), "second"),
        {"jsonrpc": "2.0", "id": "admin", "method": "anvil_setBalance", "params": []},
    ]
    status, answers = gateway.call(batch)
    assert status == 200
    assert [a["id"] for a in answers] == ["first", "stranger", "read", "second", "admin"]
    assert_error(answers[1], TRANSACTION_REJECTED, "is not permitted", "stranger")
    assert answers[2]["result"] == "0xcb5e"
    assert_error(answers[4], -32601, "anvil_setBalance is refused", "admin")
    for answer in (answers[0], answers[3]):
        assert int(node_rpc.wait_for_receipt(answer["result"], timeout=10)["status"], 16) == 1
    assert node_rpc.nonce(department_key.address) == nonce + 2
    assert node_rpc.nonce(stranger.address) == 0


def test_manifest_is_picked_up_after_a_later_deploy(chain: EmbeddedChain, tmp_path: Path) -> None:
    """A gateway started before the deployment refuses all transactions, then, with no restart,
    follows the manifest the deployment writes."""
    member: LocalAccount = Account.create()
    deployments = tmp_path / "deployments"
    late = start_gateway(
        log_path=tmp_path / "gateway.log",
        settings={"upstream_url": chain.url, "deployments_dir": str(deployments)},
    )
    try:
        with RpcClient(chain.url) as node:
            raw = sign_transfer(member, chain_id=CHAIN_ID, nonce=0)
            _, answer = late.call(raw_request(raw))
            assert_error(
                answer,
                TRANSACTION_REJECTED,
                "the permissioning contract is not deployed (no deployment manifest for chain "
                "52062",
                1,
            )
            deploy_city(
                rpc=node, council_members=[member.address], threshold=1, deployments_dir=deployments
            )
            _, answer = late.call(raw_request(raw))
            assert "result" in answer, answer
            assert int(node.wait_for_receipt(answer["result"], timeout=10)["status"], 16) == 1
    finally:
        late.stop()
