"""The outbox sender: one nonce stream per department signer, exactly once across crashes.

As Hyperledger FireFly's transaction manager does, nonces are assigned *at source*: a round takes
the pending writes of one signer in order, groups them into transactions (new versions of
batch-mode records -> one ``anchorBatch`` per register with a Merkle root; everything else -> its
single call), signs them with consecutive nonces and commits the signed bytes together with the
writes' new state *before* anything is sent. Sending (JSON-RPC batches of raw transactions) and
receipt polling follow. After a crash the committed transactions are simply sent again with the
same bytes: the chain accepts each nonce once, so every write lands exactly once.

The chain losing blocks (embedded chain killed) is detected by the account's on-chain nonce: a
transaction we believed mined whose nonce is not below the account's transaction count is sent
again. A lease row makes sure that only one sender per signer is active (a sender that loses its
lease stops before signing).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from sqlalchemy import Engine, bindparam, func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from registry_api.chain import hub
from registry_api.chain.signing import FastSigner
from registry_api.core.db import session_scope
from registry_api.models.tables import ChainTx, RecordVersion, Register, SenderLease, Write
from registry_core.errors import RegistryCoreError, RpcError
from registry_core.manifest import DeploymentManifest
from registry_core.merkle import MerkleTree
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer, explain_revert

log = logging.getLogger(__name__)

RPC_CHUNK = 200
PENDING_FETCH = 5000
# Gas of a tryEach beyond its calls' own limits: the transaction, and a delegatecall per call.
GROUP_GAS = 50_000
CALL_GAS = 10_000
WRITE_COLUMNS: tuple[Any, ...] = (
    Write.seq,
    Write.id,
    Write.kind,
    Write.mode,
    Write.register_id,
    Write.record_id,
    Write.version_index,
    Write.erasure_reason,
    Write.merkle_root,
    Write.proof,
)
OPEN_TX_COLUMNS: tuple[Any, ...] = (
    ChainTx.id,
    ChainTx.function,
    ChainTx.nonce,
    ChainTx.raw,
    ChainTx.tx_hash,
    ChainTx.sent_at,
)
VERSION_COLUMNS: tuple[Any, ...] = (
    RecordVersion.record_id,
    RecordVersion.version_index,
    RecordVersion.content_hash,
    RecordVersion.previous_hash,
    RecordVersion.anchored_status,
    RecordVersion.write_id,
)


class LeaseLostError(RegistryCoreError):
    """Another sender holds this signer's lease."""


def process_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_dead(owner: str) -> bool:
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
    return False


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class _Plan:
    function: str
    data: bytes
    writes: list[Any]  # rows of WRITE_COLUMNS
    leaves: dict[str, bytes] = field(default_factory=dict)  # write id -> leaf
    root: bytes | None = None
    tree: MerkleTree | None = None
    gas: int | None = None  # set for a group of calls; else hub.GAS of the function


