"""A store behind the chain (restored from a backup): reconcile from the chain, hold the rest.

When a signer's on-chain transaction count is past every nonce its store holds, transactions
were signed that this store does not know: the store was restored from a backup while the chain
moved on (or another installation used the key). The sender then never signs those nonces again
(its next nonce is past the chain's), and before planning it:

1. reads the signer's transactions from the chain, from the store's last known block of this
   signer (or the oldest pending write's time) to the head (``eth_getBlockByNumber`` in
   batches), and records each unknown one in ``chain_tx`` with ``source = 'chain'``;
2. matches the pending writes against them: a write whose call (planned on its own) is a call of
   such a transaction (inside a ``tryEach`` too) is settled from that transaction's receipt:
   anchored, or failed with the reason. Register writes of single-mode records, status changes,
   generic calls, batch issuances and lone credential issuances are found this way;
3. holds (``status = 'held'``) a pending write that may sit in an unknown Merkle batch the chain
   got after the write was accepted (same register or credential type): the leaves of a batch are
   not on chain, so it cannot be told; sending it again could anchor it twice. An operator
   releases or fails held writes (``registry outbox``);
4. logs what it found: the transactions matched, the writes held, and the transactions of this
   signer that the store knows nothing of (writes accepted after the backup): the recovery point.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, exists, func, insert, select, update
from sqlmodel import Session, col

from registry_api.chain import contracts, outbox
from registry_api.chain.planning import Limits
from registry_api.chain.planning.domains import BATCH_OF_ARGUMENT, WRITE_COLUMNS, plan_alone
from registry_api.chain.sender.lease import aware
from registry_api.chain.sender.receipts import failed_calls
from registry_api.core.db import session_scope
from registry_api.models.tables import ChainTx, Write
from registry_core.errors import RpcError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient

log = logging.getLogger(__name__)

# Clocks of the API host and of the chain's blocks may differ by this much.
CLOCK_MARGIN = timedelta(seconds=5)
MAX_SCAN_BLOCKS = 200_000
BLOCKS_PER_BATCH = 50
HELD_REASON = (
    "held: the store is behind the chain (restored from a backup?) and the chain got a batch of "
    "this register or credential type from this signer after the write was accepted, which may "
    "hold it; release it to send it again, or fail it (registry outbox)"
)


@dataclass
class ChainTransaction:
    """A transaction of the signer that the store did not know."""

    nonce: int
    tx_hash: str
    block: int
    time: datetime
    target: str  # manifest name, or the address if none
    function: str
    calls: list[bytes]  # the calls it made: its input, or each call of a tryEach
    receipt: dict[str, Any]
    args: tuple[Any, ...] = ()

    @property
    def ok(self) -> bool:
        return int(self.receipt["status"], 16) == 1


@dataclass(frozen=True)
class Report:
    found: int  # transactions of the signer the store did not know
    matched: int  # pending writes settled from them
    held: list[str]  # write ids
    unknown: list[str]  # hashes of found transactions that carry no write of this store


def store_behind_chain(session: Session, signer: str, chain_nonce: int) -> bool:
    """True if the chain counts transactions of ``signer`` that the store never signed, and the
    store has something they could concern (a history or pending writes)."""
    highest = session.execute(
        select(func.max(ChainTx.nonce)).where(col(ChainTx.signer) == signer)
    ).scalar()
    if (highest + 1 if highest is not None else 0) >= chain_nonce:
        return False
    history = session.execute(
        select(
            exists()
            .where(col(ChainTx.signer) == signer)
            .where(col(ChainTx.block_number).is_not(None))
        )
    ).scalar()
    pending = session.execute(
        select(
            exists()
            .where(col(Write.signer) == signer)
            .where(col(Write.tx_id).is_(None))  # through ix_write_open
            .where(col(Write.status) == "pending")
        )
    ).scalar()
    return bool(history or pending)


def _block_time(block: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(block["timestamp"], 16), UTC)


def _first_block_after(rpc: RpcClient, moment: datetime, head: int) -> int:
    """The first block whose timestamp is not before ``moment`` (binary search)."""
    low, high = 0, head
    while low < high:
        middle = (low + high) // 2
        block = rpc.request("eth_getBlockByNumber", [hex(middle), False])
        if _block_time(block) < moment:
            low = middle + 1
        else:
            high = middle
    return low


def _scan(
    rpc: RpcClient,
    manifest: DeploymentManifest,
    signer: str,
    known: set[int],
    start: int,
    head: int,
) -> list[ChainTransaction]:
    names = {c.address.lower(): name for name, c in manifest.contracts.items()}
    found: list[tuple[dict[str, Any], datetime]] = []
    for first in range(start, head + 1, BLOCKS_PER_BATCH):
        numbers = range(first, min(first + BLOCKS_PER_BATCH, head + 1))
        for block in rpc.batch([("eth_getBlockByNumber", [hex(n), True]) for n in numbers]):
            if isinstance(block, RpcError) or not isinstance(block, dict):
                continue
            for tx in block.get("transactions", []):
                if (
                    str(tx.get("from", "")).lower() == signer.lower()
                    and int(tx["nonce"], 16) not in known
                ):
                    found.append((tx, _block_time(block)))
    receipts = rpc.batch([("eth_getTransactionReceipt", [tx["hash"]]) for tx, _ in found])
    out: list[ChainTransaction] = []
    for (tx, moment), receipt in zip(found, receipts, strict=True):
        if not isinstance(receipt, dict):
            continue
        target = names.get(str(tx.get("to") or "").lower(), str(tx.get("to") or ""))
        data = bytes.fromhex(str(tx.get("input", "0x"))[2:])
        function, calls = "0x" + data[:4].hex(), [data]
        args: tuple[Any, ...] = ()
        if target in manifest.contracts:
            decoded = contracts.interface(manifest, target).decode_call(data)
            if decoded is not None:
                function, args = decoded.name, tuple(decoded.args.values())
                if function == "tryEach":
                    calls = [bytes(c) for c in args[0]]
        out.append(
            ChainTransaction(
                nonce=int(tx["nonce"], 16),
                tx_hash=str(tx["hash"]),
                block=int(tx["blockNumber"], 16),
                time=moment,
                target=target,
                function=function[:32],
                calls=calls,
                receipt=receipt,
                args=tuple(args),
            )
        )
    return out


def _batch_of(manifest: DeploymentManifest, target: str, data: bytes) -> Any:
    """What an anchorBatch call is a batch of (register id, credential type), else None."""
    position = BATCH_OF_ARGUMENT.get(target)
    if position is None or target not in manifest.contracts:
        return None
    decoded = contracts.interface(manifest, target).decode_call(data)
    if decoded is None or decoded.name != "anchorBatch":
        return None
    return tuple(decoded.args.values())[position]


def reconcile(
    *,
    engine: Engine,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    signer: str,
    chain_nonce: int,
    limits: Limits | None = None,
) -> Report:
    limits = limits or Limits()
    head = rpc.block_number()
    with Session(engine) as session:
        known = set(
            session.execute(
                select(col(ChainTx.nonce)).where(col(ChainTx.signer) == signer)
            ).scalars()
        )
        last_block = session.execute(
            select(func.max(ChainTx.block_number)).where(col(ChainTx.signer) == signer)
        ).scalar()
        pending = list(
            session.execute(
                select(*WRITE_COLUMNS)
                .where(col(Write.signer) == signer)
                .where(col(Write.tx_id).is_(None))  # through ix_write_open
                .where(col(Write.status) == "pending")
                .order_by(col(Write.seq))
            ).all()
        )
        expected = {w.id: plan_alone(session, w, manifest, limits) for w in pending}
    starts = [last_block + 1] if last_block is not None else []
    if pending:
        oldest = min(aware(w.created_at) for w in pending) - CLOCK_MARGIN
        starts.append(_first_block_after(rpc, oldest, head))
    start = max(min(starts, default=head + 1), head - MAX_SCAN_BLOCKS)
    found = _scan(rpc, manifest, signer, known, start, head)

    by_call: dict[bytes, list[tuple[ChainTransaction, int | None]]] = {}
    for tx in found:
        for index, inner in enumerate(tx.calls):
            by_call.setdefault(inner, []).append((tx, index if tx.function == "tryEach" else None))
    batches = [
        (tx, tx.target, _batch_of(manifest, tx.target, inner))
        for tx in found
        for inner in tx.calls
        if tx.ok
    ]
    settled: dict[str, tuple[ChainTransaction, int | None]] = {}
    held: list[str] = []
    for write in pending:
        call = expected[write.id]
        since = aware(write.created_at) - CLOCK_MARGIN
        if call is not None:
            match = next(((t, i) for t, i in by_call.get(call.data, []) if t.time >= since), None)
            if match is not None:
                settled[write.id] = match
                continue
            batch_of = _batch_of(manifest, call.target, call.data)
            if batch_of is None:
                continue  # no unknown transaction holds its call: safe to send
            if not any(
                t.time >= since and tgt == call.target and of == batch_of for t, tgt, of in batches
            ):
                continue
        held.append(write.id)

    with session_scope(engine) as session:
        ids: dict[str, int] = {}
        if found:
            rows = [
                {
                    "signer": signer,
                    "nonce": tx.nonce,
                    "target": tx.target[:64],
                    "function": tx.function,
                    "raw": "",
                    "tx_hash": tx.tx_hash,
                    "status": "mined" if tx.ok else "failed",
                    "source": "chain",
                    "leaf_count": 1,
                    "gas_limit": None,
                    "block_number": tx.block,
                    "gas_used": int(tx.receipt["gasUsed"], 16),
                    "sent_at": None,
                    "created_at": datetime.now(UTC),
                }
                for tx in found
            ]
            table = ChainTx.__table__  # type: ignore[attr-defined]
            inserted = session.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
            ).scalars()
            ids = {tx.tx_hash: tx_id for tx, tx_id in zip(found, inserted, strict=True)}
        for write_id, (tx, at) in settled.items():
            call = expected[write_id]
            assert call is not None
            failures = (
                failed_calls(manifest, tx.target, tx.receipt) if tx.function == "tryEach" else {}
            )
            ok = tx.ok and (at is None or at not in failures)
            placement = call.placements[0]
            session.execute(
                update(Write)
                .where(col(Write.id) == write_id)
                .values(
                    status="anchored" if ok else "failed",
                    anchored_at=tx.time if ok else None,
                    error=None
                    if ok
                    else (failures.get(at or 0) or f"transaction {tx.tx_hash} reverted"),
                    tx_id=ids[tx.tx_hash],
                    call_index=at,
                    leaf="0x" + placement.leaf.hex() if placement.leaf else None,
                    merkle_root="0x" + placement.root.hex() if placement.root else None,
                )
            )
            outbox.store_batches(session, outbox.batch_leaves(call.placements))
        if held:
            session.execute(
                update(Write)
                .where(col(Write.id).in_(held))
                .values(status="held", error=HELD_REASON)
            )
    carried = {tx.tx_hash for tx, _ in settled.values()}
    report = Report(
        found=len(found),
        matched=len(settled),
        held=held,
        unknown=[tx.tx_hash for tx in found if tx.tx_hash not in carried],
    )
    log.warning(
        "sender %s: the store is behind the chain (chain nonce %d; restored from a backup?): "
        "%d transaction(s) of this signer unknown to the store since block %d; %d pending "
        "write(s) settled from them, %d held (%s); %d carry writes this store never had "
        "(accepted after the backup): %s",
        signer,
        chain_nonce,
        report.found,
        start,
        report.matched,
        len(report.held),
        ", ".join(report.held[:20]) or "none",
        len(report.unknown),
        ", ".join(report.unknown[:20]) or "none",
    )
    return report


def unknown_transactions(session: Session, signer: str | None = None) -> Sequence[ChainTx]:
    """Transactions found on chain that carry no write of this store (the recovery report)."""
    carried = select(col(Write.tx_id)).where(col(Write.tx_id).is_not(None))
    query = (
        select(ChainTx).where(col(ChainTx.source) == "chain").where(col(ChainTx.id).not_in(carried))
    )
    if signer is not None:
        query = query.where(col(ChainTx.signer) == signer)
    return list(session.execute(query.order_by(col(ChainTx.signer), col(ChainTx.nonce))).scalars())
