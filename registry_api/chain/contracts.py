"""Calldata for any contract of the deployment, fast where the sender's hot path needs it.

Calls whose inputs are all ``bytes32``/``uintN`` (``createRecord``, ``anchorBatch``,
``suspendCredential``, ...) are one 32-byte word per argument: built directly, ~30x faster than
``eth_abi`` (a test checks both give the same bytes). Everything else goes through the contract's
ABI codec from the manifest.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from registry_core.abi import ContractABI
from registry_core.manifest import DeploymentManifest

# Per codec: function -> (selector, input types), or None when some input is not one static
# word. A weak key: a codec that is gone (a redeployment's manifest replaced it) takes its entries
# with it, and a later codec never finds them.
_word_calls: WeakKeyDictionary[ContractABI, dict[str, tuple[bytes, tuple[str, ...]] | None]] = (
    WeakKeyDictionary()
)


def interface(manifest: DeploymentManifest, name: str) -> ContractABI:
    """The ABI codec of contract ``name`` (built once per deployed contract)."""
    return manifest.contract(name).interface


def _word(kind: str, value: Any) -> bytes | None:
    if kind == "bytes32" and isinstance(value, bytes) and len(value) == 32:
        return value
    if kind.startswith("uint") and type(value) is int:
        bits = int(kind[4:] or 256)
        if 0 <= value < 1 << bits:
            return value.to_bytes(32, "big")
    return None


def encode(manifest: DeploymentManifest, name: str, function: str, *args: Any) -> bytes:
    """ABI-encode a call of ``function`` on contract ``name``."""
    return encode_call(manifest.contract(name).interface, function, *args)


def encode_call(codec: ContractABI, function: str, *args: Any) -> bytes:
    """ABI-encode a call with ``codec``; static-word calls are built directly."""
    plans = _word_calls.setdefault(codec, {})
    if function not in plans:
        types = tuple(p["type"] for p in codec.function(function)["inputs"])
        static = all(t == "bytes32" or t.startswith("uint") for t in types)
        plans[function] = (codec.selector(function), types) if static else None
    plan = plans[function]
    if plan is not None and len(args) == len(plan[1]):
        words = [_word(kind, value) for kind, value in zip(plan[1], args, strict=True)]
        if all(w is not None for w in words):
            return plan[0] + b"".join(words)  # type: ignore[arg-type]
    return codec.encode_call(function, *args)
