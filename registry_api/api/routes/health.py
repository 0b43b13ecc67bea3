"""Liveness and deployment information."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from registry_api.api.deps import ManifestDep, RpcDep
from registry_api.core.errors import RegistryError
from registry_core.errors import ManifestError

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    chain_id: int = Field(examples=[52062])
    block_number: int = Field(examples=[42])
    council: str = Field(
        description="Address of the city council multisig",
        examples=["0x5FbDB2315678afecb367f032d93F642f64180aa3"],
    )


class ContractInfo(BaseModel):
    address: str
    deploy_block: int
    deploy_tx: str


class DeploymentInfo(BaseModel):
    chain_id: int
    compiler: str
    source_commit: str
    contracts: dict[str, ContractInfo]


@router.get("/health", response_model=Health, summary="Chain id, head block and council address")
def health(rpc: RpcDep, manifest: ManifestDep) -> Health:
    return Health(
        status="ok",
        chain_id=manifest.chain_id,
        block_number=rpc.block_number(),
        council=manifest.address("CityCouncil"),
    )


@router.get(
    "/deployment",
    response_model=DeploymentInfo,
    summary="The deployment manifest: contract addresses, deploy blocks, compiler, source commit",
)
def deployment(manifest: ManifestDep) -> Any:
    return manifest.to_json()


@router.get(
    "/deployment/abi/{name}",
    summary="ABI of one deployed contract",
    responses={404: {"description": "No such contract in the deployment"}},
)
def contract_abi(name: str, manifest: ManifestDep) -> list[dict[str, Any]]:
    try:
        return manifest.contract(name).abi
    except ManifestError as exc:
        raise RegistryError(
            status=404, kind="unknown-contract", title="Unknown contract", detail=exc.detail
        ) from exc
