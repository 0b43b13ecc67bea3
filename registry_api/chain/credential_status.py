"""CredentialStatusRegistry reads for the API: a credential's status, and dry runs of writes.

A dry run (``eth_call`` from the signer) tells before anything is stored whether the chain would
refuse a write, named by the contract's custom error (e.g. ``CredentialStatusNotAccredited``);
the write itself still goes through the outbox.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from registry_api.chain import contracts
from registry_api.chain.planning.credentials import STATUS_REGISTRY
from registry_core.abi import DecodedError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.transactions import refusal_of_call


@dataclass(frozen=True)
class OnChainStatus:
    state: int  # ICredentialStatusRegistry.State
    issuer_department: bytes
    type_id: bytes
    anchored_block: int
    anchored_at: int
    reason_code: int
    changed_at: int


def status(
    rpc: RpcClient,
    manifest: DeploymentManifest,
    department: bytes,
    credential_hash: bytes,
    *,
    root: bytes | None = None,
    proof: list[bytes] | None = None,
) -> OnChainStatus:
    """Issuing ``department``'s record of the credential, or (given its batch root and proof) its
    status as a member of that department's batch (records are per department on chain)."""
    codec = contracts.interface(manifest, STATUS_REGISTRY)
    address = manifest.address(STATUS_REGISTRY)
    if root is None:
        values: Any = codec.decode_output(
            "status", rpc.call(address, codec.encode_call("status", department, credential_hash))
        )
    else:
        data = codec.encode_call("statusInBatch", department, root, proof or [], credential_hash)
        values = codec.decode_output("statusInBatch", rpc.call(address, data))
    state, dept, kind, block, at, reason, changed = values
    return OnChainStatus(
        int(state), bytes(dept), bytes(kind), int(block), int(at), int(reason), int(changed)
    )


def dry_run(
    rpc: RpcClient, manifest: DeploymentManifest, signer: str, function: str, *args: Any
) -> DecodedError | None:
    """The custom error the chain would revert ``function(*args)`` from ``signer`` with."""
    return refusal_of_call(
        rpc,
        to=manifest.address(STATUS_REGISTRY),
        data=contracts.encode(manifest, STATUS_REGISTRY, function, *args),
        interfaces=[contracts.interface(manifest, STATUS_REGISTRY)],
        sender=signer,
    )


def dry_run_issuance(
    rpc: RpcClient, manifest: DeploymentManifest, signer: str, type_id: bytes
) -> DecodedError | None:
    """Would ``signer`` be allowed to anchor a batch of type ``type_id`` now?"""
    return dry_run(rpc, manifest, signer, "anchorBatch", secrets.token_bytes(32), type_id, 1)
