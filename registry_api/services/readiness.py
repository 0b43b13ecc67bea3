"""Is this API ready to take writes? The checks behind ``GET /ready``.

Ready means: the chain answers (through the gateway) and its deployment manifest is there, the
store answers, the worker that runs the senders is alive (the child process or the threads; with
``CITY_API_WORKERS=off``, a lease of every signer is held by a worker elsewhere) and no signer
has a write that is older than ``CITY_API_READY_MAX_WRITE_LAG_SECONDS`` and still not settled.
Writes held after a restore from backup are reported, not failed on: they wait for an operator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from registry_api.chain import outbox
from registry_api.chain.directory import chain_head
from registry_api.chain.sender.lease import aware
from registry_core.errors import RegistryCoreError
from registry_core.manifest import ManifestWatcher

PROBE_TIMEOUT_SECONDS = 3.0


class Worker(Protocol):
    def alive(self) -> bool: ...


@dataclass
class Check:
    ok: bool
    detail: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Readiness:
    checks: dict[str, Check]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, check in self.checks.items() if not check.ok]


def _chain(rpc_url: str, manifests: ManifestWatcher) -> Check:
    try:
        head = chain_head(rpc_url, manifests, timeout=PROBE_TIMEOUT_SECONDS)
    except RegistryCoreError as exc:
        return Check(False, exc.detail)
    facts = {"chain_id": head.chain_id, "block_number": head.block_number, "council": head.council}
    return Check(True, "the chain answers through the gateway", facts)


def _worker(
    mode: str, worker: Worker | None, leases: dict[str, datetime], signers: set[str]
) -> Check:
    if mode != "off":
        alive = worker is not None and worker.alive()
        where = "the worker process" if mode == "process" else "the worker threads"
        return Check(alive, f"{where} {'runs' if alive else 'is not running'}", {"mode": mode})
    now = datetime.now(UTC)
    unheld = sorted(s for s in signers if s not in leases or aware(leases[s]) < now)
    if unheld:
        return Check(False, f"no worker holds the lease of {', '.join(unheld)}", {"mode": mode})
    return Check(True, "a worker elsewhere holds every signer's lease", {"mode": mode})


def _writes(backlog: list[outbox.Backlog], max_lag: float) -> Check:
    now = datetime.now(UTC)
    facts: dict[str, Any] = {}
    late: list[str] = []
    for item in backlog:
        entry = facts.setdefault(item.signer, {})
        entry[item.status] = item.count
        age = (now - aware(item.oldest)).total_seconds()
        if item.status != "held":
            entry["oldest_seconds"] = max(entry.get("oldest_seconds", 0.0), round(age, 1))
            if age > max_lag:
                late.append(
                    f"signer {item.signer} has {item.count} {item.status} write(s), "
                    f"the oldest {age:.0f} s old"
                )
    if late:
        return Check(False, "; ".join(late), facts)
    held = sum(item.count for item in backlog if item.status == "held")
    detail = f"no write older than {max_lag:.0f} s is waiting"
    if held:
        detail += f" ({held} held after a restore, see `registry outbox held`)"
    return Check(True, detail, facts)


def readiness(
    *,
    rpc_url: str,
    manifests: ManifestWatcher,
    engine: Engine,
    workers_mode: str,
    worker: Worker | None,
    signers: set[str],
    max_write_lag_seconds: float,
) -> Readiness:
    checks = {"chain": _chain(rpc_url, manifests)}
    try:
        with Session(engine) as session:
            session.execute(text("SELECT 1"))
            backlog = outbox.backlog(session)
            leases = outbox.leases(session)
    except SQLAlchemyError as exc:
        detail = f"the store does not answer: {str(exc).splitlines()[0][:200]}"
        checks["store"] = Check(False, detail)
        unknown = Check(False, "unknown: the store does not answer")
        checks["worker"] = (
            _worker(workers_mode, worker, {}, set()) if workers_mode != "off" else unknown
        )
        checks["writes"] = unknown
        return Readiness(checks)
    checks["store"] = Check(True, "the store answers")
    checks["worker"] = _worker(workers_mode, worker, leases, signers)
    checks["writes"] = _writes(backlog, max_write_lag_seconds)
    return Readiness(checks)
