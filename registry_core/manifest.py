"""The deployment manifest ``deployments/<chainId>.json``.

It is the only thing the API, wallet, explorer and gateway need to find the city's contracts:
names, addresses, ABIs, deploy blocks, compiler version and the source commit.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from registry_core.abi import AbiEntry, ContractABI
from registry_core.errors import ManifestError

MANIFEST_FORMAT = "city-registry-deployment/1"


@dataclass(frozen=True)
class DeployedContract:
    """One deployed contract as recorded in the manifest."""

    name: str
    address: str
    abi: list[AbiEntry]
    deploy_block: int
    deploy_tx: str
    bytecode_hash: str  # keccak of the compiled creation code (detects source changes)
    code_hash: str  # keccak of the runtime code on chain (detects a different chain state)

    @cached_property
    def interface(self) -> ContractABI:
        # Built once per contract: selectors and error tables are computed in the constructor.
        return ContractABI(self.abi)


@dataclass(frozen=True)
class DeploymentManifest:
    chain_id: int
    compiler: str
    source_commit: str
    contracts: dict[str, DeployedContract] = field(default_factory=dict)
    format: str = MANIFEST_FORMAT

    def contract(self, name: str) -> DeployedContract:
        try:
            return self.contracts[name]
        except KeyError:
            known = ", ".join(sorted(self.contracts)) or "none"
            raise ManifestError(
                f"the deployment manifest for chain {self.chain_id} has no contract {name!r} "
                f"(it has: {known}); run the deploy script"
            ) from None

    def address(self, name: str) -> str:
        return self.contract(name).address

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeploymentManifest:
        if data.get("format") != MANIFEST_FORMAT:
            raise ManifestError(
                f"unknown manifest format {data.get('format')!r}, expected {MANIFEST_FORMAT!r}"
            )
        try:
            contracts = {
                name: DeployedContract(**entry) for name, entry in data["contracts"].items()
            }
            return cls(
                chain_id=int(data["chain_id"]),
                compiler=str(data["compiler"]),
                source_commit=str(data["source_commit"]),
                contracts=contracts,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError(f"malformed deployment manifest: {exc}") from exc


def manifest_path(directory: Path, chain_id: int) -> Path:
    return directory / f"{chain_id}.json"


def load_manifest(directory: Path, chain_id: int) -> DeploymentManifest:
    """Load ``<directory>/<chain_id>.json``; a clear :class:`ManifestError` if it is not there."""
    path = manifest_path(directory, chain_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(
            f"no deployment manifest for chain {chain_id} at {path}; deploy the contracts first"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ManifestError(f"cannot read deployment manifest {path}: {exc}") from exc
    manifest = DeploymentManifest.from_json(data)
    if manifest.chain_id != chain_id:
        raise ManifestError(f"{path} describes chain {manifest.chain_id}, not {chain_id}")
    return manifest


class ManifestWatcher:
    """Manifests of one folder, read again only when a file changes (inode, size or mtime).

    Long-running services ask for the manifest on every request or round: this keeps that to one
    ``stat`` while still picking up a redeployment without a restart. Thread-safe.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._cached: dict[int, tuple[tuple[int, int, int], DeploymentManifest]] = {}

    def load(self, chain_id: int) -> DeploymentManifest:
        try:
            info = os.stat(manifest_path(self.directory, chain_id))
            stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        except OSError:
            stamp = None  # load_manifest below explains what is missing
        with self._lock:
            hit = self._cached.get(chain_id)
            if hit is not None and hit[0] == stamp:
                return hit[1]
            manifest = load_manifest(self.directory, chain_id)
            if stamp is not None:
                self._cached[chain_id] = (stamp, manifest)
            return manifest


def save_manifest(directory: Path, manifest: DeploymentManifest) -> Path:
    """Write the manifest atomically (temporary file + rename), so readers never see half a file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = manifest_path(directory, manifest.chain_id)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".manifest-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(manifest.to_json(), handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)
    return path
