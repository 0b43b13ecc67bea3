"""The outbox: how a domain hands a chain write to the senders, and waits for it with a bound.

Every transaction the API signs goes through here: a domain adds its write to the store in the
same database transaction as its own rows, the department's sender (``chain/sender``) plans,
signs, sends and settles it. For a domain without a planner of its own (DID meta-transactions,
fee payments with permits, payment channel settlements, ...) that is one function and one wait::

    write = outbox.enqueue_call(
        session, department="FB33", signer=pipeline.address("relay-did"),
        target="EthereumDIDRegistry", data=calldata, gas=200_000,
        kind="did-attribute", reference=request_id,
    )
    session.commit()                        # with the domain's own rows, or not at all
    pipeline.wake(write.signer)             # a hint: the sender polls anyway
    settled = await pipeline.wait([write.id], timeout=10.0)
    # settled.get(write.id): WriteState(status="anchored" | "failed", error=…); missing = not yet

The write is sent exactly once (its nonce and signed bytes are stored before sending; see the
sender), as a transaction of its own in outbox order; ``GET /writes/{id}`` shows its state. A
refusal by the chain fails it with the reason (``Write.error``); it is never sent again.

(Just over 400 lines: enqueueing, waiting, the backlog, held writes and batch proofs all read and
keep the one outbox table's invariants.)
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from registry_api.chain.planning import Placement
from registry_api.models.tables import ChainTx, MerkleBatch, SenderLease, Write
from registry_core.merkle import MerkleTree

log = logging.getLogger(__name__)

PLANNERS = ("registers", "credentials", "call")
SETTLED = ("anchored", "failed")
MAX_CALLDATA = 128 * 1024
MAX_GAS = 10_000_000  # a third of the chain's block gas limit


def new_write_id() -> str:
    return secrets.token_hex(16)


def new_write(
    *,
    department: str,
    signer: str,
    planner: str,
    kind: str,
    target: str,
    payload: dict[str, Any] | None = None,
    reference: str | None = None,
    **fields: Any,
) -> Write:
    """A pending outbox row (not yet in any session); ``fields`` are the planner's own columns."""
    if planner not in PLANNERS:
        raise ValueError(f"unknown planner {planner!r}")
    return Write(
        id=new_write_id(),
        department=department,
        signer=signer,
        planner=planner,
        kind=kind,
        target=target,
        payload=payload,
        reference=reference,
        status="pending",
        **fields,
    )


def enqueue_call(
    session: Session,
    *,
    department: str,
    signer: str,
    target: str,
    data: bytes,
    gas: int,
    kind: str,
    reference: str | None = None,
) -> Write:
    """Add a generic call write to ``session`` (the caller commits it with its own rows).

    ``signer`` is the address of an unlocked key that a sender runs for (``pipeline.address``),
    ``target`` a contract of the deployment manifest by name, ``data`` the calldata, ``gas`` its
    gas limit (gas is free; give the measured need with headroom), ``kind`` what the write is
    (shown in ``GET /writes/{id}``), ``reference`` the caller's own id for it.
    """
    if not 0 < len(data) <= MAX_CALLDATA:
        raise ValueError(f"calldata must be 1..{MAX_CALLDATA} bytes, not {len(data)}")
    if not 21_000 <= gas <= MAX_GAS:
        raise ValueError(f"gas must be 21000..{MAX_GAS}, not {gas}")
    write = new_write(
        department=department,
        signer=signer,
        planner="call",
        kind=kind,
        target=target,
        payload={"data": "0x" + data.hex(), "gas": gas},
        reference=reference,
    )
    session.add(write)
    return write


@dataclass(frozen=True)
class Backlog:
    """One signer's writes that are not settled yet."""

    signer: str
    status: str  # pending | submitted | held
    count: int
    oldest: datetime


def backlog(session: Session) -> list[Backlog]:
    """Unsettled writes per signer and status. No index covers ``Write.status`` (see the model):
    pending and held rows are read through ``ix_write_open`` (no transaction yet), submitted
    ones through their transactions that wait for a receipt."""
    columns = (col(Write.signer), col(Write.status), func.count(), func.min(Write.created_at))
    unplanned = session.execute(
        select(*columns)
        .where(col(Write.tx_id).is_(None))
        .where(col(Write.status).in_(("pending", "held")))
        .group_by(col(Write.signer), col(Write.status))
    ).all()
    submitted = session.execute(
        select(*columns)
        .join(ChainTx, col(ChainTx.id) == col(Write.tx_id))
        .where(col(ChainTx.status) == "sent")
        .where(col(Write.status) == "submitted")
        .group_by(col(Write.signer), col(Write.status))
    ).all()
    return [
        Backlog(signer, status, int(count), oldest)
        for signer, status, count, oldest in [*unplanned, *submitted]
    ]


