"""The outbox senders and the event indexer as a process of their own: ``python -m registry_api.worker``.

By default they run inside the API process (``CITY_API_RUN_WORKERS=true``). Running them here
instead (API with ``CITY_API_RUN_WORKERS=false``) puts signing and sending on another CPU core
than request handling, which raises throughput on multi-core machines; the lease row still keeps
one active sender per signer however many API or worker processes run. Stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

from registry_api.chain.workers import ManifestCache, Workers, unlock_signers
from registry_api.core.config import get_settings
from registry_api.core.db import make_engine, upgrade


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = get_settings()
    if settings.migrate_on_start:
        upgrade(settings.database)
    engine = make_engine(settings.database)
    read_engine = (
        make_engine(settings.database, writer=False)
        if settings.database.startswith("sqlite")
        else engine
    )
    workers = Workers(
        settings=settings,
        engine=engine,
        read_engine=read_engine,
        accounts=unlock_signers(settings),
        manifest=ManifestCache(deployments_dir=settings.deployments_dir, rpc_url=settings.rpc_url),
    )
    stopped = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    workers.start()
    stopped.wait()
    workers.stop()
    engine.dispose()
    read_engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
