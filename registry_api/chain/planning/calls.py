"""Generic call writes -> their calls, unchanged.

Other domains (DID meta-transactions, fee payments with permits, payment channel settlements)
enqueue a call with :func:`registry_api.chain.outbox.enqueue_call`: the target contract by its
manifest name, the calldata and the gas limit (payload ``{"data": "0x…", "gas": n}``). Each is a
transaction of its own, in outbox order; its function is named by the target's ABI when the
selector is one of its functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry_api.chain.planning import Call, Limits, Placement, WriteRow
from registry_core.errors import ManifestError
from registry_core.manifest import DeploymentManifest


def function_name(manifest: DeploymentManifest, target: str, data: bytes) -> str:
    """The ABI name of the call's function, else its selector in hex."""
    try:
        codec = manifest.contract(target).interface
    except ManifestError:
        return "0x" + data[:4].hex()
    selector = data[:4]
    for entry in codec.abi:
        if entry.get("type") == "function" and codec.selector(entry["name"]) == selector:
            return str(entry["name"])[:32]
    return "0x" + selector.hex()


def plan(
    writes: Sequence[WriteRow], _context: Any, manifest: DeploymentManifest, limits: Limits
) -> list[Call]:
    calls: list[Call] = []
    for write in writes:
        data = bytes.fromhex(write.payload["data"].removeprefix("0x"))
        calls.append(
            Call(
                target=write.target,
                function=function_name(manifest, write.target, data),
                data=data,
                gas=int(write.payload["gas"]) * 2**write.replans,
                placements=[Placement(seq=write.seq, write_id=write.id)],
            )
        )
    return calls