def leases(session: Session) -> dict[str, datetime]:
    """Signer -> when its sender's lease expires (a sender runs for it somewhere until then)."""
    return {
        lease.signer: lease.expires_at for lease in session.execute(select(SenderLease)).scalars()
    }


def held_writes(session: Session) -> list[Write]:
    """Writes held after a restore from backup (see ``chain/sender/recovery.py``)."""
    return list(
        session.execute(
            select(Write)
            .where(col(Write.tx_id).is_(None))  # held rows have none: read via ix_write_open
            .where(col(Write.status) == "held")
            .order_by(col(Write.seq))
        ).scalars()
    )


def release_held(session: Session, write_ids: Sequence[str] | None) -> int:
    """Held writes (all if ``write_ids`` is None) back to pending: they will be sent. Only for
    writes the chain does not have: an operator checked them (README, "Recovery")."""
    query = update(Write).where(col(Write.tx_id).is_(None)).where(col(Write.status) == "held")
    if write_ids is not None:
        query = query.where(col(Write.id).in_(write_ids))
    return int(session.execute(query.values(status="pending", error=None)).rowcount)  # type: ignore[attr-defined]


def fail_held(session: Session, write_ids: Sequence[str] | None, reason: str) -> int:
    """Held writes (all if ``write_ids`` is None) fail with ``reason``: they are never sent."""
    query = update(Write).where(col(Write.tx_id).is_(None)).where(col(Write.status) == "held")
    if write_ids is not None:
        query = query.where(col(Write.id).in_(write_ids))
    return int(session.execute(query.values(status="failed", error=reason[:500])).rowcount)  # type: ignore[attr-defined]


def batch_leaves(placements: Iterable[Placement]) -> dict[bytes, list[bytes]]:
    """Merkle root -> its leaves, of the placements that sit in a batch."""
    roots: dict[bytes, list[bytes]] = {}
    for placement in placements:
        if placement.root is not None and placement.leaf is not None:
            roots.setdefault(placement.root, []).append(placement.leaf)
    return roots


def store_batches(session: Session, roots: dict[bytes, list[bytes]]) -> None:
    """Store the leaves of each Merkle root (once: a root planned again is the same batch)."""
    if not roots:
        return
    known = set(
        session.execute(
            select(col(MerkleBatch.merkle_root)).where(
                col(MerkleBatch.merkle_root).in_(["0x" + r.hex() for r in roots])
            )
        ).scalars()
    )
    rows = [
        {"merkle_root": "0x" + root.hex(), "leaves": ["0x" + leaf.hex() for leaf in leaves]}
        for root, leaves in roots.items()
        if "0x" + root.hex() not in known
    ]
    if rows:
        session.execute(insert(MerkleBatch.__table__), rows)  # type: ignore[attr-defined]


# Trees rebuilt from stored leaves, by root (a batch never changes): reading the proofs of one
# batch's records hashes its leaves once, not once per record.
_TREES: OrderedDict[str, MerkleTree] = OrderedDict()
_TREES_LOCK = threading.Lock()
TREE_CACHE = 64


def batch_proof(session: Session, merkle_root: str | None, leaf: str | None) -> list[str] | None:
    """The Merkle proof of ``leaf`` under ``merkle_root`` ("0x…" hex), None if either is None or
    the batch is not stored (a credential batch issuance keeps its proofs itself)."""
    if merkle_root is None or leaf is None:
        return None
    with _TREES_LOCK:
        tree = _TREES.get(merkle_root)
        if tree is not None:
            _TREES.move_to_end(merkle_root)
    if tree is None:
        leaves = session.execute(
            select(col(MerkleBatch.leaves)).where(col(MerkleBatch.merkle_root) == merkle_root)
        ).scalar()
        if leaves is None:
            return None
        tree = MerkleTree.of_leaves([bytes.fromhex(h[2:]) for h in leaves])
        with _TREES_LOCK:
            _TREES[merkle_root] = tree
            while len(_TREES) > TREE_CACHE:
                _TREES.popitem(last=False)
    try:
        return ["0x" + p.hex() for p in tree.proof(bytes.fromhex(leaf[2:]))]
    except KeyError:
        return None


@dataclass(frozen=True)
class WriteState:
    """A settled write: anchored, or failed with the reason."""

    write_id: str
    status: str
    error: str | None


class Waker(Protocol):
    def wake(self, department: str) -> None: ...


