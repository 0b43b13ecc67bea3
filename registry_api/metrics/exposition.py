"""What one API process's ``GET /metrics`` shows, and where its worker child counts.

* ``PROMETHEUS_MULTIPROC_DIR`` set (several uvicorn workers per host): every process of the
  host, API processes and their workers alike, counts into that folder (prometheus-client's
  multi-process mode) and any of them shows the sum. Empty the folder before starting them.
* Otherwise the process shows its own counters; with ``CITY_API_WORKERS=process`` its worker
  child counts into a private folder (passed to it as ``PROMETHEUS_MULTIPROC_DIR``, made at start
  and removed at stop) that is merged in; with ``thread`` the worker counts in this process.
  A worker run on its own (``CITY_API_WORKERS=off``) shows up only through a shared folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine

from registry_api.core.config import Settings
from registry_api.metrics.definitions import ANCHORING, IN_PROCESS
from registry_api.metrics.store import StoreCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Exposition:
    def __init__(self, *, settings: Settings, engine: Engine) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.worker_dir: Path | None = None
        if os.environ.get(MULTIPROC_ENV):
            MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
        else:
            for metric in IN_PROCESS:
                self.registry.register(metric)
            if settings.workers == "thread":
                self.registry.register(ANCHORING)
            elif settings.workers == "process":
                self.worker_dir = Path(tempfile.mkdtemp(prefix="city-api-metrics-"))
                MultiProcessCollector(self.registry, path=str(self.worker_dir))  # type: ignore[no-untyped-call]
        self.registry.register(StoreCollector(engine=engine, rpc_url=settings.rpc_url))

    def worker_env(self) -> dict[str, str]:
        """The environment the worker child needs to count where this process can read it."""
        return {MULTIPROC_ENV: str(self.worker_dir)} if self.worker_dir is not None else {}

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def close(self) -> None:
        if self.worker_dir is not None:
            shutil.rmtree(self.worker_dir, ignore_errors=True)
