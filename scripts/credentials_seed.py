"""Credential types and accreditations of the demo city, decided by the council (idempotent).

The trade office issues business-registration certificates, citizen services registration
certificates and public order residents' parking permits (``registry_core.demo``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from eth_account.signers.local import LocalAccount

from registry_core.council import ACCREDIT_TYPE, DEFINE_CREDENTIAL_TYPE, Decision, decide_missing
from registry_core.credential_types import CREDENTIAL_TYPES
from registry_core.demo import DEMO_DEPARTMENTS
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.demo_city import seed_demo_city

# department code -> credential type codes it may issue
DEMO_ACCREDITATIONS: dict[str, tuple[str, ...]] = {
    department.code: department.credential_types for department in DEMO_DEPARTMENTS
}


def credential_type_decisions(accreditations: Mapping[str, Sequence[str]]) -> list[Decision]:
    """Every credential type defined, then each department accredited for its types (open-ended)."""
    defined = [
        DEFINE_CREDENTIAL_TYPE.decide(
            credential_type=spec.code, name=spec.name, schema_hash=spec.schema_hash
        )
        for spec in CREDENTIAL_TYPES.values()
    ]
    accredited = [
        ACCREDIT_TYPE.decide(
            department=department, credential_type=code, valid_from=0, valid_until=0
        )
        for department, codes in accreditations.items()
        for code in codes
    ]
    return [*defined, *accredited]


def seed_credential_types(
    *,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    council: list[LocalAccount],
    accreditations: Mapping[str, Sequence[str]] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> int:
    """Define every credential type and accredit departments; returns council decisions made."""
    decisions = credential_type_decisions(accreditations or DEMO_ACCREDITATIONS)
    return decide_missing(rpc=rpc, manifest=manifest, members=council, decisions=decisions, log=log)


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
    keys = {d.code: keystore.load_or_create(d.credential_key, passphrase) for d in DEMO_DEPARTMENTS}
    decisions = seed_demo_city(rpc=rpc, manifest=manifest, council=council, accounts=keys, log=log)
    return decisions + seed_credential_types(rpc=rpc, manifest=manifest, council=council, log=log)
