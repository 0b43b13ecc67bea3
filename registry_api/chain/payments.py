"""The payment contracts over JSON-RPC: calldata of the relayed calls, dry runs, a few reads.

A relayed call is first run with ``eth_call`` (a dry run against the latest block): what the
contract would refuse (an expired permit with a short allowance, a wrong signer, an amount that
is not the fee, a used nonce, ...) is refused before anything is stored, with the contract's own
custom error. The dry run passes when the permit was front-run or used before but the allowance
covers the amount: the contracts ignore such a permit (``IPaymentAuthorizations``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from registry_core.abi import ContractABI, DecodedError
from registry_core.codes import bytes32_to_code, code_to_bytes32
from registry_core.eip712 import Domain
from registry_core.errors import RpcError
from registry_core.manifest import DeploymentManifest
from registry_core.payments.types import (
    CHANNELS_CONTRACT,
    FEE_SCHEDULE_CONTRACT,
    TOKEN_CONTRACT,
    channels_domain,
)
from registry_core.rpc import RpcClient
from registry_core.transactions import refusal_of_call

# Gas limits of the relayed calls (measured by scripts/bench_payments.py, with headroom).
PAY_FEE_GAS = 250_000
OPEN_GAS = 350_000
TOP_UP_GAS = 200_000
SETTLE_GAS = 250_000


@dataclass(frozen=True)
class FeeService:
    code: str
    department: str
    amount: int
    unit_seconds: int
    active: bool
    name_de: str
    name_en: str
    version: int

    @property
    def is_fee(self) -> bool:
        return self.unit_seconds == 0


def _interface(manifest: DeploymentManifest, name: str) -> ContractABI:
    return manifest.contract(name).interface


@lru_cache(maxsize=16)
def _channels_domain(chain_id: int, address: str) -> Domain:
    return channels_domain(chain_id, address)


def channels_domain_of(manifest: DeploymentManifest) -> Domain:
    """The channels' EIP-712 domain, its separator computed once per deployment."""
    return _channels_domain(manifest.chain_id, manifest.contract(CHANNELS_CONTRACT).address)


def view(rpc: RpcClient, manifest: DeploymentManifest, name: str, function: str, *args: Any) -> Any:
    contract = manifest.contract(name)
    raw = rpc.call(contract.address, contract.interface.encode_call(function, *args))
    return contract.interface.decode_output(function, raw)


def fee_service(rpc: RpcClient, manifest: DeploymentManifest, code: str) -> FeeService | None:
    """The fee schedule's service ``code`` (None if it has none)."""
    try:
        terms, version = view(
            rpc, manifest, FEE_SCHEDULE_CONTRACT, "service", code_to_bytes32(code)
        )
    except (RpcError, ValueError):  # FeeScheduleUnknownService (a revert), or no code (> 32 bytes)
        return None
    department, amount, unit_seconds, _zone, active, _managed, name_de, name_en = terms
    if int(version) == 0:
        return None
    return FeeService(
        code, bytes32_to_code(bytes(department)), int(amount), int(unit_seconds), bool(active),
        str(name_de), str(name_en), int(version),
    )  # fmt: skip


@dataclass(frozen=True)
class Tariff:
    code: str
    department: str
    zone: str
    rate_per_unit: int
    unit_seconds: int
    version: int
    active: bool


def tariff(rpc: RpcClient, manifest: DeploymentManifest, code: str) -> Tariff | None:
    """The fee schedule's tariff ``code`` (None if it has none or it is a fee)."""
    try:
        department, zone, rate, unit, version, active = view(
            rpc, manifest, FEE_SCHEDULE_CONTRACT, "tariff", code_to_bytes32(code)
        )
    except (RpcError, ValueError):  # FeeScheduleUnknownService, or no code at all (> 32 bytes)
        return None
    if int(unit) == 0:
        return None
    return Tariff(
        code, bytes32_to_code(bytes(department)), bytes32_to_code(bytes(zone)), int(rate),
        int(unit), int(version), bool(active),
    )  # fmt: skip


def paid(rpc: RpcClient, manifest: DeploymentManifest, code: str, ref: bytes) -> bool:
    """Whether the fee schedule holds a receipt of fee ``code`` for request reference ``ref``."""
    receipt = view(rpc, manifest, FEE_SCHEDULE_CONTRACT, "paymentOf", code_to_bytes32(code), ref)
    return int(receipt[0], 16) != 0


def account(rpc: RpcClient, manifest: DeploymentManifest, address: str) -> dict[str, int]:
    return {
        "balance": int(view(rpc, manifest, TOKEN_CONTRACT, "balanceOf", address)),
        "permit_nonce": int(view(rpc, manifest, TOKEN_CONTRACT, "nonces", address)),
    }


def head_time(rpc: RpcClient) -> int:
    """The latest block's timestamp: the time the contracts judge by."""
    block = rpc.request("eth_getBlockByNumber", ["latest", False])
    assert isinstance(block, dict)
    return int(str(block["timestamp"]), 16)


def encode(manifest: DeploymentManifest, name: str, function: str, *args: Any) -> bytes:
    return _interface(manifest, name).encode_call(function, *args)


def dry_run(
    rpc: RpcClient, manifest: DeploymentManifest, name: str, data: bytes
) -> DecodedError | None:
    """The contract's refusal of ``data`` now (None if it would pass). Errors of the token (the
    permit's, the transfer's) are decoded too."""
    interfaces = [_interface(manifest, contract) for contract in (name, TOKEN_CONTRACT)]
    return refusal_of_call(
        rpc, to=manifest.contract(name).address, data=data, interfaces=interfaces
    )