class _Waiting:
    """One caller's wait: the ids still open and how to tell it that all are settled."""

    def __init__(self, write_ids: Sequence[str], notify: Callable[[], None]) -> None:
        self.open = set(write_ids)
        self.settled: dict[str, WriteState] = {}
        self.notify = notify


class WriteWaiter:
    """Bounded waits on outbox rows, for any number of callers with one query per poll.

    A thread polls the store (every ``poll_seconds``, only while someone waits) for the waited-on
    writes that are settled and tells their callers. It reads only, so on SQLite it takes no
    write lock; a store that does not answer (restarting) is asked again after a pause.
    """

    def __init__(self, engine: Engine, *, poll_seconds: float = 0.01) -> None:
        self.engine = engine
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._by_write: dict[str, list[_Waiting]] = {}
        self._arrived = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def _add(self, waiting: _Waiting) -> None:
        with self._lock:
            for write_id in waiting.open:
                self._by_write.setdefault(write_id, []).append(waiting)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="write-waiter", daemon=True)
                self._thread.start()
        self._arrived.set()

    def _remove(self, waiting: _Waiting) -> None:
        with self._lock:
            for write_id in waiting.open:
                others = self._by_write.get(write_id, [])
                if waiting in others:
                    others.remove(waiting)
                if not others:
                    self._by_write.pop(write_id, None)

    async def wait(self, write_ids: Sequence[str], timeout: float) -> dict[str, WriteState]:
        """The settled states of ``write_ids`` once all are settled or ``timeout`` passed."""
        if not write_ids:
            return {}
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def settle() -> None:
            if not done.done():
                done.set_result(None)

        def notify() -> None:
            loop.call_soon_threadsafe(settle)

        waiting = _Waiting(write_ids, notify)
        self._add(waiting)
        try:
            await asyncio.wait_for(asyncio.shield(done), timeout)
        except TimeoutError:
            pass
        finally:
            self._remove(waiting)
        return dict(waiting.settled)

    def wait_blocking(self, write_ids: Sequence[str], timeout: float) -> dict[str, WriteState]:
        """:meth:`wait` for threads without an event loop."""
        if not write_ids:
            return {}
        done = threading.Event()
        waiting = _Waiting(write_ids, done.set)
        self._add(waiting)
        try:
            done.wait(timeout)
        finally:
            self._remove(waiting)
        return dict(waiting.settled)

    def close(self) -> None:
        self._stopped.set()
        self._arrived.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            with self._lock:
                ids = list(self._by_write)
            if not ids:
                self._arrived.wait(1.0)
                self._arrived.clear()
                continue
            try:
                states = self._settled(ids)
            except SQLAlchemyError as exc:
                log.warning("write waiter: the store does not answer (%s); asking again", exc)
                self._stopped.wait(0.5)
                continue
            finished: list[_Waiting] = []
            with self._lock:
                for state in states:
                    for waiting in self._by_write.pop(state.write_id, []):
                        waiting.settled[state.write_id] = state
                        waiting.open.discard(state.write_id)
                        if not waiting.open:
                            finished.append(waiting)
            for waiting in finished:
                waiting.notify()
            self._stopped.wait(self.poll_seconds)

    def _settled(self, ids: list[str]) -> list[WriteState]:
        states: list[WriteState] = []
        with Session(self.engine) as session:
            for start in range(0, len(ids), 500):
                rows = session.execute(
                    select(col(Write.id), col(Write.status), col(Write.error))
                    .where(col(Write.id).in_(ids[start : start + 500]))
                    .where(col(Write.status).in_(SETTLED))
                ).all()
                states += [WriteState(row.id, row.status, row.error) for row in rows]
        return states


class WritePipeline:
    """What the API process holds of the write path: signer addresses, wake-ups and waits."""

    def __init__(
        self, *, signers: dict[str, str], waker: Waker | None, waiter: WriteWaiter
    ) -> None:
        self.signers = signers  # keystore entry name -> address (keys unlocked in this process)
        self._waker = waker
        self.waiter = waiter

    def address(self, key_name: str) -> str | None:
        """The address of the unlocked key ``key_name`` (e.g. ``dept-fb02``, ``vc-fb02``)."""
        return self.signers.get(key_name)

    def wake(self, department_or_signer: str) -> None:
        """Wake the senders of a department (or of one signer address): a hint, never needed."""
        if self._waker is not None:
            self._waker.wake(department_or_signer)

    async def wait(self, write_ids: Sequence[str], timeout: float) -> dict[str, WriteState]:
        return await self.waiter.wait(write_ids, timeout)
