"""DID resolution: did:ethr identities of the city chain, as ``ethr-did-resolver`` builds them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from registry_api.api.deps import BlockNumber, CredentialServiceDep, ManifestDep, RpcDep

router = APIRouter(prefix="/dids", tags=["credentials"])


@router.get("/{did}", summary="Resolve a did:ethr of the city chain (optionally as of a block)")
def resolve_did(
    did: str,
    service: CredentialServiceDep,
    rpc: RpcDep,
    manifest: ManifestDep,
    block: BlockNumber = None,
) -> dict[str, Any]:
    return service.resolve_did(rpc=rpc, manifest=manifest, did=did, block=block)
