"""Each anchored version of a record as the chain sees it (RegisterHub reads, one JSON-RPC batch)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry_api.chain import hub
from registry_api.models.registers import OnChainStatus, VersionPublic
from registry_api.models.tables import Record, RecordVersion
from registry_core.errors import RpcError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient


def attach_chain_status(
    record: Record,
    items: list[VersionPublic],
    versions: Sequence[RecordVersion],
    rpc: RpcClient,
    manifest: DeploymentManifest,
) -> None:
    """Ask the chain about every anchored version, in one JSON-RPC batch."""
    contract = manifest.contract(hub.HUB)
    interface = hub.interface(manifest)
    calls: list[tuple[str, list[Any]]] = []
    plan: list[tuple[int, str]] = []
    for position, (item, version) in enumerate(zip(items, versions, strict=True)):
        if item.write.status != "anchored":
            continue
        if record.mode == "single":
            data = interface.encode_call("version", hub.b32(record.id), version.version_index)
            plan.append((position, "version"))
        else:
            if item.write.merkle_root is None or item.proof is None or item.leaf is None:
                continue
            data = interface.encode_call(
                "verifyBatchLeaf",
                hub.b32(item.write.merkle_root),
                [hub.b32(p) for p in item.proof],
                hub.b32(item.leaf),
            )
            plan.append((position, "verifyBatchLeaf"))
            calls.append(("eth_call", [{"to": contract.address, "data": hub.hx(data)}, "latest"]))
            data = interface.encode_call(
                "batchLeafErasure", hub.b32(item.write.merkle_root), hub.b32(item.leaf)
            )
            plan.append((position, "batchLeafErasure"))
        calls.append(("eth_call", [{"to": contract.address, "data": hub.hx(data)}, "latest"]))
    if not calls:
        return
    answers = rpc.batch(calls)
    found: dict[int, OnChainStatus] = {}
    for (position, function), answer in zip(plan, answers, strict=True):
        if isinstance(answer, RpcError) or not isinstance(answer, str):
            found.setdefault(position, OnChainStatus(verified=False, status="not-anchored"))
            continue
        value = interface.decode_output(function, bytes.fromhex(answer[2:]))
        if function == "version":
            status = hub.STATUS_NAMES[int(value[2])]
            found[position] = OnChainStatus(
                verified=value[0] == hub.b32(versions[position].content_hash),
                status=status,
                erasure_reason=int(value[5]) or None,
            )
        elif function == "verifyBatchLeaf":
            found[position] = OnChainStatus(
                verified=bool(value),
                status=versions[position].anchored_status if value else "not-anchored",
            )
        elif function == "batchLeafErasure" and int(value) and position in found:
            found[position] = OnChainStatus(
                verified=found[position].verified, status="erased", erasure_reason=int(value)
            )
    for position, status_ in found.items():
        if status_.status == "active" and items[position].status == "amended":
            status_ = OnChainStatus(verified=status_.verified, status="amended")
        items[position].on_chain = status_
