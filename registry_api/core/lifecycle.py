"""What the API process starts and stops besides serving HTTP: the store and the workers."""

from __future__ import annotations

import logging
import sys
from typing import Any

from anyio import to_thread

from registry_api.chain.worker_process import WorkerProcess
from registry_api.chain.workers import ManifestCache, Workers, unlock_signers
from registry_api.core.config import Settings
from registry_api.core.db import make_engines, upgrade

log = logging.getLogger(__name__)


def start_registers(state: Any, settings: Settings) -> None:
    """Migrate (if configured), open the store, unlock department keys, start the workers."""
    # Few request threads: writes queue on the store anyway, and fewer threads contend less for
    # the GIL with the sender (measured: more throughput, lower latency).
    to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
    # A thread that holds the store's write lock releases the GIL inside every SQLite call and
    # then waits for it again; with the default 5 ms switch interval each wait can last a full
    # interval while request threads compute, so the write lock is held for milliseconds per
    # statement. A shorter interval hands the GIL back sooner (measured: see bench_registers).
    sys.setswitchinterval(min(sys.getswitchinterval(), settings.switch_interval_seconds))
    if settings.migrate_on_start:
        upgrade(settings.database)
    state.engine, state.read_engine = make_engines(settings.database)
    accounts = unlock_signers(settings)
    state.signers = {department: account.address for department, account in accounts.items()}
    state.workers = None
    if settings.workers == "process":
        state.workers = WorkerProcess(settings)
        state.workers.start()
    elif settings.workers == "thread":
        manifest = ManifestCache(deployments_dir=settings.deployments_dir, rpc_url=settings.rpc_url)
        state.workers = Workers(
            settings=settings,
            engine=state.engine,
            read_engine=state.read_engine,
            accounts=accounts,
            manifest=manifest,
        )
        state.workers.start()
    log.info("registers: store ready, %d department signer(s) unlocked", len(accounts))


def stop_registers(state: Any) -> None:
    workers = getattr(state, "workers", None)
    if workers is not None:
        workers.stop()
    for name in ("engine", "read_engine"):
        engine = getattr(state, name, None)
        if engine is not None:
            engine.dispose()
