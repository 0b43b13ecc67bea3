"""What the API process starts and stops besides serving HTTP: the store, the keys, the workers.

Stopping runs in the opposite order: the workers first (the worker process finishes its round and
releases its leases on SIGTERM), then the waits, then the store; the chain client last (in
``main.py``). A demo stopped with Ctrl-C therefore stops the API before the gateway and the chain
(``scripts/cli.py``), and no sender is left talking to a node that is gone.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from anyio import to_thread

from registry_api.chain.directory import DepartmentStatusCache
from registry_api.chain.keys import unlock_keys
from registry_api.chain.outbox import WritePipeline, WriteWaiter
from registry_api.chain.worker_process import WorkerProcess
from registry_api.chain.workers import ManifestCache, Workers
from registry_api.core.config import Settings
from registry_api.core.db import make_engines, upgrade
from registry_api.metrics.exposition import Exposition
from registry_api.services.credentials import CredentialService
from registry_api.services.retention import Purger
from registry_api.services.trust_bundles import TrustBundleService
from registry_api.store import records
from registry_api.store.data_keys import open_store

log = logging.getLogger(__name__)


def start(state: Any, settings: Settings) -> None:
    """Open the data key store, migrate (if configured), open the store, unlock the keys, start
    the workers."""
    # Few request threads: writes queue on the store anyway, and fewer threads contend less for
    # the GIL with the sender (measured: more throughput, lower latency).
    to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
    # A thread that holds the store's write lock releases the GIL inside every SQLite call and
    # then waits for it again; with the default 5 ms switch interval each wait can last a full
    # interval while request threads compute, so the write lock is held for milliseconds per
    # statement. A shorter interval hands the GIL back sooner (measured: see bench_registers).
    sys.setswitchinterval(min(sys.getswitchinterval(), settings.switch_interval_seconds))
    # A missing or malformed key-encryption key stops the start here (KeyRingError).
    state.data_keys = open_store(settings)
    records.install(state.data_keys)
    if settings.migrate_on_start:
        upgrade(settings.database, data_keys=state.data_keys)
    state.engine, state.read_engine = make_engines(settings.database)
    state.metrics = Exposition(settings=settings, engine=state.read_engine)
    keys = unlock_keys(settings)
    by_name: dict[str, str] = {key.name: key.account.address for key in keys}
    state.signers = {
        department: by_name[name]
        for department, name in settings.signers.items()
        if name in by_name
    }
    state.workers = None
    if settings.workers == "process":
        state.workers = WorkerProcess(settings, env=state.metrics.worker_env())
        state.workers.start()
    elif settings.workers == "thread":
        manifest = ManifestCache(deployments_dir=settings.deployments_dir, rpc_url=settings.rpc_url)
        state.workers = Workers(
            settings=settings,
            engine=state.engine,
            read_engine=state.read_engine,
            keys=keys,
            manifest=manifest,
            loops=[("retention", Purger(settings, state.engine).run)],
        )
        state.workers.start()
    state.waiter = WriteWaiter(state.read_engine)
    state.pipeline = WritePipeline(signers=by_name, waker=state.workers, waiter=state.waiter)
    state.departments = DepartmentStatusCache(settings.department_status_cache_seconds)
    state.credentials = CredentialService.start(settings, keys, state.departments)
    state.trust_bundles = TrustBundleService(settings)
    log.info("store ready, %d signing key(s) unlocked, workers: %s", len(keys), settings.workers)


def stop(state: Any) -> None:
    workers = getattr(state, "workers", None)
    if workers is not None:
        workers.stop()
    waiter = getattr(state, "waiter", None)
    if waiter is not None:
        waiter.close()
    for name in ("engine", "read_engine"):
        engine = getattr(state, name, None)
        if engine is not None:
            engine.dispose()
    data_keys = getattr(state, "data_keys", None)
    if data_keys is not None:
        records.uninstall(data_keys)
        data_keys.close()
    metrics = getattr(state, "metrics", None)
    if metrics is not None:
        metrics.close()
