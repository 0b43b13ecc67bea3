"""One active sender per signer, across processes and hosts: a lease row in the store.

A sender takes the lease when it is free, expired, or held by a process of this host that no
longer runs, renews it every third of its time, and proves it still holds it inside the very
transaction that commits signed transactions (:meth:`Lease.fence`): a sender that lost its lease
signs nothing more.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from registry_api.core.db import session_scope
from registry_api.models.tables import SenderLease
from registry_core.errors import RegistryCoreError

log = logging.getLogger(__name__)


class LeaseLostError(RegistryCoreError):
    """Another sender holds this signer's lease."""


def process_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_dead(owner: str) -> bool:
    """True if ``owner`` is a process on this host that no longer runs (a crashed sender)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _zombie(pid)


def _zombie(pid: int) -> bool:
    """An exited process that nobody reaped yet (e.g. a worker whose API was SIGKILLed, in a
    container whose init does not reap) still answers ``kill(pid, 0)``, but sends nothing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no procfs (not Linux) or gone meanwhile
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Lease:
    def __init__(
        self, *, engine: Engine, signer: str, seconds: float, owner: str | None = None
    ) -> None:
        self.engine = engine
        self.signer = signer
        self.seconds = seconds
        self.owner = owner or process_owner()
        self._renew_at = 0.0
        self._held = False

    @property
    def held(self) -> bool:
        """The lease was taken or renewed by this sender and not found lost since."""
        return self._held

    @property
    def due(self) -> bool:
        """Time to take or renew the lease."""
        return time.monotonic() > self._renew_at

    def lost(self) -> None:
        self._renew_at = 0.0
        self._held = False

    def hold(self) -> tuple[bool, bool]:
        """Take or renew the lease: (held, taken over from another owner)."""
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=self.seconds)
        taken_over = False
        with session_scope(self.engine) as session:
            lease = session.get(SenderLease, self.signer)
            if lease is None:
                session.add(SenderLease(signer=self.signer, owner=self.owner, expires_at=expires))
                taken_over = True
            elif (
                lease.owner == self.owner
                or aware(lease.expires_at) < now
                or owner_dead(lease.owner)
            ):
                if lease.owner != self.owner:
                    log.info("sender %s takes over the lease from %s", self.signer, lease.owner)
                    taken_over = True
                lease.owner = self.owner
                lease.expires_at = expires
                session.add(lease)
            else:
                self._held = False
                return False, False
        self._renew_at = time.monotonic() + self.seconds / 3
        self._held = True
        return True, taken_over

    def fence(self, session: Session) -> None:
        """Inside the signing transaction: the lease must still be ours (and is renewed)."""
        result = session.execute(
            update(SenderLease)
            .where(col(SenderLease.signer) == self.signer)
            .where(col(SenderLease.owner) == self.owner)
            .values(expires_at=datetime.now(UTC) + timedelta(seconds=self.seconds))
        )
        if getattr(result, "rowcount", 0) != 1:
            raise LeaseLostError(f"sender {self.owner} lost the lease of {self.signer}")

    def release(self) -> None:
        with session_scope(self.engine) as session:
            lease = session.get(SenderLease, self.signer)
            if lease is not None and lease.owner == self.owner:
                session.delete(lease)
        self._held = False
