"""Record reads: one record, a page of records, a write's state, and each version's status as the
chain sees it; no HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from registry_api.chain import hub
from registry_api.core.errors import RegistryError
from registry_api.core.security import Department
from registry_api.models.registers import (
    OnChainStatus,
    RecordPublic,
    RecordsPublic,
    RecordSummary,
    VersionPublic,
    WritePublic,
)
from registry_api.models.tables import ChainTx, Record, RecordVersion, Register, Write
from registry_api.store import records as sealed
from registry_api.store.sealing import Opened
from registry_core.errors import RpcError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient


def get_record(*, session: Session, register: Register, record_id: str) -> Record:
    record = session.get(Record, record_id)
    if record is None or record.register_id != register.id:
        raise RegistryError(
            status=404,
            kind="unknown-record",
            title="Unknown record",
            detail=f"register {register.id} has no record {record_id}",
        )
    return record


def write_public(write: Write, tx: ChainTx | None) -> WritePublic:
    return WritePublic(
        id=write.id,
        kind=write.kind,
        status=write.status,
        department=write.department,
        register_id=write.register_id,
        record_id=write.record_id,
        version_index=write.version_index,
        tx_hash=tx.tx_hash if tx is not None else None,
        block_number=tx.block_number if tx is not None and write.status == "anchored" else None,
        call_index=write.call_index,
        merkle_root=write.merkle_root,
        error=write.error,
        created_at=write.created_at,
        anchored_at=write.anchored_at,
    )


def get_write(*, session: Session, department: Department, write_id: str) -> WritePublic:
    write = session.exec(select(Write).where(Write.id == write_id)).first()
    if write is None or write.department != department.code:
        raise RegistryError(
            status=404,
            kind="unknown-write",
            title="Unknown write",
            detail=f"there is no write {write_id} of department {department.code}",
        )
    tx = session.get(ChainTx, write.tx_id) if write.tx_id is not None else None
    return write_public(write, tx)


def _summary(record: Record, latest: Opened | None) -> RecordSummary:
    return RecordSummary(
        id=record.id,
        register_id=record.register_id,
        department=record.department,
        mode=record.mode,
        status=record.status,
        version_count=record.version_count,
        created_at=record.created_at,
        updated_at=record.updated_at,
        latest=latest.content if latest is not None else None,
    )


def list_records(
    *,
    session: Session,
    register: Register,
    status: str | None,
    query: str | None,
    offset: int,
    limit: int,
) -> RecordsPublic:
    conditions: list[Any] = [Record.register_id == register.id]
    if status:
        conditions.append(Record.status == status)
    if query:
        words = [w for w in query.lower().split() if w][:5]
        for word in words:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(col(Record.search_text).like(f"%{escaped}%", escape="\\"))
    count = session.exec(select(func.count()).select_from(Record).where(*conditions)).one()
    records = session.exec(
        select(Record)
        .where(*conditions)
        .order_by(col(Record.created_at), col(Record.id))
        .offset(offset)
        .limit(limit)
    ).all()
    latest: dict[str, Opened] = {}
    if records:
        pairs = [(r.id, r.version_count - 1) for r in records]
        rows = session.exec(
            select(RecordVersion).where(
                or_(
                    *(
                        (col(RecordVersion.record_id) == rid)
                        & (col(RecordVersion.version_index) == idx)
                        for rid, idx in pairs
                    )
                )
            )
        ).all()
        latest = {rid: opened for (rid, _), opened in sealed.open_versions(rows).items()}
    return RecordsPublic(data=[_summary(r, latest.get(r.id)) for r in records], count=count)


def record_public(
    *,
    session: Session,
    record: Record,
    rpc: RpcClient | None,
    manifest: DeploymentManifest | None,
) -> RecordPublic:
    versions = session.exec(
        select(RecordVersion)
        .where(RecordVersion.record_id == record.id)
        .order_by(col(RecordVersion.version_index))
    ).all()
    write_ids = [v.write_id for v in versions]
    writes = {
        w.id: w for w in session.exec(select(Write).where(col(Write.id).in_(write_ids))).all()
    }
    tx_ids = [w.tx_id for w in writes.values() if w.tx_id is not None]
    txs = {t.id: t for t in session.exec(select(ChainTx).where(col(ChainTx.id).in_(tx_ids))).all()}
    opened = sealed.open_versions(versions)
    items: list[VersionPublic] = []
    for version in versions:
        write = writes[version.write_id]
        tx = txs.get(write.tx_id) if write.tx_id is not None else None
        plain = opened.get((version.record_id, version.version_index))
        items.append(
            VersionPublic(
                version_index=version.version_index,
                status=version.status,
                content=plain.content if plain is not None else None,
                salt=plain.salt if plain is not None else None,
                content_hash=version.content_hash,
                previous_hash=version.previous_hash,
                erasure_reason=version.erasure_reason,
                write=write_public(write, tx),
                leaf=write.leaf,
                proof=write.proof,
            )
        )
    if rpc is not None and manifest is not None:
        _attach_chain_status(record, items, versions, rpc, manifest)
    latest = opened.get((record.id, versions[-1].version_index)) if versions else None
    summary = _summary(record, latest)
    return RecordPublic(**summary.model_dump(), versions=items)


def _attach_chain_status(
    record: Record,
    items: list[VersionPublic],
    versions: Sequence[RecordVersion],
    rpc: RpcClient,
    manifest: DeploymentManifest,
) -> None:
    """Ask the chain about every anchored version, in one JSON-RPC batch."""
    contract = manifest.contract(hub.HUB)
    interface = hub.interface(manifest)
    calls: list[tuple[str, list[Any]]] = []
    plan: list[tuple[int, str]] = []
    for position, (item, version) in enumerate(zip(items, versions, strict=True)):
        if item.write.status != "anchored":
            continue
        if record.mode == "single":
            data = interface.encode_call("version", hub.b32(record.id), version.version_index)
            plan.append((position, "version"))
        else:
            if item.write.merkle_root is None or item.proof is None or item.leaf is None:
                continue
            data = interface.encode_call(
                "verifyBatchLeaf",
                hub.b32(item.write.merkle_root),
                [hub.b32(p) for p in item.proof],
                hub.b32(item.leaf),
            )
            plan.append((position, "verifyBatchLeaf"))
            calls.append(("eth_call", [{"to": contract.address, "data": hub.hx(data)}, "latest"]))
            data = interface.encode_call(
                "batchLeafErasure", hub.b32(item.write.merkle_root), hub.b32(item.leaf)
            )
            plan.append((position, "batchLeafErasure"))
        calls.append(("eth_call", [{"to": contract.address, "data": hub.hx(data)}, "latest"]))
    if not calls:
        return
    answers = rpc.batch(calls)
    found: dict[int, OnChainStatus] = {}
    for (position, function), answer in zip(plan, answers, strict=True):
        if isinstance(answer, RpcError) or not isinstance(answer, str):
            found.setdefault(position, OnChainStatus(verified=False, status="not-anchored"))
            continue
        value = interface.decode_output(function, bytes.fromhex(answer[2:]))
        if function == "version":
            status = hub.STATUS_NAMES[int(value[2])]
            found[position] = OnChainStatus(
                verified=value[0] == hub.b32(versions[position].content_hash),
                status=status,
                erasure_reason=int(value[5]) or None,
            )
        elif function == "verifyBatchLeaf":
            found[position] = OnChainStatus(
                verified=bool(value),
                status=versions[position].anchored_status if value else "not-anchored",
            )
        elif function == "batchLeafErasure" and int(value) and position in found:
            found[position] = OnChainStatus(
                verified=found[position].verified, status="erased", erasure_reason=int(value)
            )
    for position, status_ in found.items():
        if status_.status == "active" and items[position].status == "amended":
            status_ = OnChainStatus(verified=status_.verified, status="amended")
        items[position].on_chain = status_
