"""The city's relay of a citizen's signed ERC-1056 key change (``changeOwnerSigned``): the wallet
signs with the DID's current key, the city sends it through the outbox with one of its relay keys,
so a citizen rotates keys without gas. The city only relays a change that the signed-in DID's own
owner signed for the registry's current nonce, and sends a change once."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from registry_api.chain import did_registry, outbox
from registry_api.chain.node import Node
from registry_api.core.errors import RegistryError
from registry_api.models.tables import Write
from registry_core.did import parse_did
from registry_core.erc1056 import SignedChangeError, SignedChangeOwner
from registry_core.manifest import DeploymentManifest

KIND = "did-change-owner"
RELAY_DEPARTMENT = "CITY"  # relayed writes belong to no department


def _refused(status: int, kind: str, en: str, de: str) -> RegistryError:
    return RegistryError(
        status=status,
        kind=kind,
        title="Key change refused / Schlüsselwechsel abgelehnt",
        detail=en,
        detail_de=de,
    )


def erc1056_state(
    rpc: Node, manifest: DeploymentManifest, *, did: str, owner: str
) -> dict[str, Any]:
    """What a signed change of ``did`` needs: the registry, the DID's owner and its nonce."""
    return {
        "did": did,
        "registry": did_registry.registry_address(manifest),
        "chain_id": manifest.chain_id,
        "owner": owner,
        "nonce": did_registry.nonce_of(rpc, manifest, owner),
    }


def relay_change_owner(
    session: Session,
    *,
    rpc: Node,
    manifest: DeploymentManifest,
    relay: str | None,
    did: str,
    signed_in_did: str,
    owner: str,
    change: SignedChangeOwner,
) -> Write:
    """Check ``change`` against the chain and add it to the outbox (the caller commits); the write
    already queued for the same identity and nonce if there is one."""
    if did != signed_in_did:
        raise _refused(
            403, "not-your-identity",
            "a session may only change the key of its own DID",
            "eine Sitzung darf nur den Schlüssel der eigenen DID wechseln",
        )  # fmt: skip
    if change.identity.lower() != parse_did(did).address.lower():
        raise _refused(
            422, "identity-mismatch",
            "the signed change is for another identity than the DID",
            "die signierte Änderung gilt einer anderen Identität als der DID",
        )  # fmt: skip
    # The same signed change again (a retry, even after it was mined): its first write.
    reference = f"{change.identity.lower()}:{change.nonce}:{change.new_owner.lower()}"
    queued = session.exec(
        select(Write).where(col(Write.kind) == KIND, col(Write.reference) == reference)
    ).first()
    if queued is not None and queued.status != "failed":
        return queued
    try:
        signer = change.signer(did_registry.registry_address(manifest))
    except SignedChangeError as exc:
        raise _refused(422, "invalid-signature", str(exc), "die Signatur ist ungültig") from None
    if signer.lower() != owner.lower():
        raise _refused(
            403, "not-the-owner",
            "the change is not signed by the DID's current key",
            "die Änderung ist nicht mit dem aktuellen Schlüssel der DID signiert",
        )  # fmt: skip
    if change.nonce != did_registry.nonce_of(rpc, manifest, owner):
        raise _refused(
            409, "stale-nonce",
            "the change was signed for another nonce than the registry's (already used?)",
            "die Änderung wurde für eine andere Nonce signiert als die des Registers (schon benutzt?)",
        )  # fmt: skip
    if relay is None:  # checked last: only a change that would be relayed learns of it
        raise RegistryError(
            status=503,
            kind="no-relay-key",
            title="No relay / Keine Weiterleitung",
            detail="no relay key is unlocked in this API",
            detail_de="die Stadt kann Schlüsselwechsel gerade nicht weiterleiten",
        )
    data = did_registry.change_owner_call(manifest, change)
    refusal = did_registry.dry_run(rpc, manifest, relay, data)
    if refusal is not None:
        raise _refused(
            409, "change-refused-by-registry",
            f"the DID registry refuses the change: {refusal.name}",
            f"das DID-Register lehnt die Änderung ab: {refusal.name}",
        )  # fmt: skip
    return outbox.enqueue_call(
        session, department=RELAY_DEPARTMENT, signer=relay, target=did_registry.DID_REGISTRY,
        data=data, gas=did_registry.CHANGE_OWNER_GAS, kind=KIND, reference=reference,
    )  # fmt: skip
