"""Settling sent transactions: receipts, calls that failed inside a tryEach, lost blocks.

A mined transaction settles its writes: anchored, or failed with the contract's custom error. In
a ``tryEach`` each write is settled by its own call (``BatchedCallFailed(index, …)`` names the
call by the index stored with the write). A call that failed without revert data inside a
``tryEach``, or a transaction that used all its gas, ran out of gas: its writes are planned again
(alone, with twice the gas; see ``planning.MAX_REPLANS``) instead of failing.

The chain losing blocks (the embedded chain killed) shows as the signer's on-chain nonce falling
below transactions seen mined: those are reopened and their same signed bytes sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes
from sqlalchemy import Engine, bindparam, func, select, update
from sqlmodel import Session, col

from registry_api.chain import contracts
from registry_api.chain.planning import MAX_REPLANS
from registry_api.core.db import session_scope
from registry_api.models.tables import ChainTx, Write
from registry_core.errors import ManifestError, RpcError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.transactions import explain_revert

log = logging.getLogger(__name__)

OPEN_TX_COLUMNS: tuple[Any, ...] = (
    ChainTx.id,
    ChainTx.target,
    ChainTx.function,
    ChainTx.nonce,
    ChainTx.raw,
    ChainTx.tx_hash,
    ChainTx.sent_at,
    ChainTx.gas_limit,
)
OUT_OF_GAS = "ran out of gas"


@dataclass
class Settlement:
    """What receipts decide, to be stored in one transaction."""

    txs: list[dict[str, Any]] = field(default_factory=list)  # chain_tx updates
    by_tx: list[dict[str, Any]] = field(default_factory=list)  # every write of a tx
    by_call: list[dict[str, Any]] = field(default_factory=list)  # one call of a tryEach
    replan_txs: list[int] = field(default_factory=list)  # every write of a tx, out of gas
    replan_calls: list[tuple[int, int]] = field(default_factory=list)  # (tx id, call index)


def open_transactions(session: Session, signer: str, limit: int = 5000) -> Sequence[Any]:
    return session.execute(
        select(*OPEN_TX_COLUMNS)
        .where(col(ChainTx.signer) == signer)
        .where(col(ChainTx.status) == "sent")
        .order_by(col(ChainTx.nonce))
        .limit(limit)
    ).all()


def failed_calls(
    manifest: DeploymentManifest, target: str, receipt: dict[str, Any]
) -> dict[int, str | None]:
    """The calls of a mined tryEach that reverted: index -> error (None: no revert data)."""
    interface = contracts.interface(manifest, target)
    failures: dict[int, str | None] = {}
    for entry in receipt.get("logs", []):
        event = interface.decode_log(entry)
        if event is None or event.name != "BatchedCallFailed":
            continue
        data = bytes(event.args["revertData"])
        if not data:
            failures[int(event.args["index"])] = None
            continue
        decoded = interface.decode_error(data)
        what = decoded if decoded is not None else "0x" + data.hex()
        failures[int(event.args["index"])] = f"the call reverted: {what}"[:500]
    return failures


def revert_reason(rpc: RpcClient, manifest: DeploymentManifest, tx: Any, signer: str) -> str:
    """Replay a reverted transaction's call to name the contract's custom error (best effort)."""
    data = TypedTransaction.from_bytes(HexBytes(bytes.fromhex(tx.raw))).as_dict()["data"]
    try:
        interface = contracts.interface(manifest, tx.target)
        to = manifest.address(tx.target)
    except ManifestError:
        return f"transaction {tx.tx_hash} reverted"
    try:
        rpc.request("eth_call", [{"from": signer, "to": to, "data": "0x" + bytes(data).hex()}])
    except RpcError as exc:
        decoded = explain_revert(exc, interface)
        if decoded is not None:
            return f"the transaction reverted: {decoded}"[:500]
    return f"transaction {tx.tx_hash} reverted"


def settle(
    rpc: RpcClient,
    manifest: DeploymentManifest,
    signer: str,
    done: Sequence[tuple[Any, dict[str, Any]]],
) -> Settlement:
    """Decide what the receipts of ``done`` (open tx row, receipt) mean for their writes."""
    now = datetime.now(UTC)
    out = Settlement()
    for tx, receipt in done:
        ok = int(receipt["status"], 16) == 1
        gas_used = int(receipt["gasUsed"], 16)
        out.txs.append(
            {
                "t_id": tx.id,
                "t_status": "mined" if ok else "failed",
                "t_block": int(receipt["blockNumber"], 16),
                "t_gas": gas_used,
            }
        )
        if not ok and tx.gas_limit is not None and gas_used >= tx.gas_limit:
            out.replan_txs.append(tx.id)
            continue
        out.by_tx.append(
            {
                "t_id": tx.id,
                "w_status": "anchored" if ok else "failed",
                "w_at": now if ok else None,
                "w_error": None if ok else revert_reason(rpc, manifest, tx, signer),
            }
        )
        if ok and tx.function == "tryEach":
            for index, error in failed_calls(manifest, tx.target, receipt).items():
                if error is None:
                    out.replan_calls.append((tx.id, index))
                else:
                    out.by_call.append({"t_id": tx.id, "c_index": index, "w_error": error})
    return out


def store_settlement(session: Session, settlement: Settlement) -> None:
    tx_table = ChainTx.__table__  # type: ignore[attr-defined]
    write_table = Write.__table__  # type: ignore[attr-defined]
    if settlement.txs:
        session.execute(
            update(tx_table)
            .where(tx_table.c.id == bindparam("t_id"))
            .values(
                status=bindparam("t_status"),
                block_number=bindparam("t_block"),
                gas_used=bindparam("t_gas"),
            ),
            settlement.txs,
        )
    if settlement.by_tx:
        session.execute(
            update(write_table)
            .where(write_table.c.tx_id == bindparam("t_id"))
            .values(
                status=bindparam("w_status"),
                anchored_at=bindparam("w_at"),
                error=bindparam("w_error"),
            ),
            settlement.by_tx,
        )
    if settlement.by_call:
        session.execute(
            update(write_table)
            .where(write_table.c.tx_id == bindparam("t_id"))
            .where(write_table.c.call_index == bindparam("c_index"))
            .values(status="failed", anchored_at=None, error=bindparam("w_error")),
            settlement.by_call,
        )
    for tx_id in settlement.replan_txs:
        _replan(session, col(Write.tx_id) == tx_id)
    for tx_id, index in settlement.replan_calls:
        _replan(session, (col(Write.tx_id) == tx_id) & (col(Write.call_index) == index))


def plan_again(session: Session, which: Any, **extra: Any) -> None:
    """The writes go back to pending, without their place in a transaction: planned anew."""
    session.execute(
        update(Write)
        .where(which)
        .values(
            status="pending",
            anchored_at=None,
            error=None,
            tx_id=None,
            call_index=None,
            leaf=None,
            merkle_root=None,
            **extra,
        )
    )


def _replan(session: Session, which: Any) -> None:
    """Out of gas: plan the writes again (alone, more gas), or fail them after MAX_REPLANS."""
    session.execute(
        update(Write)
        .where(which)
        .where(col(Write.replans) >= MAX_REPLANS)
        .values(
            status="failed",
            anchored_at=None,
            error=f"{OUT_OF_GAS} {MAX_REPLANS + 1} times (or reverted without a reason)",
        )
    )
    plan_again(session, which & (col(Write.replans) < MAX_REPLANS), replans=Write.replans + 1)


def reopen_lost(engine: Engine, signer: str, chain_nonce: int) -> int:
    """Transactions seen mined whose nonce the chain no longer counts: send again. Their count."""
    lost_query = (
        select(ChainTx)
        .where(col(ChainTx.signer) == signer)
        .where(col(ChainTx.source) == "store")
        .where(col(ChainTx.status).in_(["mined", "failed"]))
        .where(col(ChainTx.nonce) >= chain_nonce)
    )
    with session_scope(engine) as session:
        lost = list(session.execute(lost_query).scalars())
        if not lost:
            return 0
        log.warning(
            "sender %s: %d transaction(s) from nonce %d are no longer on chain; resending",
            signer,
            len(lost),
            chain_nonce,
        )
        for tx in lost:
            tx.status = "sent"
            tx.sent_at = None
            tx.block_number = None
            session.add(tx)
        session.execute(
            update(Write)
            .where(col(Write.tx_id).in_([tx.id for tx in lost]))
            .values(status="submitted", anchored_at=None, error=None)
        )
        return len(lost)


def highest_mined(session: Session, signer: str) -> int | None:
    return session.execute(
        select(func.max(ChainTx.nonce))
        .where(col(ChainTx.signer) == signer)
        .where(col(ChainTx.status).in_(["mined", "failed"]))
    ).scalar()
