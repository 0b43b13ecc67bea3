"""The explorer's indexer: the manifest contracts' events from ``eth_getLogs`` into its cache.

Pages of blocks come from :class:`registry_core.events.EventReader` (bounded ranges, 1,000 blocks
by default, halved when a node refuses a range); each page and the new cursor are written in one
database transaction, so a stopped explorer resumes where it stopped. The transactions that
emitted the events are read once (``eth_getTransactionByHash`` in batches) for their signer and
decoded function. History only: never ``eth_call`` at an old block.

A cache made for another deployment (the manifest's contracts changed) is dropped and rebuilt.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from explorer.catalog import PLACES, json_args, keys_of
from explorer.store import EventKey, EventRow, IndexState, TxRow, drop_all
from registry_core.abi import signature
from registry_core.events import (
    ChainEvent,
    EventPage,
    EventReader,
    block_timestamps,
    get_transactions,
)
from registry_core.keccak import keccak256
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient

log = logging.getLogger(__name__)


def deployment_fingerprint(manifest: DeploymentManifest) -> str:
    """Which contracts the cache describes: their names, addresses and deploy blocks."""
    text = ";".join(
        f"{name}={c.address.lower()}@{c.deploy_block}"
        for name, c in sorted(manifest.contracts.items())
    )
    return "0x" + keccak256(text.encode()).hex()


@dataclass(frozen=True)
class Progress:
    indexed_to: int
    head: int
    events: int  # indexed in this call


class Indexer:
    """Follows one deployment's events into the cache; thread-safe (one writer at a time)."""

    def __init__(
        self,
        *,
        engine: Engine,
        rpc_factory: Callable[[], RpcClient],
        manifest: Callable[[], DeploymentManifest],
        page_blocks: int,
    ) -> None:
        self.engine = engine
        self.rpc_factory = rpc_factory
        self.manifest = manifest
        self.page_blocks = page_blocks
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def state(self) -> IndexState | None:
        with Session(self.engine) as session:
            return session.get(IndexState, 1)

    def _prepare(self, manifest: DeploymentManifest) -> IndexState:
        fingerprint = deployment_fingerprint(manifest)
        with Session(self.engine) as session:
            state = session.get(IndexState, 1)
            if state is not None and state.deployment == fingerprint:
                session.expunge(state)
                return state
            if state is not None:
                log.warning("the manifest describes another deployment: rebuilding the cache")
        drop_all(self.engine)
        with Session(self.engine) as session:
            state = IndexState(chain_id=manifest.chain_id, deployment=fingerprint)
            session.add(state)
            session.commit()
            session.refresh(state)
            session.expunge(state)
            return state

    def rebuild(self) -> Progress:
        """Drop the cache and index everything from block 0."""
        with self._lock:
            drop_all(self.engine)
        return self.run_once()

    def run_once(self, *, to_block: int | None = None) -> Progress:
        """Index from the cursor to the chain head (or ``to_block``)."""
        with self._lock, self.rpc_factory() as rpc:
            manifest = self.manifest()
            state = self._prepare(manifest)
            head = rpc.block_number()
            target = head if to_block is None else min(head, to_block)
            reader = EventReader(rpc, manifest, page_blocks=self.page_blocks)
            start = max(state.indexed_to + 1, 0)
            count = 0
            with Session(self.engine) as session:
                next_id = int(session.exec(select(func.max(EventRow.id))).one()[0] or 0) + 1  # type: ignore[call-overload]
            for page in reader.pages(from_block=start, to_block=target):
                next_id, written = self._write(rpc, manifest, page, next_id)
                count += written
            self.page_blocks = reader.pager.page_blocks
            indexed_to = max(state.indexed_to, target)
            return Progress(indexed_to=indexed_to, head=head, events=count)

    def _write(
        self, rpc: RpcClient, manifest: DeploymentManifest, page: EventPage, next_id: int
    ) -> tuple[int, int]:
        events = page.events
        times = block_timestamps(rpc, events) if events else {}
        rows: list[dict[str, object]] = []
        keys: list[dict[str, object]] = []
        for event in events:
            args = json_args(event.args)
            subject_arg, scope_arg = PLACES.get(event.name, (None, None))
            subject = args.get(subject_arg) if subject_arg else None
            scope = args.get(scope_arg) if scope_arg else None
            subject_key, scope_key = _key(subject), _key(scope)
            rows.append(
                {
                    "id": next_id,
                    "block_number": event.block_number,
                    "log_index": event.log_index,
                    "tx_hash": event.tx_hash.lower(),
                    "tx_index": event.tx_index,
                    "timestamp": times.get(event.block_number, 0),
                    "contract": event.contract,
                    "name": event.name,
                    "subject": subject_key,
                    "scope": scope_key,
                    "args": _dumps(args),
                }
            )
            keys.extend(
                {"key": key, "event_id": next_id}
                for key in keys_of(args)
                # hashes and codes that are the subject or scope have columns of their own
                if len(key) == 42 or key not in (subject_key, scope_key)
            )
            next_id += 1
        with Session(self.engine) as session:
            txs = self._transactions(rpc, manifest, session, events)
            # The driver's executemany with plain tuples: SQLAlchemy's per-row parameter handling
            # cost more than SQLite's insert itself.
            connection = session.connection()
            for table, values in ((EventRow, rows), (EventKey, keys), (TxRow, txs)):
                if values:
                    columns = list(values[0])
                    connection.exec_driver_sql(
                        _insert_sql(self.engine, str(table.__tablename__), columns),
                        [tuple(row[c] for c in columns) for row in values],
                    )
            state = session.get(IndexState, 1)
            assert state is not None
            state.indexed_to = max(state.indexed_to, page.to_block)
            if any(e.contract != "CityToken" for e in events):
                state.changed_at = page.to_block
            session.add(state)
            session.commit()
        return next_id, len(rows)

    @staticmethod
    def _transactions(
        rpc: RpcClient, manifest: DeploymentManifest, session: Session, events: list[ChainEvent]
    ) -> list[dict[str, object]]:
        wanted = {e.tx_hash.lower() for e in events}
        if not wanted:
            return []
        known = set(session.exec(select(TxRow.hash).where(TxRow.hash.in_(wanted))).all())  # type: ignore[attr-defined,call-overload]
        functions = _function_names(manifest)
        rows = []
        for tx_hash, tx in get_transactions(rpc, wanted - known).items():
            target = (tx.get("to") or "").lower() or None
            selector = str(tx.get("input", "0x"))[2:10].lower()
            rows.append(
                {
                    "hash": tx_hash,
                    "block_number": int(tx["blockNumber"], 16),
                    "tx_index": int(tx["transactionIndex"], 16),
                    "sender": str(tx["from"]).lower(),
                    "target": target,
                    "function": functions.get(target or "", {}).get(selector),
                }
            )
        return rows

    # The background loop of a running explorer.

    def start(self, poll_seconds: float) -> None:
        if poll_seconds <= 0 or self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.run_once()
                    self.last_error = None
                except Exception as exc:
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("indexing failed, retrying: %s", self.last_error)
                self._stop.wait(poll_seconds)

        self._thread = threading.Thread(target=loop, name="explorer-indexer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None


def _insert_sql(engine: Engine, table: str, columns: list[str]) -> str:
    """The table's and columns' names are this module's own constants, never input."""
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608


def _function_names(manifest: DeploymentManifest) -> dict[str, dict[str, str]]:
    """Contract address -> 4-byte selector (hex) -> function name: a transaction's function
    without decoding its arguments (a batch's calldata is large)."""
    return {
        c.address.lower(): {
            keccak256(signature(e).encode()).hex()[:8]: e["name"]
            for e in c.abi
            if e.get("type") == "function"
        }
        for c in manifest.contracts.values()
    }


def _dumps(args: dict[str, object]) -> str:
    try:
        return orjson.dumps(args).decode()
    except TypeError:  # integers beyond 64 bits (uint256 values): the standard library's json
        return json.dumps(args)


def _key(value: object) -> str | None:
    """Subjects and scopes as stored: hex in lower case, codes as they are, numbers as text."""
    if value is None:
        return None
    text = str(value)
    return text.lower() if text.startswith("0x") else text
