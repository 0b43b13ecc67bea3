"""Channel rows follow their outbox writes, and the worker settles channels before they expire.

A channel row moves ``opening → open`` when its opening write is anchored (``failed`` if the chain
refused it), takes a top-up's deposit and expiry once that write is anchored, and moves
``closing → closed`` when its settlement is anchored. :func:`refresh` makes those moves; anyone
who reads a row that waits on a write calls it (the API on a voucher, the settler each round).

:class:`ChannelSettler` runs in the worker (beside the senders): each round it reads the chain's
latest block time (the time ``PaymentChannels.settle`` judges by) and, for every open channel that
expires within ``CITY_API_CHANNEL_SETTLE_MARGIN_SECONDS``, enqueues one ``settle(…, close=true)``
with the highest voucher, signed by the channel department's own key. The move ``open → closing``
is a conditional update in the same transaction as the write (and only while the highest voucher is
the one read), so API processes and workers together settle a channel exactly once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from registry_api.chain import outbox
from registry_api.chain import payments as chain
from registry_api.chain.idle import IdleBackoff
from registry_api.models.payment_tables import PaymentChannelRow
from registry_api.models.tables import Write
from registry_core.manifest import DeploymentManifest
from registry_core.payments.types import CHANNELS_CONTRACT
from registry_core.rpc import RpcClient

log = logging.getLogger(__name__)


def _status(session: Session, write_id: str | None) -> tuple[str, str | None] | None:
    if write_id is None:
        return None
    row = session.execute(
        select(col(Write.status), col(Write.error)).where(col(Write.id) == write_id)
    ).first()
    return None if row is None else (str(row[0]), row[1])


def refresh(session: Session, row: PaymentChannelRow, *, now: int) -> PaymentChannelRow:
    """Apply what the chain did with the row's writes (commits if anything changed)."""
    changed = False
    if row.state == "opening":
        state = _status(session, row.open_write_id)
        if state and state[0] in outbox.SETTLED:
            row.state = "open" if state[0] == "anchored" else "failed"
            changed = True
    if row.topup_write_id is not None:
        state = _status(session, row.topup_write_id)
        if state and state[0] in outbox.SETTLED:
            if state[0] == "anchored":
                row.deposit += row.topup_amount or 0
                row.expires_at = max(row.expires_at, row.topup_expires_at or 0)
            row.topup_write_id = row.topup_amount = row.topup_expires_at = None
            changed = True
    if row.state == "closing":
        state = _status(session, row.settle_write_id)
        if state and state[0] in outbox.SETTLED:
            # A refused settlement (e.g. too late) leaves the deposit to the payer's reclaim.
            row.state = "closed" if state[0] == "anchored" else "failed"
            if state[0] == "anchored":
                row.settled_amount = row.accepted_amount
            changed = True
    if changed:
        row.updated_at = now
        session.add(row)
        session.commit()
    return row


def enqueue_settlement(
    session: Session, *, row: PaymentChannelRow, signer: str, manifest: DeploymentManifest, now: int
) -> str | None:
    """Settle and close ``row`` with its highest voucher, once; returns the write id (None if
    another process got there first or a newer voucher arrived meanwhile). Commits."""
    if row.accepted_signature is None or row.accepted_amount <= row.settled_amount:
        return None
    data = chain.encode(
        manifest, CHANNELS_CONTRACT, "settle", bytes.fromhex(row.channel_id[2:]),
        row.accepted_amount, bytes.fromhex(row.accepted_signature[2:]), True,
    )  # fmt: skip
    write = outbox.enqueue_call(
        session, department=row.department, signer=signer, target=CHANNELS_CONTRACT, data=data,
        gas=chain.SETTLE_GAS, kind="channel-settle", reference=row.channel_id,
    )  # fmt: skip
    moved = session.execute(
        update(PaymentChannelRow)
        .where(col(PaymentChannelRow.channel_id) == row.channel_id)
        .where(col(PaymentChannelRow.state) == "open")
        .where(col(PaymentChannelRow.accepted_amount) == row.accepted_amount)
        .values(state="closing", settle_write_id=write.id, updated_at=now)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return None
    session.commit()
    return write.id


class ChannelSettler:
    """The worker's settlement round (see the module docstring)."""

    def __init__(
        self,
        *,
        engine: Engine,
        rpc_url: str,
        manifest_loader: Callable[[], DeploymentManifest],
        signers: dict[str, str],  # department code -> address of its unlocked signing key
        margin_seconds: int,
        poll_seconds: float,
        wake: Callable[[str], None],
        idle_seconds: float = 2.0,
    ) -> None:
        self.engine = engine
        self.rpc_url = rpc_url
        self.manifest_loader = manifest_loader
        self.signers = signers
        self.margin_seconds = margin_seconds
        self.idle = IdleBackoff(poll_seconds, idle_seconds)
        self.wake = wake

    def run(self, stop: threading.Event) -> None:
        failing = False  # said once when the chain or the store stops answering, not each round
        with RpcClient(self.rpc_url, timeout=10.0) as rpc:
            while not stop.is_set():
                try:
                    if self.round(rpc):
                        self.idle.busy()
                except Exception as exc:  # the chain or the store may be away; try again
                    if not failing:
                        log.warning("channel settler: %s; retrying", str(exc).splitlines()[0])
                    failing = True
                else:
                    if failing:
                        log.info("channel settler: the node and the store answer again")
                    failing = False
                stop.wait(self.idle.idle())

    def round(self, rpc: RpcClient) -> int:
        """One pass; returns how many settlements it enqueued."""
        now = chain.head_time(rpc)
        enqueued = 0
        with Session(self.engine, expire_on_commit=False) as session:
            waiting = session.exec(
                select(PaymentChannelRow).where(col(PaymentChannelRow.state) == "closing")
            ).all()
            for row in waiting:
                refresh(session, row, now=now)
            due = session.exec(
                select(PaymentChannelRow)
                .where(col(PaymentChannelRow.state) == "open")
                .where(col(PaymentChannelRow.expires_at) <= now + self.margin_seconds)
                .limit(500)
            ).all()
            manifest = self.manifest_loader() if due else None
            for row in due:
                signer = self.signers.get(row.department)
                if signer is None or manifest is None:
                    continue  # not this worker's department
                if row.accepted_amount <= row.settled_amount:
                    session.execute(
                        update(PaymentChannelRow)
                        .where(col(PaymentChannelRow.channel_id) == row.channel_id)
                        .where(col(PaymentChannelRow.state) == "open")
                        .where(col(PaymentChannelRow.accepted_amount) == row.accepted_amount)
                        .values(state="expired", updated_at=now)
                    )  # nothing to settle: the payer reclaims the deposit after expiry
                    session.commit()
                    continue
                if enqueue_settlement(session, row=row, signer=signer, manifest=manifest, now=now):
                    enqueued += 1
                    self.wake(signer)
        return enqueued
