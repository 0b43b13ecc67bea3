"""Deploy the city's contracts and write the deployment manifest ``deployments/<chainId>.json``.

The deployer is a throw-away key made for this run (on a Besu network kit: the kit's deployer key):
every contract gets the council as its admin in its constructor, so no deploying account keeps any
right. Deployment talks to the node directly
(an operator action on the node's host): the gateway refuses every sender until the permissioning
contract exists. Re-running against a chain that already has the same code changes nothing.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from registry_core.abi import ContractABI
from registry_core.errors import ManifestError, RegistryCoreError
from registry_core.manifest import (
    DeployedContract,
    DeploymentManifest,
    load_manifest,
    save_manifest,
)
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from scripts.compile import CompiledContract, compile_contracts, compiler_version
from scripts.paths import PROJECT_ROOT


class DeployError(RegistryCoreError):
    """The deployment cannot go ahead as asked."""


@dataclass(frozen=True)
class CouncilSetup:
    members: list[str]
    threshold: int


Addresses = dict[str, str]


@dataclass(frozen=True)
class Step:
    """One contract to deploy; ``args`` builds its constructor arguments from earlier addresses."""

    name: str
    args: Callable[[CouncilSetup, Addresses], list[Any]]


# Order matters: each step may use the addresses of the steps before it.
PLAN: tuple[Step, ...] = (
    Step("CityCouncil", lambda council, _: [council.members, council.threshold]),
    Step("DepartmentDirectory", lambda _, a: [a["CityCouncil"]]),
    Step("AccountPermissioning", lambda _, a: [a["CityCouncil"], a["DepartmentDirectory"]]),
    Step("RegisterHub", lambda _, a: [a["DepartmentDirectory"]]),
    Step("EthereumDIDRegistry", lambda _, a: []),
    Step("TrustedIssuerRegistry", lambda _, a: [a["DepartmentDirectory"]]),
    Step(
        "CredentialStatusRegistry",
        lambda _, a: [a["DepartmentDirectory"], a["TrustedIssuerRegistry"]],
    ),
    # Payments: the council is the token's admin (grants the treasury role, pauses) and, through
    # the directory, governs the fee schedule; the channels read tariffs and payees from it.
    Step("CityToken", lambda _, a: [a["CityCouncil"]]),
    Step("FeeSchedule", lambda _, a: [a["DepartmentDirectory"], a["CityToken"]]),
    Step(
        "PaymentChannels",
        lambda _, a: [a["DepartmentDirectory"], a["CityToken"], a["FeeSchedule"]],
    ),
)


@dataclass(frozen=True)
class DeploymentResult:
    manifest: DeploymentManifest
    changed: bool
    deployed: list[str]


def source_commit() -> str:
    """The git commit the contracts were built from, marked ``-dirty`` with uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "contracts"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def _existing(deployments_dir: Path, chain_id: int) -> DeploymentManifest | None:
    try:
        return load_manifest(deployments_dir, chain_id)
    except ManifestError as exc:
        if "no deployment manifest" in exc.detail:
            return None
        raise


def _code_hashes(rpc: RpcClient, addresses: list[str]) -> list[str | None]:
    """keccak of the runtime code at each address (None where there is no code), in one batch."""
    replies = rpc.batch([("eth_getCode", [address, "latest"]) for address in addresses])
    hashes: list[str | None] = []
    for reply in replies:
        if isinstance(reply, Exception) or reply in (None, "0x"):
            hashes.append(None)
        else:
            hashes.append("0x" + keccak(hexstr=reply).hex())
    return hashes


def _check_existing(
    existing: DeploymentManifest, compiled: dict[str, CompiledContract], rpc: RpcClient
) -> dict[str, DeployedContract]:
    """The manifest's contracts that are really on this chain with the current code."""
    entries = [existing.contracts[s.name] for s in PLAN if s.name in existing.contracts]
    on_chain = _code_hashes(rpc, [entry.address for entry in entries])
    kept: dict[str, DeployedContract] = {}
    for entry, code_hash in zip(entries, on_chain, strict=True):
        if code_hash is None:
            continue  # a fresh chain behind an old manifest: deploy again
        if code_hash != entry.code_hash:
            raise DeployError(
                f"{entry.name} at {entry.address} has other code than the manifest records; "
                "the manifest belongs to another chain state: remove it or use --redeploy"
            )
        if compiled[entry.name].bytecode_hash != entry.bytecode_hash:
            raise DeployError(
                f"the source of {entry.name} changed since it was deployed at {entry.address}; "
                "use --redeploy to deploy a new set of contracts"
            )
        kept[entry.name] = entry
    if kept and len(kept) < len(entries):
        raise DeployError("only part of the manifest's contracts exist on chain; use --redeploy")
    return kept


def deploy_city(
    *,
    rpc: RpcClient,
    council_members: list[str],
    threshold: int,
    deployments_dir: Path,
    redeploy: bool = False,
    deployer: LocalAccount | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> DeploymentResult:
    """Deploy what is missing and write the manifest; nothing changes if all is in place.

    ``deployer`` (default: a throw-away key) sends the transactions, CityCouncil first; a Besu
    network kit passes its deployer, whose first contract the genesis names as the council."""
    chain_id = rpc.chain_id()
    compiled = compile_contracts()
    missing = [step.name for step in PLAN if step.name not in compiled]
    if missing:
        raise DeployError(f"contracts not found in contracts/: {', '.join(missing)}")
    existing = None if redeploy else _existing(deployments_dir, chain_id)
    kept = _check_existing(existing, compiled, rpc) if existing else {}
    if len(kept) == len(PLAN) and existing is not None:
        log(f"all {len(PLAN)} contracts are deployed with the current code; nothing to do")
        return DeploymentResult(existing, changed=False, deployed=[])

    council = CouncilSetup([to_checksum_address(m) for m in council_members], threshold)
    # The deployer holds no role anywhere: every contract gets the council as its admin.
    sender = Signer(deployer or Account.create(), rpc)
    addresses: Addresses = {name: entry.address for name, entry in kept.items()}
    contracts = dict(kept)
    deployed: list[str] = []
    for step in PLAN:
        if step.name in kept:
            continue
        artifact = compiled[step.name]
        interface = ContractABI(artifact.abi)
        data = interface.encode_deploy(artifact.bytecode, *step.args(council, addresses))
        receipt = sender.transact(to=None, data=data, interface=interface)
        address = to_checksum_address(receipt["contractAddress"])
        (code_hash,) = _code_hashes(rpc, [address])
        contracts[step.name] = DeployedContract(
            name=step.name,
            address=address,
            abi=artifact.abi,
            deploy_block=int(receipt["blockNumber"], 16),
            deploy_tx=receipt["transactionHash"],
            bytecode_hash=artifact.bytecode_hash,
            code_hash=code_hash or "",
        )
        addresses[step.name] = address
        deployed.append(step.name)
        log(f"deployed {step.name} at {address} (block {contracts[step.name].deploy_block})")
    manifest = DeploymentManifest(
        chain_id=chain_id,
        compiler=compiler_version(),
        source_commit=source_commit(),
        contracts={step.name: contracts[step.name] for step in PLAN},
    )
    path = save_manifest(deployments_dir, manifest)
    log(f"wrote {path}")
    return DeploymentResult(manifest, changed=True, deployed=deployed)
