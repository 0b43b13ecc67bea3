"""Liveness (``/health``), readiness (``/ready``) and deployment information.

``/health`` says only that the process answers (for a supervisor that restarts what hangs);
``/ready`` says whether writes are safe to send here now (for a load balancer): the chain and the
store answer, the worker that sends runs, and no signer lags (``services/readiness.py``).
"""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from registry_api.api.deps import ManifestDep
from registry_api.core.errors import PROBLEM_BASE, PROBLEM_JSON, RegistryError
from registry_api.services.readiness import readiness
from registry_core.errors import ManifestError

router = APIRouter(tags=["health"])
STARTED = time.monotonic()


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    uptime_seconds: float = Field(examples=[12.5])


class CheckOut(BaseModel):
    ok: bool
    detail: str = Field(examples=["the chain answers through the gateway"])
    facts: dict[str, Any] = Field(
        default_factory=dict,
        examples=[
            {
                "chain_id": 52062,
                "block_number": 42,
                "council": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            }
        ],
    )


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    checks: dict[str, CheckOut] = Field(
        description="chain, store, worker, writes (per signer: pending / submitted / held counts "
        "and the age of the oldest unsettled write)"
    )


NOT_READY_EXAMPLE = {
    "type": PROBLEM_BASE + "not-ready",
    "title": "The API is not ready",
    "status": 503,
    "detail": "chain: cannot reach JSON-RPC endpoint http://127.0.0.1:8545: [Errno 111] "
    "Connection refused",
    "instance": "/ready",
    "failing": ["chain", "writes"],
    "checks": {
        "chain": {"ok": False, "detail": "cannot reach JSON-RPC endpoint …", "facts": {}},
        "store": {"ok": True, "detail": "the store answers", "facts": {}},
        "worker": {"ok": True, "detail": "the worker process runs", "facts": {"mode": "process"}},
        "writes": {
            "ok": False,
            "detail": "signer 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 has 12 pending "
            "write(s), the oldest 75 s old",
            "facts": {
                "0x70997970C51812dc3A010C7d01b50e0d17dc79C8": {
                    "pending": 12,
                    "oldest_seconds": 75.2,
                }
            },
        },
    },
}


class ContractInfo(BaseModel):
    address: str
    deploy_block: int
    deploy_tx: str


class DeploymentInfo(BaseModel):
    chain_id: int
    compiler: str
    source_commit: str
    contracts: dict[str, ContractInfo]


@router.get(
    "/health",
    response_model=Health,
    summary="Liveness: the process answers (it asks nothing else)",
)
async def health() -> Health:
    return Health(uptime_seconds=round(time.monotonic() - STARTED, 1))


@router.get(
    "/ready",
    response_model=Ready,
    summary="Readiness: chain, store, worker and write lag; 503 names what fails",
    responses={
        503: {
            "description": "Not ready: `failing` names the checks that fail, `detail` says why",
            "content": {PROBLEM_JSON: {"example": NOT_READY_EXAMPLE}},
        }
    },
)
async def ready(request: Request) -> Any:
    state = request.app.state
    settings = state.settings

    def check() -> Any:
        return readiness(
            rpc_url=settings.rpc_url,
            manifests=state.manifests,
            engine=state.read_engine,
            workers_mode=settings.workers,
            worker=state.workers,
            signers=set(state.pipeline.signers.values()),
            max_write_lag_seconds=settings.ready_max_write_lag_seconds,
        )

    found = await run_in_threadpool(check)
    checks = {
        name: CheckOut(ok=c.ok, detail=c.detail, facts=c.facts) for name, c in found.checks.items()
    }
    if found.ready:
        return Ready(checks=checks)
    body = {
        "type": PROBLEM_BASE + "not-ready",
        "title": "The API is not ready",
        "status": 503,
        "detail": "; ".join(f"{name}: {found.checks[name].detail}" for name in found.failing),
        "instance": request.url.path,
        "failing": found.failing,
        "checks": {name: c.model_dump() for name, c in checks.items()},
    }
    return JSONResponse(body, status_code=503, media_type=PROBLEM_JSON)


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
