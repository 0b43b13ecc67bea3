"""The signed trust bundle for offline verification, its deltas and its signer (the rules:
``services/trust_bundles.py``; the formats: ``registry_core/trust_format.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from registry_api.api.deps import ManifestDep, RpcDep, TrustBundleServiceDep

router = APIRouter(prefix="/credentials", tags=["credentials"])


@router.get(
    "/trust-bundle",
    summary="Signed trust bundle for offline verification (issuer DIDs, accreditations, status)",
)
def trust_bundle(
    bundles: TrustBundleServiceDep, rpc: RpcDep, manifest: ManifestDep
) -> dict[str, Any]:
    return bundles.bundle(rpc=rpc, manifest=manifest)


@router.get(
    "/trust-bundle/delta",
    summary="What changed since a bundle's block, signed like the bundle (city-trust-delta/1)",
)
def trust_bundle_delta(
    bundles: TrustBundleServiceDep,
    rpc: RpcDep,
    manifest: ManifestDep,
    since_block: Annotated[
        int, Query(ge=0, le=2**63, description="`as_of_block` of the verifier's bundle")
    ],
) -> dict[str, Any]:
    return bundles.delta(rpc=rpc, manifest=manifest, since_block=since_block)


@router.get("/trust-bundle/signer", summary="The address that signs trust bundles (pin it)")
def trust_bundle_signer(bundles: TrustBundleServiceDep) -> dict[str, str]:
    return {"signer": bundles.signer().address}
