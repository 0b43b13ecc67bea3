"""The outbox sender: one nonce stream per signer, exactly once across crashes.

As Hyperledger FireFly's transaction manager does, nonces are assigned *at source*: a round takes
the signer's pending writes in outbox order, plans them into transactions (``chain/planning``),
signs them with the next nonces and commits the signed bytes, the writes' placements (transaction,
call index, leaf, root; a batch's leaves once) and their new state *before* anything is sent. Sending (JSON-RPC
batches) and settling by receipts (:mod:`.receipts`) follow. After a crash the committed
transactions are sent again byte for byte: the chain accepts each nonce once, so every write
lands exactly once.

Answers to a send are classified (:mod:`.refusals`): a transaction refused for good fails its
writes with the reason and gives its nonce back, and the signer goes on with its next writes; a
nonce taken by another transaction re-plans its writes; an unreachable node is retried with
backoff. A lease row (:mod:`.lease`) keeps one active sender per signer across processes; a
store that is behind the chain (restored from a backup) is reconciled first (:mod:`.recovery`).

(Over 400 lines: a round's steps, lease to settlement, are one state machine over one signer's
rows; planning, receipts, recovery and refusals are their own modules already.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from sqlalchemy import Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from registry_api.chain import directory, outbox
from registry_api.chain.idle import IdleBackoff
from registry_api.chain.planning import Limits, TxPlan, plan_round
from registry_api.chain.planning.domains import PLANNERS, WRITE_COLUMNS, load_all
from registry_api.chain.sender import receipts, recovery
from registry_api.chain.sender.lease import Lease, LeaseLostError, aware
from registry_api.chain.sender.nonces import NonceBook
from registry_api.chain.sender.refusals import Refusal
from registry_api.chain.sender.transmit import Answer, Outgoing, send_all
from registry_api.chain.signing import FastSigner
from registry_api.core.db import session_scope
from registry_api.metrics.definitions import ANCHORING
from registry_api.models.tables import ChainTx, Write
from registry_core.errors import RpcConnectionError, RpcError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient

log = logging.getLogger(__name__)

PENDING_FETCH = 5000
FILLER = "self"  # target of a transaction that only fills a nonce gap (to the signer itself)
BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)
IDLE_FAST = 0.05  # the wait after the first idle round (then doubling, see chain/idle.py)


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
        limits: Limits | None = None,
        resend_after: float = 3.0,
        lease_seconds: float = 6.0,
        owner: str | None = None,
        idle_seconds: float = 2.0,
    ) -> None:
        self.engine = engine
        self.read_engine = read_engine or engine
        self.rpc = RpcClient(rpc_url, timeout=30.0)
        self.manifest_loader = manifest_loader
        self.account = account
        self.address: str = account.address
        self.limits = limits or Limits()
        self.resend_after = resend_after
        self.lease = Lease(engine=engine, signer=self.address, seconds=lease_seconds, owner=owner)
        self.wake = threading.Event()
        self.idle = IdleBackoff(IDLE_FAST, idle_seconds)
        self.nonces = NonceBook(self.address)
        self._fast: FastSigner | None = None
        # Highest nonce this signer's transactions were seen mined at (None: ask the store).
        self._mined_nonce: int | None = None
        self._failures = 0
        # tx hash -> acceptance times of its writes, for the anchoring latency (this sender's
        # own transactions only: after a takeover or a restart they are not observed).
        self._accepted: dict[str, list[datetime]] = {}

    @property
    def owner(self) -> str:
        return self.lease.owner

    # ---- loop ------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if self.lease.due:
                    held, taken_over = self.lease.hold()
                    if taken_over:
                        self._forget()
                    if not held:
                        stop.wait(1.0)
                        continue
                busy = self.step()
                self._recovered()
            except LeaseLostError as exc:
                log.warning("%s", exc)
                self.lease.lost()
                self._forget()
                continue
            except (RpcConnectionError, RpcError, OperationalError) as exc:
                self._back_off(stop, exc)
                continue
            except Exception:
                log.exception("sender %s: round failed; retrying", self.address)
                self._back_off(stop, None)
                continue
            if busy:
                self.idle.busy()
            elif self.wake.wait(self.idle.idle()):
                self.wake.clear()
                self.idle.busy()
        self.rpc.close()

    def _back_off(self, stop: threading.Event, exc: Exception | None) -> None:
        """The node or the store does not answer: one line when it starts, then wait longer."""
        pause = BACKOFF[min(self._failures, len(BACKOFF) - 1)]
        if exc is not None and self._failures == 0:
            log.warning(
                "sender %s: %s; retrying with backoff", self.address, str(exc).splitlines()[0]
            )
        self._failures += 1
        self._forget()
        stop.wait(pause)

    def _recovered(self) -> None:
        if self._failures:
            log.info("sender %s: the node and the store answer again", self.address)
            self._failures = 0

    def _forget(self) -> None:
        """Another sender may have used the signer meanwhile: re-read nonces from the store (and
        stop timing the transactions sent so far: another sender may settle them)."""
        self.nonces.forget()
        self._mined_nonce = None
        self._accepted.clear()

    def step(self) -> bool:
        """One round: settle sent transactions, then sign and send new ones. True if busy."""
        manifest = self.manifest_loader()
        in_flight = self._reconcile(manifest)
        sent = self._submit_new(manifest)
        return sent > 0 or in_flight > 0

    # ---- receipts, resends, lost blocks ----------------------------------------------------

    def _reconcile(self, manifest: DeploymentManifest) -> int:
        with Session(self.read_engine) as session:
            open_txs = receipts.open_transactions(session, self.address)
        # The account's nonce rides in the first batch of receipt queries: one round trip.
        answers: list[Any] = []
        nonce_call = ("eth_getTransactionCount", [self.address, "latest"])
        for start in range(0, max(len(open_txs), 1), 200):
            chunk = open_txs[start : start + 200]
            calls = [("eth_getTransactionReceipt", [tx.tx_hash]) for tx in chunk]
            answers += self.rpc.batch([nonce_call, *calls] if start == 0 else calls)
        nonce_answer = answers.pop(0)
        if isinstance(nonce_answer, RpcError):
            raise nonce_answer
        self._reopen_lost(int(str(nonce_answer), 16))
        if not open_txs:
            return 0
        done: list[tuple[Any, dict[str, Any]]] = []
        resend: list[Any] = []
        now = datetime.now(UTC)
        for tx, receipt in zip(open_txs, answers, strict=True):
            if isinstance(receipt, dict):
                done.append((tx, receipt))
            elif tx.sent_at is None or (now - aware(tx.sent_at)).total_seconds() > (
                self.resend_after
            ):
                resend.append(tx)
        if done:
            settlement = receipts.settle(self.rpc, manifest, self.address, done)
            with session_scope(self.engine) as session:
                receipts.store_settlement(session, settlement)
            if self._mined_nonce is not None:
                self._mined_nonce = max(self._mined_nonce, *(tx.nonce for tx, _ in done))
            self._observe_anchoring(done)
        if resend:
            outgoing = [Outgoing(tx.nonce, tx.raw, tx.tx_hash) for tx in resend if tx.raw]
            self._act(manifest, send_all(self.rpc, outgoing), resend=True)
        return len(open_txs) - len(done)

    def _observe_anchoring(self, done: Sequence[tuple[Any, dict[str, Any]]]) -> None:
        now = datetime.now(UTC)
        for tx, receipt in done:
            accepted = self._accepted.pop(tx.tx_hash, ())
            if receipt.get("status") == "0x1":
                for moment in accepted:
                    ANCHORING.observe((now - aware(moment)).total_seconds())

    def _reopen_lost(self, chain_nonce: int) -> None:
        """Asked every round, so the store is read only when the answer can be yes: once the
        chain's nonce is not above the highest nonce seen mined (kept in memory)."""
        if self._mined_nonce is None:
            with Session(self.read_engine) as session:
                self._mined_nonce = receipts.highest_mined(session, self.address)
        if self._mined_nonce is None or self._mined_nonce < chain_nonce:
            return
        self._mined_nonce = None  # re-read after the reopening below
        if receipts.reopen_lost(self.engine, self.address, chain_nonce):
            self.nonces.forget()

    # ---- new writes ------------------------------------------------------------------------

    def _pending(self, session: Session) -> list[Any]:
        # Plain rows, not ORM objects: the sender's hot path.
        return list(
            session.execute(
                select(*WRITE_COLUMNS)
                .where(col(Write.signer) == self.address)
                .where(col(Write.tx_id).is_(None))  # through ix_write_open
                .where(col(Write.status) == "pending")
                .order_by(col(Write.seq))
                .limit(PENDING_FETCH)
            ).all()
        )

    def _load_nonces(self, session: Session, manifest: DeploymentManifest) -> None:
        chain_nonce = self.rpc.nonce(self.address, "latest")
        self.nonces.load(session, chain_nonce)
        if recovery.store_behind_chain(session, self.address, chain_nonce):
            recovery.reconcile(
                engine=self.engine,
                rpc=self.rpc,
                manifest=manifest,
                signer=self.address,
                chain_nonce=chain_nonce,
            )
            with Session(self.read_engine) as fresh:
                self.nonces.load(fresh, chain_nonce)

    def _submit_new(self, manifest: DeploymentManifest) -> int:
        """Plan and sign outside any write transaction, then persist all of it in one short one."""
        with Session(self.read_engine) as session:
            if not self.nonces.known:
                self._load_nonces(session, manifest)
            writes = self._pending(session)
            if not writes and not self.nonces.gaps:
                return 0
            loaded = load_all(session, writes)
        plans = plan_round(
            writes, planners=PLANNERS, loaded=loaded, manifest=manifest, limits=self.limits
        )
        # A gap left by a transaction refused for good, with accepted transactions waiting behind
        # it in the node's pool, is filled by a transaction that does nothing (so no write runs
        # before the writes of those transactions); the writes get the nonces after them.
        gaps = self.nonces.gaps
        plans = [_filler() for _ in gaps] + plans
        nonces = self.nonces.take(len(plans))
        rows = self._sign(manifest, plans, nonces)
        self._persist(plans, rows)
        self.nonces.commit(nonces)
        created = {w.seq: w.created_at for w in writes}
        for plan, row in zip(plans, rows, strict=True):
            self._accepted[row["tx_hash"]] = [created[p.seq] for p in plan.placements]
        # Committed: from here on a crash only means "send the same bytes again".
        outgoing = [Outgoing(row["nonce"], row["raw"], row["tx_hash"]) for row in rows]
        self._act(manifest, send_all(self.rpc, outgoing), resend=False)
        return len(plans)

    def _sign(
        self, manifest: DeploymentManifest, plans: Sequence[TxPlan], nonces: Sequence[int]
    ) -> list[dict[str, Any]]:
        if self._fast is None:
            self._fast = FastSigner(self.account, self.rpc.chain_id())
        now = datetime.now(UTC)
        rows: list[dict[str, Any]] = []
        for plan, nonce in zip(plans, nonces, strict=True):
            to = self.address if plan.target == FILLER else manifest.address(plan.target)
            raw = self._fast.sign(to=to, data=plan.data, nonce=nonce, gas=plan.gas)
            rows.append(
                {
                    "signer": self.address,
                    "nonce": nonce,
                    "target": plan.target,
                    "function": plan.function,
                    "raw": raw.hex(),
                    "tx_hash": "0x" + keccak(raw).hex(),
                    "status": "sent",
                    "source": "store",
                    "leaf_count": plan.leaf_count,
                    "gas_limit": plan.gas,
                    "block_number": None,
                    "gas_used": None,
                    "sent_at": now,
                    "created_at": now,
                }
            )
        return rows

    def _persist(self, plans: Sequence[TxPlan], rows: list[dict[str, Any]]) -> None:
        tx_table = ChainTx.__table__  # type: ignore[attr-defined]
        write_table = Write.__table__  # type: ignore[attr-defined]
        with session_scope(self.engine) as session:
            self.lease.fence(session)
            tx_ids = list(
                session.execute(
                    insert(tx_table).returning(tx_table.c.id, sort_by_parameter_order=True),
                    rows,
                ).scalars()
            )
            updates = [
                {
                    "w_seq": p.seq,  # the primary key: no lookup via the id index
                    "w_tx": tx_id,
                    "w_call": p.call_index,
                    "w_leaf": "0x" + p.leaf.hex() if p.leaf is not None else None,
                    "w_root": "0x" + p.root.hex() if p.root is not None else None,
                }
                for plan, tx_id in zip(plans, tx_ids, strict=True)
                for p in plan.placements
            ]
            if updates:
                session.execute(
                    update(write_table)
                    .where(write_table.c.seq == bindparam("w_seq"))
                    .values(
                        status="submitted",
                        tx_id=bindparam("w_tx"),
                        call_index=bindparam("w_call"),
                        leaf=bindparam("w_leaf"),
                        merkle_root=bindparam("w_root"),
                    ),
                    updates,
                )
            outbox.store_batches(
                session, outbox.batch_leaves(p for plan in plans for p in plan.placements)
            )

    # ---- acting on the answers -------------------------------------------------------------

    def _act(
        self, manifest: DeploymentManifest, answers: Sequence[Answer], *, resend: bool
    ) -> None:
        taken: list[Answer] = []
        refused: list[tuple[Answer, str]] = []
        rejected = [a for a in answers if a.refusal is Refusal.REJECTED]
        if rejected:
            # -32003 without a node message: a refusal of the sender only if the chain says so.
            why = directory.account_standing(self.rpc, manifest, self.address).refusal()
            for answer in rejected:
                if why:
                    refused.append((answer, why))
                else:
                    log.warning(
                        "sender %s: nonce %d rejected although the account is permitted (%s); "
                        "sending again later",
                        self.address,
                        answer.tx.nonce,
                        answer.error.message if answer.error else "",
                    )
        for answer in answers:
            if answer.refusal is Refusal.NONCE_TAKEN:
                taken.append(answer)
            elif answer.refusal is Refusal.REFUSED:
                refused.append((answer, ""))
            elif answer.refusal in (Refusal.TRANSIENT, Refusal.NONCE_BUSY):
                log.info(
                    "sender %s: nonce %d not accepted yet (%s); sending again later",
                    self.address,
                    answer.tx.nonce,
                    answer.error.message if answer.error else answer.refusal,
                )
        if not (taken or refused or resend):
            return
        with session_scope(self.engine) as session:
            self.lease.fence(session)
            if resend:
                tx_table = ChainTx.__table__  # type: ignore[attr-defined]
                session.execute(
                    update(tx_table)
                    .where(tx_table.c.tx_hash == bindparam("h"))
                    .values(sent_at=datetime.now(UTC)),
                    [{"h": a.tx.tx_hash} for a in answers],
                )
            if taken:
                self._replace(session, taken)
            if refused:
                self._refuse(session, refused)
        if refused or taken:
            self.nonces.forget()
            for answer in [*taken, *(a for a, _ in refused)]:
                self._accepted.pop(answer.tx.tx_hash, None)  # never anchored under this hash

    def _replace(self, session: Session, taken: Sequence[Answer]) -> None:
        """A nonce taken by another transaction: this one can never be mined; plan it again."""
        for answer in taken:
            if self.rpc.receipt(answer.tx.tx_hash) is not None:
                continue  # it is ours, mined: the next round settles it
            log.warning(
                "sender %s: nonce %d was used elsewhere; planning its writes again",
                self.address,
                answer.tx.nonce,
            )
            tx_id = session.execute(
                select(col(ChainTx.id)).where(col(ChainTx.tx_hash) == answer.tx.tx_hash)
            ).scalar_one()
            session.execute(
                update(ChainTx).where(col(ChainTx.id) == tx_id).values(status="replaced")
            )
            receipts.plan_again(session, col(Write.tx_id) == tx_id)

    def _refuse(self, session: Session, refused: Sequence[tuple[Answer, str]]) -> None:
        """Refused for good: the writes fail with the reason, the nonce is free again."""
        for answer, why in refused:
            error = answer.error
            said = f"JSON-RPC {error.code}: {error.message}" if error is not None else "refused"
            reason = f"the chain refused the transaction ({said})" + (f": {why}" if why else "")
            log.warning("sender %s: nonce %d: %s", self.address, answer.tx.nonce, reason)
            tx_id = session.execute(
                select(col(ChainTx.id)).where(col(ChainTx.tx_hash) == answer.tx.tx_hash)
            ).scalar_one()
            session.execute(
                update(Write)
                .where(col(Write.tx_id) == tx_id)
                .values(status="failed", error=reason[:500], tx_id=None, call_index=None)
            )
            session.execute(delete(ChainTx).where(col(ChainTx.id) == tx_id))


def _filler() -> TxPlan:
    """A transaction that only uses up a nonce (to the signer itself, no data)."""
    return TxPlan(target=FILLER, function="fill", data=b"", gas=21_000)
