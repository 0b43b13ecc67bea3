"""The event indexer: follows RegisterHub's events into the ``chain_*`` tables.

It reads only the chain (``eth_getLogs`` through the gateway) and keeps a cursor with the hash of
the last block it processed. If the chain no longer has that block (the embedded chain lost
blocks, or a reorg on a real network), it drops everything it derived and rebuilds from block 0;
:func:`rebuild` does the same on request (``registry index rebuild``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, delete
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from registry_api.chain import hub
from registry_api.chain.idle import IdleBackoff
from registry_api.chain.sender.lease import Lease
from registry_api.core.db import session_scope
from registry_api.models.tables import (
    CHAIN_DERIVED,
    ChainBatch,
    ChainBatchErasure,
    ChainRegister,
    ChainVersion,
    IndexerCursor,
)
from registry_core.abi import DecodedEvent
from registry_core.errors import RpcConnectionError, RpcError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient

log = logging.getLogger(__name__)

MAX_RANGE = 5000
INDEXER_LEASE = "indexer"  # its row in sender_lease (a name no signer address can take)


def rebuild(*, engine: Engine) -> None:
    """Forget all chain-derived state; the next :meth:`Indexer.step` starts again at block 0."""
    with session_scope(engine) as session:
        for table in CHAIN_DERIVED:
            session.execute(delete(table))


class Indexer:
    def __init__(
        self,
        *,
        engine: Engine,
        rpc_url: str,
        manifest_loader: Callable[[], DeploymentManifest],
        poll_seconds: float = 0.5,
        idle_seconds: float = 2.0,
        lease_seconds: float = 6.0,
    ) -> None:
        self.engine = engine
        self.rpc = RpcClient(rpc_url, timeout=30.0)
        self.manifest_loader = manifest_loader
        self.idle = IdleBackoff(poll_seconds, idle_seconds)
        # One indexer per store: replicas on one database would otherwise each read and write
        # the same events (double the work, no gain); another replica's takes over if it dies.
        self.lease = Lease(engine=engine, signer=INDEXER_LEASE, seconds=lease_seconds)

    def run(self, stop: threading.Event) -> None:
        failing = False  # the node or the store does not answer: said once, not every round
        while not stop.is_set():
            try:
                busy = self._holds() and self.step()
            except (RpcConnectionError, RpcError, OperationalError) as exc:
                if not failing:
                    log.warning("indexer: %s; retrying", str(exc).splitlines()[0])
                failing, busy = True, False
            except Exception:
                log.exception("indexer round failed; retrying")
                busy = False
            else:
                if failing:
                    log.info("indexer: the node and the store answer again")
                failing = False
            if busy:
                self.idle.busy()
            else:
                stop.wait(self.idle.idle())
        self.rpc.close()
        with contextlib.suppress(OperationalError):  # the store is gone: the lease just expires
            self.lease.release()

    def _holds(self) -> bool:
        """Take or renew the store's indexer lease when due; False while another holds it."""
        if self.lease.due:
            held, taken_over = self.lease.hold()
            if not held:
                return False
            if taken_over:
                log.info("indexer runs here (%s)", self.lease.owner)
        return True

    def _block_hash(self, number: int) -> str | None:
        block = self.rpc.request("eth_getBlockByNumber", [hex(number), False])
        return str(block["hash"]) if isinstance(block, dict) else None

    def step(self) -> bool:
        """Index the next range of blocks; True if there may be more right away."""
        manifest = self.manifest_loader()
        contract = manifest.contract(hub.HUB)
        head = self.rpc.block_number()
        with session_scope(self.engine) as session:
            cursor = session.get(IndexerCursor, contract.address)
            start = cursor.next_block if cursor else 0
            known_hash = cursor.last_block_hash if cursor else ""
        if start > 0 and known_hash and self._block_hash(start - 1) != known_hash:
            log.warning("indexer: block %d changed or vanished; rebuilding from block 0", start - 1)
            rebuild(engine=self.engine)
            return True
        if start > head:
            return False
        self.idle.busy()  # new blocks: the next ones may follow soon
        end = min(head, start + MAX_RANGE - 1)
        logs = self.rpc.get_logs(address=contract.address, from_block=start, to_block=end)
        end_hash = self._block_hash(end) or ""
        interface = hub.interface(manifest)
        # Decode before taking the write lock; inside, read the versions the events touch in
        # one query (instead of one per event): new ones are then simply added.
        events = [e for e in (interface.decode_log(entry) for entry in logs) if e is not None]
        with session_scope(self.engine) as session:
            # Locked (PostgreSQL), so a concurrent rebuild waits for this round to commit.
            cursor = session.get(IndexerCursor, contract.address, with_for_update=True)
            if (cursor.next_block if cursor else 0) != start:
                # A rebuild (or another indexer) moved the cursor while we read the logs:
                # applying them now would skip blocks. Start this round again.
                return True
            known = self._load_versions(session, events)
            for event in events:
                self._apply(session, event, known)
            cursor = cursor or IndexerCursor(contract=contract.address)
            cursor.next_block = end + 1
            cursor.last_block_hash = end_hash
            session.add(cursor)
        return end < head

    @staticmethod
    def _load_versions(
        session: Session, events: list[DecodedEvent]
    ) -> dict[tuple[str, int], ChainVersion | None]:
        """The stored versions the events name (and their predecessors); None if not stored."""
        keys: set[tuple[str, int]] = set()
        for event in events:
            if event.name in ("RecordVersionAnchored", "VersionErased"):
                record_id, index = hub.hx(event.args["recordId"]), int(event.args["versionIndex"])
                keys.add((record_id, index))
                if index > 0:
                    keys.add((record_id, index - 1))
        known: dict[tuple[str, int], ChainVersion | None] = dict.fromkeys(keys)
        record_ids = sorted({record_id for record_id, _ in keys})
        for start in range(0, len(record_ids), 500):
            rows = session.exec(
                select(ChainVersion).where(
                    col(ChainVersion.record_id).in_(record_ids[start : start + 500])
                )
            ).all()
            for row in rows:
                if (row.record_id, row.version_index) in known:
                    known[(row.record_id, row.version_index)] = row
        return known

    @staticmethod
    def _apply(
        session: Session,
        event: DecodedEvent,
        known: dict[tuple[str, int], ChainVersion | None] | None = None,
    ) -> None:
        args: dict[str, Any] = event.args
        block = int(event.log["blockNumber"], 16)
        tx_hash = str(event.log["transactionHash"])
        if event.name == "RegisterCreated":
            session.merge(
                ChainRegister(
                    register_id=hub.hx(args["registerId"]),
                    department=hub.hx(args["owningDepartment"]),
                    name=str(args["name"])[:64],
                    schema_hash=hub.hx(args["schemaHash"]),
                    block_number=block,
                    tx_hash=tx_hash,
                )
            )
        elif event.name == "RegisterSchemaUpdated":
            register = session.get(ChainRegister, hub.hx(args["registerId"]))
            if register is not None:
                register.schema_hash = hub.hx(args["schemaHash"])
                register.schema_version = int(args["schemaVersion"])
                session.add(register)
        elif event.name == "RecordVersionAnchored":
            record_id = hub.hx(args["recordId"])
            index = int(args["versionIndex"])
            version = ChainVersion(
                record_id=record_id,
                version_index=index,
                register_id=hub.hx(args["registerId"]),
                content_hash=hub.hx(args["contentHash"]),
                previous_hash=hub.hx(args["previousHash"]),
                status=hub.STATUS_NAMES[int(args["status"])],
                signer=str(args["signer"]),
                block_number=block,
                tx_hash=tx_hash,
            )
            if (
                known is not None
                and (record_id, index) in known
                and known[(record_id, index)] is None
            ):
                session.add(version)  # known not to be stored: no SELECT for merge()
                known[(record_id, index)] = version
            else:
                version = session.merge(version)
                if known is not None:
                    known[(record_id, index)] = version
            if index > 0:
                previous = (
                    known[(record_id, index - 1)]
                    if known is not None and (record_id, index - 1) in known
                    else session.get(ChainVersion, (record_id, index - 1))
                )
                if previous is not None and previous.status != "erased":
                    previous.status = "amended"
                    session.add(previous)
        elif event.name == "VersionErased":
            key = (hub.hx(args["recordId"]), int(args["versionIndex"]))
            erased = (
                known[key] if known is not None and key in known else session.get(ChainVersion, key)
            )
            if erased is not None:
                erased.status = "erased"
                erased.erasure_reason = int(args["reasonCode"])
                session.add(erased)
        elif event.name == "BatchAnchored":
            session.merge(
                ChainBatch(
                    merkle_root=hub.hx(args["merkleRoot"]),
                    register_id=hub.hx(args["registerId"]),
                    leaf_count=int(args["leafCount"]),
                    signer=str(args["signer"]),
                    block_number=block,
                    tx_hash=tx_hash,
                )
            )
        elif event.name == "BatchVersionErased":
            session.merge(
                ChainBatchErasure(
                    merkle_root=hub.hx(args["merkleRoot"]),
                    leaf=hub.hx(args["leaf"]),
                    record_id=hub.hx(args["recordId"]),
                    version_index=int(args["versionIndex"]),
                    reason=int(args["reasonCode"]),
                    block_number=block,
                    tx_hash=tx_hash,
                )
            )
