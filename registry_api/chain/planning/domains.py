"""The planners by name, their store loaders, and the outbox columns they read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import Session

from registry_api.chain.planning import Call, DomainPlanner, Limits
from registry_api.chain.planning import calls as call_planner
from registry_api.chain.planning import credentials as credential_planner
from registry_api.chain.planning import registers as register_planner
from registry_api.models.tables import Write
from registry_core.errors import RegistryCoreError
from registry_core.manifest import DeploymentManifest

WRITE_COLUMNS: tuple[Any, ...] = (
    Write.seq,
    Write.id,
    Write.planner,
    Write.kind,
    Write.target,
    Write.payload,
    Write.mode,
    Write.register_id,
    Write.record_id,
    Write.version_index,
    Write.erasure_reason,
    Write.replans,
    Write.created_at,
)
PLANNERS: dict[str, DomainPlanner] = {
    "registers": register_planner.plan,
    "credentials": credential_planner.plan,
    "call": call_planner.plan,
}
LOADERS: dict[str, Callable[[Session, Sequence[Any]], Any]] = {
    "registers": register_planner.load,
}
# Which argument of a contract's anchorBatch names what the batch is of (register, credential
# type): two batches with the same value could hold the same write.
BATCH_OF_ARGUMENT = {"RegisterHub": 0, credential_planner.STATUS_REGISTRY: 1}


def load_all(session: Session, writes: Sequence[Any]) -> dict[str, Any]:
    """What each planner of ``writes`` needs from the store."""
    return {
        name: load(session, [w for w in writes if w.planner == name])
        for name, load in LOADERS.items()
        if any(w.planner == name for w in writes)
    }


def plan_alone(
    session: Session, write: Any, manifest: DeploymentManifest, limits: Limits
) -> Call | None:
    """The call ``write`` gets when planned on its own (None if it cannot be planned now)."""
    loaded = load_all(session, [write])
    try:
        calls = PLANNERS[write.planner]([write], loaded.get(write.planner), manifest, limits)
    except (RegistryCoreError, KeyError, ValueError):
        return None
    return calls[0] if len(calls) == 1 else None
