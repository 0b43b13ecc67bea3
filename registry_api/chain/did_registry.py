"""The ERC-1056 registry (``EthereumDIDRegistry``) as the city's DID relay needs it: an owner's
nonce, and the calldata of a signed owner change with its dry run."""

from __future__ import annotations

from registry_core.abi import DecodedError
from registry_core.erc1056 import SignedChangeOwner
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.transactions import refusal_of_call

DID_REGISTRY = "EthereumDIDRegistry"
# changeOwnerSigned needs ~35,000 gas on a warm identity; gas is free, so leave room.
CHANGE_OWNER_GAS = 120_000


def registry_address(manifest: DeploymentManifest) -> str:
    return manifest.contract(DID_REGISTRY).address


def nonce_of(rpc: RpcClient, manifest: DeploymentManifest, owner: str) -> int:
    registry = manifest.contract(DID_REGISTRY)
    data = registry.interface.encode_call("nonce", owner)
    return int(registry.interface.decode_output("nonce", rpc.call(registry.address, data)))


def change_owner_call(manifest: DeploymentManifest, change: SignedChangeOwner) -> bytes:
    interface = manifest.contract(DID_REGISTRY).interface
    return interface.encode_call(
        "changeOwnerSigned", change.identity, change.v, change.r, change.s, change.new_owner
    )


def dry_run(
    rpc: RpcClient, manifest: DeploymentManifest, sender: str, data: bytes
) -> DecodedError | None:
    """The registry's refusal of ``data`` sent by ``sender`` now (None if it would pass)."""
    registry = manifest.contract(DID_REGISTRY)
    return refusal_of_call(
        rpc, to=registry.address, data=data, interfaces=[registry.interface], sender=sender
    )
