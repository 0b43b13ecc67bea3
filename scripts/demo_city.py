"""The demo city: a 2-of-3 council, three departments and their accounts (synthetic data).

Seeding is idempotent: it reads the directory first and only proposes what is missing, so running
the demo again on the same chain changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.governance import council_execute

COUNCIL_SIZE = 3
COUNCIL_THRESHOLD = 2


@dataclass(frozen=True)
class DemoDepartment:
    code: str  # short id, stored on chain as bytes32
    name: str  # German / English
    key_name: str  # keystore entry of the department's signing account


DEPARTMENTS: tuple[DemoDepartment, ...] = (
    DemoDepartment("FB02", "Wirtschaftsförderung / Economic Development", "dept-fb02"),
    DemoDepartment("FB33", "Bürgerservice / Citizen Services", "dept-fb33"),
    DemoDepartment("FB32", "Ordnungsamt / Public Order", "dept-fb32"),
)


def department_id(code: str) -> bytes:
    """A department code as the bytes32 id used on chain (UTF-8, right-padded with zeros)."""
    raw = code.encode("utf-8")
    if not 0 < len(raw) <= 32:
        raise ValueError(f"department code {code!r} must be 1-32 bytes")
    return raw.ljust(32, b"\0")


def council_keys(keystore: Keystore, passphrase: str) -> list[LocalAccount]:
    return [keystore.load_or_create(f"council-{i}", passphrase) for i in range(1, COUNCIL_SIZE + 1)]


def department_keys(keystore: Keystore, passphrase: str) -> dict[str, LocalAccount]:
    return {d.code: keystore.load_or_create(d.key_name, passphrase) for d in DEPARTMENTS}


def _view(rpc: RpcClient, manifest: DeploymentManifest, function: str, *args: object) -> object:
    directory = manifest.contract("DepartmentDirectory")
    data = directory.interface.encode_call(function, *args)
    return directory.interface.decode_output(function, rpc.call(directory.address, data))


def seed_demo_city(
    *,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    council: list[LocalAccount],
    accounts: dict[str, LocalAccount],
    log: Callable[[str], None] = lambda _: None,
) -> int:
    """Create the demo departments and their accounts through council decisions.

    Returns the number of council decisions executed (0 when everything was there already).
    """
    decisions = 0
    for department in DEPARTMENTS:
        dept_id = department_id(department.code)
        if not _view(rpc, manifest, "departmentExists", dept_id):
            council_execute(
                rpc=rpc,
                manifest=manifest,
                members=council,
                target="DepartmentDirectory",
                function="addDepartment",
                args=[dept_id, department.name],
                description=f"Create department {department.code}",
            )
            decisions += 1
            log(f"council created department {department.code} ({department.name})")
        account = accounts[department.code].address
        if _view(rpc, manifest, "departmentOf", account) != dept_id:
            council_execute(
                rpc=rpc,
                manifest=manifest,
                members=council,
                target="DepartmentDirectory",
                function="addAccount",
                args=[dept_id, account],
                description=f"Account {account} acts for {department.code}",
            )
            decisions += 1
            log(f"council let {account} act for {department.code}")
    return decisions
