"""Signing and sending transactions on the gas-free city chain.

Every write is signed locally by the acting account's own key and sent as a raw transaction through
the permissioning gateway; the node never holds keys. Gas is free (price 0), but gas limits still
bound each call, so they come from ``eth_estimateGas`` with headroom.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from registry_core.abi import ContractABI, DecodedError
from registry_core.errors import RpcError, TransactionFailedError
from registry_core.rpc import RpcClient

GAS_HEADROOM = 1.25


def revert_data(error: RpcError) -> bytes | None:
    """Revert payload carried by a node's JSON-RPC error (anvil and geth put it in ``data``)."""
    data = error.data
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    return None


def explain_revert(error: RpcError, interface: ContractABI) -> DecodedError | None:
    data = revert_data(error)
    return interface.decode_error(data) if data else None


# JSON-RPC codes of a reverted eth_call: 3 with revert data (geth, anvil, Besu), -32000 without.
REVERTED_CALL_CODES = (3, -32000)


def refusal_of_call(
    rpc: RpcClient,
    *,
    to: str,
    data: bytes,
    interfaces: Sequence[ContractABI],
    sender: str | None = None,
) -> DecodedError | None:
    """The chain's refusal of ``data`` sent to ``to`` (by ``sender``) now, or None if it would pass.

    The dry run before a write is queued: a custom error is decoded by the first of ``interfaces``
    that declares it; any other revert is ``Reverted`` with the node's message or the first bytes
    of its data. An error that is no revert (node unreachable, ...) is raised: no verdict.
    """
    call = {"to": to, "data": "0x" + data.hex()}
    if sender is not None:
        call["from"] = sender
    try:
        rpc.request("eth_call", [call, "latest"])
    except RpcError as exc:
        raw = revert_data(exc)
        if raw:
            for interface in interfaces:
                decoded = interface.decode_error(raw)
                if decoded is not None:
                    return decoded
            return DecodedError("Reverted", {"data": "0x" + raw[:68].hex()})
        if exc.code in REVERTED_CALL_CODES:
            return DecodedError("Reverted", {"message": exc.message[:200]})
        raise
    return None


@dataclass
class Signer:
    """An account that signs and sends its own transactions through one RPC endpoint."""

    account: LocalAccount
    rpc: RpcClient

    @property
    def address(self) -> str:
        return str(self.account.address)

    def sign(self, *, to: str | None, data: bytes, nonce: int, gas: int) -> bytes:
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self.rpc.chain_id(),
            "nonce": nonce,
            "gas": gas,
            "maxFeePerGas": 0,
            "maxPriorityFeePerGas": 0,
            "value": 0,
            "data": data,
        }
        if to is not None:
            tx["to"] = to
        return bytes(self.account.sign_transaction(tx).raw_transaction)

    def estimate_gas(self, *, to: str | None, data: bytes, interface: ContractABI | None) -> int:
        query: dict[str, Any] = {"from": self.address, "data": "0x" + data.hex()}
        if to is not None:
            query["to"] = to
        try:
            return int(int(self.rpc.request("eth_estimateGas", [query]), 16) * GAS_HEADROOM)
        except RpcError as exc:
            decoded = explain_revert(exc, interface) if interface else None
            reason = str(decoded) if decoded else exc.message
            raise TransactionFailedError(
                f"the transaction would revert: {reason}",
                tx_hash="",
                error_name=decoded.name if decoded else None,
            ) from exc

    def transact(
        self,
        *,
        to: str | None,
        data: bytes,
        interface: ContractABI | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Estimate, sign, send and wait for the receipt; revert reasons come back decoded."""
        gas = self.estimate_gas(to=to, data=data, interface=interface)
        raw = self.sign(to=to, data=data, nonce=self.rpc.nonce(self.address), gas=gas)
        tx_hash = self.rpc.send_raw_transaction(raw)
        receipt = self.rpc.wait_for_receipt(tx_hash, timeout=timeout)
        if int(receipt["status"], 16) != 1:
            raise TransactionFailedError(f"transaction {tx_hash} reverted", tx_hash=tx_hash)
        return receipt
