"""Compile the city's contracts with solc 0.8.28 through py-solc-x, offline.

py-solc-x finds the compiler in ``toolchain/solcx`` (``SOLCX_BINARY_PATH``): a shim over npm's solcjs,
so nothing is downloaded. Settings match brownie-config.yaml, so tests and deployments run the same
bytecode. Results are cached in ``build/solc/`` by the hash of the compiler input.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from registry_core.errors import RegistryCoreError
from scripts.paths import BUILD_DIR, CONTRACTS_DIR, NODE_MODULES, PROJECT_ROOT, SOLCX_DIR

SOLC_VERSION = "0.8.28"
EVM_VERSION = "cancun"
OPTIMIZER_RUNS = 200


class CompileError(RegistryCoreError):
    """solc reported errors."""


@dataclass(frozen=True)
class CompiledContract:
    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    runtime_bytecode: bytes  # the code on chain after deployment (e.g. for a genesis alloc)

    @property
    def bytecode_hash(self) -> str:
        return "0x" + keccak(self.bytecode).hex()


def deployable_sources() -> list[Path]:
    """Every contract source except test-only harnesses."""
    return sorted(
        path
        for path in CONTRACTS_DIR.rglob("*.sol")
        if "test" not in path.relative_to(CONTRACTS_DIR).parts
    )


def compiler_input(sources: list[Path]) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {
            str(path.relative_to(PROJECT_ROOT)): {"content": path.read_text(encoding="utf-8")}
            for path in sources
        },
        "settings": {
            "evmVersion": EVM_VERSION,
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "remappings": [f"@openzeppelin={NODE_MODULES / '@openzeppelin'}"],
            "outputSelection": {
                "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}
            },
        },
    }


def compile_contracts(sources: list[Path] | None = None) -> dict[str, CompiledContract]:
    """Compile (or load from cache) and return contracts by name."""
    standard_input = compiler_input(sources if sources is not None else deployable_sources())
    digest = hashlib.sha256(
        json.dumps(standard_input, sort_keys=True).encode() + SOLC_VERSION.encode()
    ).hexdigest()
    cache = BUILD_DIR / "solc" / f"{digest}.json"
    if cache.exists():
        output = json.loads(cache.read_text(encoding="utf-8"))
    else:
        output = _run_solc(standard_input)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(output), encoding="utf-8")
    compiled: dict[str, CompiledContract] = {}
    for source, contracts in output.get("contracts", {}).items():
        for name, data in contracts.items():
            bytecode = bytes.fromhex(data["evm"]["bytecode"]["object"])
            if bytecode:  # interfaces and abstract contracts have none
                runtime = bytes.fromhex(data["evm"]["deployedBytecode"]["object"])
                compiled[name] = CompiledContract(name, source, data["abi"], bytecode, runtime)
    return compiled


def _run_solc(standard_input: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("SOLCX_BINARY_PATH", str(SOLCX_DIR))
    import solcx

    output: dict[str, Any] = solcx.compile_standard(
        standard_input,
        solc_version=SOLC_VERSION,
        allow_paths=[str(PROJECT_ROOT), str(NODE_MODULES)],
    )
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(e.get("formattedMessage", e["message"]) for e in errors))
    return output


def compiler_version() -> str:
    return f"solc {SOLC_VERSION} (solcjs), optimizer runs {OPTIMIZER_RUNS}, evm {EVM_VERSION}"