class Sender:
    """Sends one signer's outbox; run :meth:`run` in its own thread."""

    def __init__(
        self,
        *,
        engine: Engine,
        rpc_url: str,
        manifest_loader: Callable[[], DeploymentManifest],
        account: LocalAccount,
        read_engine: Engine | None = None,
        max_batch_leaves: int = 1024,
        max_calls_per_tx: int = 64,
        max_txs_per_round: int = 200,
        resend_after: float = 3.0,
        lease_seconds: float = 15.0,
        owner: str | None = None,
    ) -> None:
        self.engine = engine
        self.read_engine = read_engine or engine
        self.rpc = RpcClient(rpc_url, timeout=30.0)
        self.manifest_loader = manifest_loader
        self.signer = Signer(account, self.rpc)
        self.address = self.signer.address
        self.max_batch_leaves = max_batch_leaves
        self.max_calls_per_tx = max_calls_per_tx
        self.max_txs_per_round = max_txs_per_round
        self.resend_after = resend_after
        self.lease_seconds = lease_seconds
        self.owner = owner or process_owner()
        self.wake = threading.Event()
        self._fast: FastSigner | None = None
        self._next_nonce: int | None = None
        # Highest nonce this signer's transactions were seen mined at (None: ask the store).
        self._mined_nonce: int | None = None
        self._lease_until = 0.0

    # ---- lease -----------------------------------------------------------------------------

    def hold_lease(self) -> bool:
        """Take or renew the lease; False while another live sender holds it."""
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=self.lease_seconds)
        with session_scope(self.engine) as session:
            lease = session.get(SenderLease, self.address)
            if lease is None:
                session.add(SenderLease(signer=self.address, owner=self.owner, expires_at=expires))
            elif (
                lease.owner == self.owner
                or _aware(lease.expires_at) < now
                or _owner_dead(lease.owner)
            ):
                if lease.owner != self.owner:
                    log.info("sender %s takes over the lease from %s", self.address, lease.owner)
                    self._forget()
                lease.owner = self.owner
                lease.expires_at = expires
                session.add(lease)
            else:
                return False
        self._lease_until = time.monotonic() + self.lease_seconds / 3
        return True

    def release_lease(self) -> None:
        with session_scope(self.engine) as session:
            lease = session.get(SenderLease, self.address)
            if lease is not None and lease.owner == self.owner:
                session.delete(lease)

    def _check_lease(self, session: Session) -> None:
        """Fence: inside the signing transaction, the lease must still be ours."""
        result = session.execute(
            update(SenderLease)
            .where(col(SenderLease.signer) == self.address)
            .where(col(SenderLease.owner) == self.owner)
            .values(expires_at=datetime.now(UTC) + timedelta(seconds=self.lease_seconds))
        )
        if getattr(result, "rowcount", 0) != 1:
            raise LeaseLostError(f"sender {self.owner} lost the lease of {self.address}")

    def _forget(self) -> None:
        """Another sender may have used the signer meanwhile: re-read nonces from the store."""
        self._next_nonce = None
        self._mined_nonce = None

    # ---- loop ------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if time.monotonic() > self._lease_until and not self.hold_lease():
                    stop.wait(1.0)
                    continue
                busy = self.step()
            except LeaseLostError as exc:
                log.warning("%s", exc)
                self._lease_until = 0.0
                self._forget()
                continue
            except Exception:
                log.exception("sender %s: round failed; retrying", self.address)
                stop.wait(1.0)
                continue
            if not busy:
                self.wake.wait(0.05)
                self.wake.clear()
        self.rpc.close()

    def step(self) -> bool:
        """One round: reconcile sent transactions, then sign and send new ones. True if busy."""
        manifest = self.manifest_loader()
        in_flight = self._reconcile(manifest)
        sent = self._submit_new(manifest)
        return sent > 0 or in_flight > 0

    # ---- receipts, resends, lost blocks ----------------------------------------------------

    def _reconcile(self, manifest: DeploymentManifest) -> int:
        with Session(self.read_engine) as session:
            open_txs = session.execute(
                sa_select(*OPEN_TX_COLUMNS)
                .where(col(ChainTx.signer) == self.address)
                .where(col(ChainTx.status) == "sent")
                .order_by(col(ChainTx.nonce))
                .limit(5000)
            ).all()
        # The account's nonce rides in the first batch of receipt queries: one round trip.
        receipts: list[Any] = []
        nonce_call = ("eth_getTransactionCount", [self.address, "latest"])
        for start in range(0, max(len(open_txs), 1), RPC_CHUNK):
            chunk = open_txs[start : start + RPC_CHUNK]
            calls = [("eth_getTransactionReceipt", [tx.tx_hash]) for tx in chunk]
            receipts += self.rpc.batch([nonce_call, *calls] if start == 0 else calls)
        nonce_answer = receipts.pop(0)
        if isinstance(nonce_answer, RpcError):
            raise nonce_answer
        self._reopen_lost(int(str(nonce_answer), 16))
        if not open_txs:
            return 0
        done: list[tuple[Any, dict[str, Any]]] = []
        resend: list[Any] = []
        now = datetime.now(UTC)
        for tx, receipt in zip(open_txs, receipts, strict=True):
            if isinstance(receipt, dict):
                done.append((tx, receipt))
            elif tx.sent_at is None or (now - _aware(tx.sent_at)).total_seconds() > (
                self.resend_after
            ):
                resend.append(tx)
        if done:
            self._record_receipts(manifest, done)
        if resend:
            self._send([(tx.nonce, tx.raw, tx.tx_hash) for tx in resend], resend=True)
        return len(open_txs) - len(done)

    def _reopen_lost(self, chain_nonce: int) -> None:
        """Transactions we saw mined but whose nonce the chain no longer counts: send again.

        Asked every round, so the store is read only when the answer can be yes: once the chain's
        nonce is not above the highest nonce seen mined (kept in memory).
        """
        if self._mined_nonce is None:
            with Session(self.read_engine) as session:
                self._mined_nonce = session.exec(
                    select(func.max(ChainTx.nonce))
                    .where(ChainTx.signer == self.address)
                    .where(col(ChainTx.status).in_(["mined", "failed"]))
                ).one()
        if self._mined_nonce is None or self._mined_nonce < chain_nonce:
            return
        self._mined_nonce = None  # re-read after the reopening below
        lost_query = (
            select(ChainTx)
            .where(ChainTx.signer == self.address)
            .where(col(ChainTx.status).in_(["mined", "failed"]))
            .where(col(ChainTx.nonce) >= chain_nonce)
        )
        with session_scope(self.engine) as session:
            lost = session.exec(lost_query).all()
            if not lost:
                return
            log.warning(
                "sender %s: %d transaction(s) from nonce %d are no longer on chain; resending",
                self.address,
                len(lost),
                chain_nonce,
            )
            ids = [tx.id for tx in lost]
            for tx in lost:
                tx.status = "sent"
                tx.sent_at = None
                tx.block_number = None
                session.add(tx)
            session.execute(
                update(Write)
                .where(col(Write.tx_id).in_(ids))
                .values(status="submitted", anchored_at=None, error=None)
            )

    def _record_receipts(
        self, manifest: DeploymentManifest, done: list[tuple[Any, dict[str, Any]]]
    ) -> None:
        now = datetime.now(UTC)
        tx_rows: list[dict[str, Any]] = []
        write_rows: list[dict[str, Any]] = []
        failed_calls: dict[int, dict[int, str]] = {}  # tx id -> call index -> reason
        for tx, receipt in done:
            ok = int(receipt["status"], 16) == 1
            if ok and tx.function == "tryEach":
                failures = self._failed_calls(manifest, receipt)
                if failures:
                    failed_calls[tx.id] = failures
            tx_rows.append(
                {
                    "t_id": tx.id,
                    "t_status": "mined" if ok else "failed",
                    "t_block": int(receipt["blockNumber"], 16),
                    "t_gas": int(receipt["gasUsed"], 16),
                }
            )
            write_rows.append(
                {
                    "t_id": tx.id,
                    "w_status": "anchored" if ok else "failed",
                    "w_at": now if ok else None,
                    "w_error": None if ok else self._revert_reason(manifest, tx),
                }
            )
        tx_table = ChainTx.__table__  # type: ignore[attr-defined]
        write_table = Write.__table__  # type: ignore[attr-defined]
        with session_scope(self.engine) as session:
            session.execute(
                update(tx_table)
                .where(tx_table.c.id == bindparam("t_id"))
                .values(
                    status=bindparam("t_status"),
                    block_number=bindparam("t_block"),
                    gas_used=bindparam("t_gas"),
                ),
                tx_rows,
            )
            session.execute(
                update(write_table)
                .where(write_table.c.tx_id == bindparam("t_id"))
                .values(
                    status=bindparam("w_status"),
                    anchored_at=bindparam("w_at"),
                    error=bindparam("w_error"),
                ),
                write_rows,
            )
            for tx_id, failures in failed_calls.items():
                # Call i of a group is the tx's i-th write in outbox order (as planned).
                seqs = session.execute(
                    sa_select(col(Write.seq))
                    .where(col(Write.tx_id) == tx_id)
                    .order_by(col(Write.seq))
                ).scalars()
                failed = [
                    {"w_seq": seq, "w_error": failures[index]}
                    for index, seq in enumerate(seqs)
                    if index in failures
                ]
                session.execute(
                    update(write_table)
                    .where(write_table.c.seq == bindparam("w_seq"))
                    .values(status="failed", anchored_at=None, error=bindparam("w_error")),
                    failed,
                )
        if self._mined_nonce is not None:
            self._mined_nonce = max(self._mined_nonce, *(tx.nonce for tx, _ in done))

    @staticmethod
    def _failed_calls(manifest: DeploymentManifest, receipt: dict[str, Any]) -> dict[int, str]:
        """The calls of a mined tryEach that reverted (BatchedCallFailed), with their errors."""
        interface = hub.interface(manifest)
        failures: dict[int, str] = {}
        for entry in receipt.get("logs", []):
            event = interface.decode_log(entry)
            if event is None or event.name != "BatchedCallFailed":
                continue
            decoded = interface.decode_error(bytes(event.args["revertData"]))
            what = decoded if decoded is not None else "0x" + bytes(event.args["revertData"]).hex()
            failures[int(event.args["index"])] = f"the call reverted: {what}"[:500]
        return failures

    def _revert_reason(self, manifest: DeploymentManifest, tx: Any) -> str:
        """Replay the call to name the contract's custom error (best effort)."""
        data = TypedTransaction.from_bytes(HexBytes(bytes.fromhex(tx.raw))).as_dict()["data"]
        interface = hub.interface(manifest)
        try:
            self.rpc.request(
                "eth_call",
                [{"from": self.address, "to": manifest.address(hub.HUB), "data": hub.hx(data)}],
            )
        except RpcError as exc:
            decoded = explain_revert(exc, interface)
            if decoded is not None:
                return f"the transaction reverted: {decoded}"[:500]
        return f"transaction {tx.tx_hash} reverted"

    # ---- new writes ------------------------------------------------------------------------

    def _next(self, session: Session) -> int:
        if self._next_nonce is None:
            db_max = session.exec(
                select(func.max(ChainTx.nonce)).where(ChainTx.signer == self.address)
            ).one()
            chain = self.rpc.nonce(self.address, "latest")
            self._next_nonce = max(chain, (db_max + 1) if db_max is not None else 0)
        return self._next_nonce

    def _submit_new(self, manifest: DeploymentManifest) -> int:
        """Plan and sign outside any write transaction, then persist all of it in one short one."""
        with Session(self.read_engine) as session:
            # Plain rows, not ORM objects: the sender's hot path.
            writes = session.execute(
                sa_select(*WRITE_COLUMNS)
                .where(col(Write.signer) == self.address)
                .where(col(Write.status) == "pending")
                .order_by(col(Write.seq))
                .limit(PENDING_FETCH)
            ).all()
            if not writes:
                return 0
            plans = self._plan(session, manifest, list(writes))
            first_nonce = self._next(session)
        now = datetime.now(UTC)
        hub_address = manifest.address(hub.HUB)
        tx_rows: list[dict[str, Any]] = []
        if self._fast is None:
            self._fast = FastSigner(self.signer.account, self.rpc.chain_id())
        for offset, plan in enumerate(plans):
            raw = self._fast.sign(
                to=hub_address, data=plan.data, nonce=first_nonce + offset, gas=self._gas(plan)
            )
            tx_rows.append(
                {
                    "signer": self.address,
                    "nonce": first_nonce + offset,
                    "function": plan.function,
                    "raw": raw.hex(),
                    "tx_hash": hub.hx(keccak(raw)),
                    "status": "sent",
                    "leaf_count": max(1, len(plan.leaves)),
                    "block_number": None,
                    "gas_used": None,
                    "sent_at": now,
                    "created_at": now,
                }
            )
        tx_table = ChainTx.__table__  # type: ignore[attr-defined]
        write_table = Write.__table__  # type: ignore[attr-defined]
        with session_scope(self.engine) as session:
            self._check_lease(session)
            tx_ids = list(
                session.execute(
                    insert(tx_table).returning(tx_table.c.id, sort_by_parameter_order=True),
                    tx_rows,
                ).scalars()
            )
            updates: list[dict[str, Any]] = []
            for plan, tx_id in zip(plans, tx_ids, strict=True):
                for write in plan.writes:
                    leaf = plan.leaves.get(write.id)
                    tree = plan.tree
                    updates.append(
                        {
                            "w_seq": write.seq,  # the primary key: no lookup via the id index
                            "w_tx": tx_id,
                            "w_leaf": hub.hx(leaf) if leaf is not None else None,
                            "w_root": hub.hx(tree.root) if tree is not None and leaf else None,
                            "w_proof": [hub.hx(p) for p in tree.proof(leaf)]
                            if tree is not None and leaf is not None
                            else None,
                        }
                    )
            session.execute(
                update(write_table)
                .where(write_table.c.seq == bindparam("w_seq"))
                .values(
                    status="submitted",
                    tx_id=bindparam("w_tx"),
                    leaf=bindparam("w_leaf"),
                    merkle_root=bindparam("w_root"),
                    proof=bindparam("w_proof"),
                ),
                updates,
            )
        self._next_nonce = first_nonce + len(plans)
        # Committed: from here on a crash only means "send the same bytes again".
        self._send([(row["nonce"], row["raw"], row["tx_hash"]) for row in tx_rows], resend=False)
        return len(plans)

    @staticmethod
    def _gas(plan: _Plan) -> int:
        if plan.gas is not None:
            return plan.gas
        if plan.function == "eraseBatchVersion":
            return hub.GAS[plan.function] + 10_000 * 12
        return hub.GAS[plan.function]

    def _plan(
        self, session: Session, manifest: DeploymentManifest, writes: list[Any]
    ) -> list[_Plan]:
        """Group writes (in order) into transactions, at most ``max_txs_per_round``."""
        versions: dict[tuple[str, int], Any] = {}
        record_ids = sorted({w.record_id for w in writes if w.record_id is not None})
        for start in range(0, len(record_ids), 500):
            rows = session.execute(
                sa_select(*VERSION_COLUMNS).where(
                    col(RecordVersion.record_id).in_(record_ids[start : start + 500])
                )
            ).all()
            versions.update({(v.record_id, v.version_index): v for v in rows})
        plans: list[_Plan] = []
        open_batches: dict[str, list[tuple[Any, bytes]]] = {}
        pending_leaf_writes: dict[str, str] = {}  # write id -> register of its open batch

        def flush(register_id: str) -> None:
            items = open_batches.pop(register_id, [])
            if not items:
                return
            tree = MerkleTree.of_leaves([leaf for _, leaf in items])
            plans.append(
                _Plan(
                    function="anchorBatch",
                    data=hub.encode(
                        manifest, "anchorBatch", hub.id32(register_id), tree.root, len(items)
                    ),
                    writes=[w for w, _ in items],
                    leaves={w.id: leaf for w, leaf in items},
                    root=tree.root,
                    tree=tree,
                )
            )
            for w, _ in items:
                pending_leaf_writes.pop(w.id, None)

        # Single-mode calls of the round share tryEach transactions (each call still on its own
        # on chain); a group of one is sent as the plain call.
        group: list[_Plan] = []

        def flush_group() -> None:
            if len(group) == 1:
                plans.append(group[0])
            elif group:
                plans.append(
                    _Plan(
                        function="tryEach",
                        data=hub.encode(manifest, "tryEach", [p.data for p in group]),
                        writes=[p.writes[0] for p in group],
                        gas=GROUP_GAS + sum(self._gas(p) + CALL_GAS for p in group),
                    )
                )
            group.clear()

        def single(plan: _Plan) -> None:
            group.append(plan)
            if len(group) >= self.max_calls_per_tx:
                flush_group()

        def budget_left() -> bool:
            return len(plans) + len(open_batches) + bool(group) < self.max_txs_per_round

        for write in writes:
            if not budget_left():
                break
            version = (
                versions.get((write.record_id, write.version_index))
                if write.record_id is not None and write.version_index is not None
                else None
            )
            if write.kind == "register":
                plans.append(self._register_plan(session, manifest, write))
                continue
            if version is None:
                raise RegistryCoreError(f"write {write.id} has no record version")
            if write.kind in ("create", "amend", "close") and write.mode == "batch":
                leaf = hub.batch_leaf(
                    register_id=write.register_id,
                    record_id=version.record_id,
                    version_index=version.version_index,
                    content_hash=version.content_hash,
                    previous_hash=version.previous_hash,
                    status=version.anchored_status,
                )
                batch = open_batches.setdefault(write.register_id, [])
                batch.append((write, leaf))
                pending_leaf_writes[write.id] = write.register_id
                if len(batch) >= self.max_batch_leaves:
                    flush(write.register_id)
                continue
            if write.kind == "erase" and write.mode == "batch":
                anchoring = next((w for w in writes if w.id == version.write_id), None)
                if anchoring is None:
                    anchoring = session.execute(
                        sa_select(*WRITE_COLUMNS).where(Write.id == version.write_id)
                    ).one()
                if anchoring.id in pending_leaf_writes:
                    flush(pending_leaf_writes[anchoring.id])
                single(self._erase_batch_plan(manifest, write, version, anchoring, plans))
                continue
            single(self._single_plan(manifest, write, version))
        for register_id in list(open_batches):
            flush(register_id)
        flush_group()
        return plans

    def _register_plan(self, session: Session, manifest: DeploymentManifest, write: Any) -> _Plan:
        register = session.get(Register, write.register_id)
        if register is None:
            raise RegistryCoreError(f"write {write.id}: register {write.register_id} is missing")
        data = hub.encode(
            manifest,
            "createRegister",
            hub.id32(register.id),
            register.name,
            hub.b32(register.schema_hash),
            hub.id32(register.department),
        )
        return _Plan(function="createRegister", data=data, writes=[write])

    @staticmethod
    def _single_plan(manifest: DeploymentManifest, write: Any, version: Any) -> _Plan:
        record = hub.b32(version.record_id)
        if write.kind == "create":
            function = "createRecord"
            data = hub.encode(
                manifest,
                function,
                hub.id32(write.register_id),
                record,
                hub.b32(version.content_hash),
            )
        elif write.kind in ("amend", "close"):
            function = "amendRecord" if write.kind == "amend" else "closeRecord"
            data = hub.encode(
                manifest,
                function,
                record,
                hub.b32(version.content_hash),
                hub.b32(version.previous_hash),
            )
        elif write.kind == "erase":
            function = "eraseVersion"
            data = hub.encode(
                manifest, function, record, version.version_index, write.erasure_reason or 0
            )
        else:
            raise RegistryCoreError(f"write {write.id} has unknown kind {write.kind!r}")
        return _Plan(function=function, data=data, writes=[write])

    @staticmethod
    def _erase_batch_plan(
        manifest: DeploymentManifest,
        write: Any,
        version: Any,
        anchoring: Any,
        plans: list[_Plan],
    ) -> _Plan:
        root_hex, proof_hex = anchoring.merkle_root, anchoring.proof
        if root_hex is None:
            # Anchored in a batch planned in this very round.
            for plan in plans:
                if plan.tree is not None and anchoring.id in plan.leaves:
                    leaf = plan.leaves[anchoring.id]
                    root_hex = hub.hx(plan.tree.root)
                    proof_hex = [hub.hx(p) for p in plan.tree.proof(leaf)]
        if root_hex is None or proof_hex is None:
            raise RegistryCoreError(f"write {write.id}: the version's batch is not known yet")
        batch_version = (
            hub.b32(version.record_id),
            version.version_index,
            hub.b32(version.content_hash),
            hub.b32(version.previous_hash),
            hub.STATUS_CODES[version.anchored_status],
        )
        data = hub.encode(
            manifest,
            "eraseBatchVersion",
            hub.b32(root_hex),
            [hub.b32(p) for p in proof_hex],
            batch_version,
            write.erasure_reason or 0,
        )
        return _Plan(function="eraseBatchVersion", data=data, writes=[write])

    # ---- sending ---------------------------------------------------------------------------

    def _send(self, txs: list[tuple[int, str, str]], *, resend: bool) -> None:
        """Send raw transactions (nonce, raw hex, hash) in JSON-RPC batches.

        'Already known' is fine. On a resend, 'nonce too low' without a receipt means the nonce
        went to another transaction: the writes are planned again.
        """
        stale: list[str] = []
        for start in range(0, len(txs), RPC_CHUNK):
            chunk = txs[start : start + RPC_CHUNK]
            answers = self.rpc.batch(
                [("eth_sendRawTransaction", ["0x" + raw]) for _, raw, _ in chunk]
            )
            for (nonce, _, tx_hash), answer in zip(chunk, answers, strict=True):
                if isinstance(answer, RpcError):
                    message = answer.message.lower()
                    if "already" in message or "known" in message:
                        continue
                    if "nonce too low" in message and resend:
                        stale.append(tx_hash)
                        continue
                    log.warning("sender %s: nonce %d: %s", self.address, nonce, answer.message)
        if not resend:
            return
        tx_table = ChainTx.__table__  # type: ignore[attr-defined]
        with session_scope(self.engine) as session:
            session.execute(
                update(tx_table)
                .where(tx_table.c.tx_hash == bindparam("h"))
                .values(sent_at=datetime.now(UTC)),
                [{"h": tx_hash} for _, _, tx_hash in txs],
            )
            if stale:
                self._requeue(session, stale)

    def _requeue(self, session: Session, stale: list[str]) -> None:
        """A nonce taken by another transaction: this one can never be mined; plan it again."""
        for tx_hash in stale:
            if self.rpc.receipt(tx_hash) is not None:
                continue
            tx = session.exec(select(ChainTx).where(ChainTx.tx_hash == tx_hash)).one()
            log.warning(
                "sender %s: nonce %d was used elsewhere; re-queueing", self.address, tx.nonce
            )
            tx.status = "replaced"
            session.add(tx)
            session.execute(
                update(Write)
                .where(col(Write.tx_id) == tx.id)
                .values(status="pending", tx_id=None, leaf=None, merkle_root=None, proof=None)
            )
