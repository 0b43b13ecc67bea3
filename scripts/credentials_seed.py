"""Credential types and accreditations of the demo city, decided by the council (idempotent).

The trade office issues business-registration certificates, citizen services registration
certificates and public order residents' parking permits.
"""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from registry_core.credential_types import CREDENTIAL_TYPES, type_id
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.demo_city import department_id, seed_demo_city
from scripts.governance import council_execute

# department code -> credential type codes it may issue
DEMO_ACCREDITATIONS: dict[str, tuple[str, ...]] = {
    "FB02": ("BUSINESS_REG",),
    "FB33": ("RESIDENCE_CERT",),
    "FB32": ("PARKING_PERMIT", "RESIDENT_PARKING"),
}


def _view(rpc: RpcClient, manifest: DeploymentManifest, function: str, *args: object) -> object:
    registry = manifest.contract("TrustedIssuerRegistry")
    data = registry.interface.encode_call(function, *args)
    return registry.interface.decode_output(function, rpc.call(registry.address, data))


def seed_credential_types(
    *,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    council: list[LocalAccount],
    accreditations: dict[str, tuple[str, ...]] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> int:
    """Define every credential type and accredit departments; returns council decisions made."""
    decisions = 0
    for spec in CREDENTIAL_TYPES.values():
        if not _view(rpc, manifest, "credentialTypeExists", spec.type_id):
            council_execute(
                rpc=rpc,
                manifest=manifest,
                members=council,
                target="TrustedIssuerRegistry",
                function="addCredentialType",
                args=[spec.type_id, spec.name, spec.schema_hash],
                description=f"Credential type {spec.code}",
            )
            decisions += 1
            log(f"council defined credential type {spec.code} ({spec.name})")
    for department, codes in (accreditations or DEMO_ACCREDITATIONS).items():
        for code in codes:
            dept, kind = department_id(department), type_id(code)
            if _view(rpc, manifest, "accreditationIds", dept, kind):
                continue
            council_execute(
                rpc=rpc,
                manifest=manifest,
                members=council,
                target="TrustedIssuerRegistry",
                function="accredit",
                args=[dept, kind, 0, 0],
                description=f"{department} may issue {code}",
            )
            decisions += 1
            log(f"council accredited {department} for {code}")
    return decisions


def seed_demo_credentials(
    *,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    council: list[LocalAccount],
    keystore: Keystore,
    passphrase: str,
    log: Callable[[str], None] = lambda _: None,
) -> int:
    """The demo's credential keys (``vc-<dept>``, each a department account and its DID), the
    credential types and the accreditations; returns the council decisions made."""
    keys = {
        code: keystore.load_or_create(f"vc-{code.lower()}", passphrase)
        for code in DEMO_ACCREDITATIONS
    }
    decisions = seed_demo_city(rpc=rpc, manifest=manifest, council=council, accounts=keys, log=log)
    return decisions + seed_credential_types(rpc=rpc, manifest=manifest, council=council, log=log)
