"""Liveness (``/health``), readiness (``/ready``) and deployment information.

``/health`` says only that the process answers (for a supervisor that restarts what hangs);
``/ready`` says whether writes are safe to send here now (for a load balancer): the chain and the
store answer, the worker that sends runs, and no signer lags (``services/readiness.py``).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from registry_api.api.deps import ManifestDep
from registry_api.core.errors import PROBLEM_BASE, PROBLEM_JSON, RegistryError
from registry_api.models.health import (
    NOT_READY_EXAMPLE,
    DeploymentInfo,
    Health,
    ReadinessCheck,
    Ready,
)
from registry_api.services.readiness import readiness
from registry_core.errors import ManifestError

router = APIRouter(tags=["health"])
STARTED = time.monotonic()


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
        name: ReadinessCheck(ok=c.ok, detail=c.detail, facts=c.facts)
        for name, c in found.checks.items()
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
