"""Who may transact: department and permissioning reads of the chain, a short cache of them, and
the probe behind ``/ready``.

The API refuses a write of a suspended department before it stores anything
(:class:`DepartmentStatusCache`, a few seconds old at most); the sender names the reason when the
gateway refuses a transaction (:func:`account_standing`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from registry_api.chain import contracts, hub
from registry_core.errors import RpcError
from registry_core.manifest import DeploymentManifest, ManifestWatcher
from registry_core.rpc import RpcClient

DIRECTORY = "DepartmentDirectory"
PERMISSIONING = "AccountPermissioning"


def _call(
    manifest: DeploymentManifest, name: str, function: str, *args: object
) -> tuple[str, list[object]]:
    data = contracts.encode(manifest, name, function, *args)
    return ("eth_call", [{"to": manifest.address(name), "data": "0x" + data.hex()}, "latest"])


def _decode(manifest: DeploymentManifest, name: str, function: str, answer: object) -> Any:
    if isinstance(answer, RpcError):
        raise answer
    return contracts.interface(manifest, name).decode_output(
        function, bytes.fromhex(str(answer)[2:])
    )


@dataclass(frozen=True)
class Standing:
    """An account's standing on chain."""

    department: str | None  # the department it acts for, None if none
    department_active: bool
    permitted: bool  # AccountPermissioning.isAccountPermitted

    def refusal(self) -> str:
        """Why the chain refuses this account's transactions ('' if it does not)."""
        if self.department is not None and not self.department_active:
            return f"department {self.department} is suspended on chain"
        if not self.permitted:
            if self.department is None:
                return "the account acts for no department and is not allow-listed"
            return "the account is not permitted to transact"
        return ""


def account_standing(rpc: RpcClient, manifest: DeploymentManifest, account: str) -> Standing:
    """Three reads in one JSON-RPC batch."""
    calls = [
        _call(manifest, DIRECTORY, "departmentOf", account),
        _call(manifest, DIRECTORY, "isActiveDepartmentAccount", account),
        _call(manifest, PERMISSIONING, "isAccountPermitted", account),
    ]
    of, active, permitted = rpc.batch(calls)
    dept: bytes = _decode(manifest, DIRECTORY, "departmentOf", of)
    code = dept.rstrip(b"\0").decode("utf-8", "replace") if any(dept) else None
    return Standing(
        department=code,
        department_active=bool(_decode(manifest, DIRECTORY, "isActiveDepartmentAccount", active)),
        permitted=bool(_decode(manifest, PERMISSIONING, "isAccountPermitted", permitted)),
    )


@dataclass(frozen=True)
class ChainHead:
    chain_id: int
    block_number: int
    council: str


def chain_head(rpc_url: str, manifests: ManifestWatcher, *, timeout: float) -> ChainHead:
    """Does the chain answer (through the gateway), with a deployment manifest? A short-lived
    client with its own timeout: a probe must not wait as long as a write would."""
    with RpcClient(rpc_url, timeout=timeout) as rpc:
        block = rpc.block_number()
        manifest = manifests.load(rpc.chain_id())
    return ChainHead(manifest.chain_id, block, manifest.address("CityCouncil"))


class DepartmentStatusCache:
    """``DepartmentDirectory.isDepartmentActive``, remembered for ``seconds`` per department."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str], tuple[float, bool]] = {}

    def active(self, rpc: RpcClient, manifest: DeploymentManifest, code: str) -> bool:
        key = (manifest.address(DIRECTORY), code)
        now = time.monotonic()
        with self._lock:
            cached = self._known.get(key)
        if cached is not None and now - cached[0] < self.seconds:
            return cached[1]
        (answer,) = rpc.batch([_call(manifest, DIRECTORY, "isDepartmentActive", hub.id32(code))])
        active = bool(_decode(manifest, DIRECTORY, "isDepartmentActive", answer))
        with self._lock:
            self._known[key] = (now, active)
        return active
