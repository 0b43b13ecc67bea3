"""The outbox senders and the event indexer as a process of their own.

``python -m registry_api.worker`` runs them with the settings from the environment (``CITY_API_*``),
next to API processes started with ``CITY_API_WORKERS=off``: e.g. one worker for several API
processes, or on another host. ``--from-parent`` is how the API starts its own worker
(``CITY_API_WORKERS=process``, the default; see ``registry_api/chain/worker_process.py``). Either
way a lease row keeps one active sender per signer however many workers run. Stops on
SIGTERM/SIGINT after the current round.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

from registry_api.chain.keys import unlock_keys
from registry_api.chain.workers import ManifestCache, Workers
from registry_api.core import logs
from registry_api.core.config import Settings, get_settings
from registry_api.core.db import make_engines, upgrade
from registry_api.services.retention import Purger


def _lines(fd: int) -> Iterator[bytes]:
    """Lines from a pipe, read with ``os.read``: unlike ``sys.stdin`` no buffer lock is held while
    waiting, which a daemon thread still reading at interpreter shutdown would make fatal."""
    pending = b""
    while chunk := os.read(fd, 65536):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        yield from lines


def _follow_parent(lines: Iterator[bytes], workers: Workers, stopping: threading.Event) -> None:
    """Wake senders on the API's request; exit at once when the API is gone (end of file)."""
    for line in lines:
        workers.wake(line.strip().decode(errors="replace"))
    if not stopping.is_set():
        logging.getLogger(__name__).warning("the API process is gone; the worker exits with it")
        os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Outbox senders and event indexer")
    parser.add_argument(
        "--from-parent",
        action="store_true",
        help="read the settings from stdin's first line and follow the parent on stdin",
    )
    args = parser.parse_args(argv)
    parent = _lines(sys.stdin.fileno()) if args.from_parent else None
    if parent is not None:
        settings = Settings.model_validate(json.loads(next(parent)))
    else:
        settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    if parent is None and settings.migrate_on_start:
        upgrade(settings.database)
    engine, read_engine = make_engines(settings.database)
    workers = Workers(
        settings=settings,
        engine=engine,
        read_engine=read_engine,
        keys=unlock_keys(settings),
        manifest=ManifestCache(deployments_dir=settings.deployments_dir, rpc_url=settings.rpc_url),
        loops=[("retention", Purger(settings, engine).run)],
    )
    stopping = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    # Started by the API, the worker stops when the API says so (Ctrl-C reaches both).
    signal.signal(signal.SIGINT, signal.SIG_IGN if args.from_parent else handler)
    signal.signal(signal.SIGTERM, handler)
    workers.start()
    logging.getLogger(__name__).info(
        "worker %d runs %d sender(s), the indexer and the channel settler",
        os.getpid(),
        len(workers.senders),
    )
    if parent is not None:
        threading.Thread(
            target=_follow_parent,
            args=(parent, workers, stopping),
            name="parent",
            daemon=True,
        ).start()
    stopping.wait()
    workers.stop()
    engine.dispose()
    read_engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
