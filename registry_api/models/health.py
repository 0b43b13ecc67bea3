"""Response models of liveness, readiness and deployment information (``routes/health.py``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from registry_api.core.errors import PROBLEM_BASE


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    uptime_seconds: float = Field(examples=[12.5])


class ReadinessCheck(BaseModel):
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
    checks: dict[str, ReadinessCheck] = Field(
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
