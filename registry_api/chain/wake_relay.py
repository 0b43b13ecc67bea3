"""Wake-ups across API replicas on PostgreSQL: ``NOTIFY`` and ``LISTEN`` on one channel.

A committed write wakes the senders of the worker next to the API that accepted it. With several
replicas the signer's lease may be held by another replica's worker, which then found the write
only at its next idle poll: up to ``CITY_API_IDLE_POLL_SECONDS`` later, and one such wait at the
end of a bulk load halved the two-replica throughput (``python -m scripts.bench_scale``). On
PostgreSQL a worker whose own sender of the woken department or signer does not hold the lease
passes the wake on with ``NOTIFY``; every worker ``LISTEN``\\s and wakes its own senders (only a
lease holder acts on a wake). Wakes stay hints: one lost while a connection is down is found by
the next poll. SQLite has no such channel; there the holder finds the write within its poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

CHANNEL = "city_outbox_wake"
RECONNECT_PAUSES = (1.0, 2.0, 5.0, 10.0)


class WakeRelay:
    """Publishes wakes for other workers and hands theirs to ``wake`` (this worker's senders)."""

    def __init__(self, engine: Engine, wake: Callable[[str], object]) -> None:
        self.engine = engine
        self.wake = wake
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._ready = threading.Event()

    def publish(self, target: str) -> None:
        """Pass a wake on (a department code or a signer address); sent by :meth:`publishing`,
        so the caller (the API's pipe, a sender) never waits for the store."""
        with self._lock:
            self._pending.add(target)
        self._ready.set()

    def publishing(self, stop: threading.Event) -> None:
        """Thread: one transaction of ``pg_notify`` calls for what is pending (coalesced)."""
        while not stop.is_set():
            self._ready.wait()
            self._ready.clear()
            with self._lock:
                targets, self._pending = sorted(self._pending), set()
            if not targets or stop.is_set():
                continue
            try:
                with self.engine.begin() as connection:
                    for target in targets:
                        connection.execute(
                            text("SELECT pg_notify(:channel, :target)"),
                            {"channel": CHANNEL, "target": target},
                        )
            except Exception as exc:  # a hint lost; the holder's poll finds the write
                log.warning("could not pass a wake on to the other replicas: %s", exc)

    def listening(self, stop: threading.Event) -> None:
        """Thread: wake this worker's senders for every wake another worker passes on."""
        failures = 0
        while not stop.is_set():
            try:
                with psycopg.connect(
                    self._conninfo, autocommit=True, connect_timeout=5
                ) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    if failures:
                        log.info("listening for other replicas' wakes again")
                    failures = 0
                    while not stop.is_set():
                        for notice in connection.notifies(timeout=1.0):
                            self.wake(notice.payload)
            except psycopg.Error as exc:
                if failures == 0:
                    log.warning("not listening for other replicas' wakes: %s; retrying", exc)
                stop.wait(RECONNECT_PAUSES[min(failures, len(RECONNECT_PAUSES) - 1)])
                failures += 1

    def close(self) -> None:
        """Let :meth:`publishing` see its stop event."""
        self._ready.set()
