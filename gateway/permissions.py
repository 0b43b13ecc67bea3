"""The on-chain permissioning check for raw transactions, and the manifest it depends on.

The permissioning contract's address and ABI come from the deployment manifest
``<deployments_dir>/<chainId>.json`` (:mod:`registry_core.manifest`). The file is re-read whenever it
changes (inode, size or mtime), so a deployment made after the gateway started is picked up with no
restart. Without a manifest every raw transaction is refused: the gateway fails closed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.errors import INTERNAL_ERROR, GatewayError, TransactionRejectedError
from gateway.transactions import SignedTransaction
from gateway.upstream import Upstream
from registry_core.abi import ContractABI
from registry_core.errors import ManifestError
from registry_core.manifest import load_manifest, manifest_path

logger = logging.getLogger("gateway.permissions")

PERMISSIONING_CONTRACT = "AccountPermissioning"
CHECK_FUNCTION = "transactionAllowed"


@dataclass(frozen=True)
class PermissioningContract:
    address: str
    interface: ContractABI


class PermissionChecker:
    """Asks the permissioning contract (``eth_call`` at ``latest``) whether senders may transact."""

    def __init__(self, *, deployments_dir: Path, upstream: Upstream) -> None:
        self.deployments_dir = deployments_dir
        self._upstream = upstream
        self._stamp: tuple[int, int, int] | None = None
        self._chain_id: int | None = None
        self._contract: PermissioningContract | None = None
        self._problem = ""

    def contract(self, chain_id: int) -> PermissioningContract:
        """The permissioning contract of ``chain_id``, reloading the manifest if it changed."""
        path = manifest_path(self.deployments_dir, chain_id)
        try:
            stat = os.stat(path)
            stamp: tuple[int, int, int] | None = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        except OSError:
            stamp = None
        if stamp != self._stamp or chain_id != self._chain_id:
            self._reload(chain_id, stamp)
        if self._contract is None:
            raise TransactionRejectedError(f"transaction rejected: {self._problem}")
        return self._contract

    def _reload(self, chain_id: int, stamp: tuple[int, int, int] | None) -> None:
        self._stamp, self._chain_id, self._contract = stamp, chain_id, None
        path = manifest_path(self.deployments_dir, chain_id)
        if stamp is None:
            self._problem = (
                "the permissioning contract is not deployed (no deployment manifest for chain "
                f"{chain_id} at {path}); deploy the contracts first"
            )
            logger.warning("no deployment manifest at %s: refusing all raw transactions", path)
            return
        try:
            deployed = load_manifest(self.deployments_dir, chain_id).contract(
                PERMISSIONING_CONTRACT
            )
            interface = deployed.interface
            interface.function(CHECK_FUNCTION)
        except (ManifestError, KeyError) as exc:
            detail = exc.detail if isinstance(exc, ManifestError) else str(exc.args[0])
            self._problem = f"the permissioning contract is not usable: {detail}"
            logger.warning("deployment manifest %s unusable: %s", path, detail)
            return
        self._contract = PermissioningContract(deployed.address, interface)
        logger.info("permissioning contract %s (manifest %s)", deployed.address, path)

    async def check(
        self, chain_id: int, transactions: Sequence[SignedTransaction]
    ) -> list[GatewayError | None]:
        """For each transaction: None if its sender may send it, else why it is not forwarded.

        All checks go to the node in one request (one batch for many transactions), and identical
        questions (same sender, target, value, gas and payload; nonces differ) are asked once.
        """
        if not transactions:
            return []
        contract = self.contract(chain_id)
        calldata = ["0x" + _calldata(contract, tx).hex() for tx in transactions]
        unique = list(dict.fromkeys(calldata))
        calls = [
            {
                "jsonrpc": "2.0",
                "id": i,
                "method": "eth_call",
                "params": [{"to": contract.address, "data": data}, "latest"],
            }
            for i, data in enumerate(unique)
        ]
        if len(calls) == 1:
            replies: list[dict[str, Any]] = [await self._upstream.post_json(calls[0])]
        else:
            replies = await self._upstream.batch(calls)
        by_data = dict(zip(unique, replies, strict=True))
        return [
            _decision(contract, tx, by_data[data])
            for tx, data in zip(transactions, calldata, strict=True)
        ]


def _calldata(contract: PermissioningContract, tx: SignedTransaction) -> bytes:
    return contract.interface.encode_call(
        CHECK_FUNCTION, tx.sender, tx.target, tx.value, tx.gas_price, tx.gas_limit, tx.data
    )


def _decision(
    contract: PermissioningContract, tx: SignedTransaction, reply: object
) -> GatewayError | None:
    if not isinstance(reply, dict) or "error" in reply or not isinstance(reply.get("result"), str):
        error = reply.get("error") if isinstance(reply, dict) else None
        logger.warning("permissioning check failed for %s: %r", tx.sender, error)
        return GatewayError(
            INTERNAL_ERROR,
            "transaction not forwarded: the permissioning check failed on the chain node",
        )
    try:
        allowed = contract.interface.decode_output(
            CHECK_FUNCTION, bytes.fromhex(reply["result"][2:])
        )
    except Exception:  # eth_abi raises several decoding errors; empty output = no contract there
        return TransactionRejectedError(
            f"transaction rejected: the permissioning contract at {contract.address} gave no "
            "answer (is the deployment manifest for this chain state?)"
        )
    if allowed is True:
        return None
    return TransactionRejectedError(
        f"transaction rejected: sender {tx.sender} is not permitted to transact on this chain "
        "(not a council member, an active department's account or an allow-listed account)"
    )
