"""Record reads: one record (with each version's status as the chain sees it, read by
``chain/record_status``), a page of records, a write's state; no HTTP, no JSON-RPC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from registry_api.chain import outbox, record_status
from registry_api.chain.node import Node
from registry_api.core.errors import RegistryError
from registry_api.core.security import Department
from registry_api.models.registers import (
    RecordPublic,
    RecordsPublic,
    RecordSummary,
    VersionPublic,
    WritePublic,
)
from registry_api.models.tables import ChainTx, Record, RecordVersion, Register, Write
from registry_api.store import records as sealed
from registry_api.store.sealing import Opened
from registry_core.manifest import DeploymentManifest


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


def versions_of(session: Session, record_ids: Sequence[str]) -> dict[str, list[RecordVersion]]:
    """Each record's versions in order, in one query."""
    found: dict[str, list[RecordVersion]] = {rid: [] for rid in record_ids}
    if record_ids:
        rows = session.exec(
            select(RecordVersion)
            .where(col(RecordVersion.record_id).in_(record_ids))
            .order_by(col(RecordVersion.record_id), col(RecordVersion.version_index))
        ).all()
        for row in rows:
            found[row.record_id].append(row)
    return found


def transactions(session: Session, writes: Iterable[Write]) -> dict[int | None, ChainTx]:
    """The transactions that carry these writes (a write not yet sent has none), in one query."""
    tx_ids = [w.tx_id for w in writes if w.tx_id is not None]
    return {t.id: t for t in session.exec(select(ChainTx).where(col(ChainTx.id).in_(tx_ids))).all()}


def anchoring(
    session: Session, write_ids: Sequence[str]
) -> dict[str, tuple[Write, ChainTx | None]]:
    """Each write by id with its transaction (``None`` until sent), in two queries."""
    writes = session.exec(select(Write).where(col(Write.id).in_(list(write_ids)))).all()
    txs = transactions(session, writes)
    return {w.id: (w, txs.get(w.tx_id) if w.tx_id is not None else None) for w in writes}


def stored_fields(version: RecordVersion, plain: Opened | None) -> dict[str, Any]:
    """What a read shows of a stored version (the record's answer and the archive's alike);
    ``plain`` is its opened content and salt (None once erased)."""
    return {
        "version_index": version.version_index,
        "status": version.status,
        "content": plain.content if plain is not None else None,
        "salt": plain.salt if plain is not None else None,
        "content_hash": version.content_hash,
        "previous_hash": version.previous_hash,
        "erasure_reason": version.erasure_reason,
    }


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
    rpc: Node | None,
    manifest: DeploymentManifest | None,
) -> RecordPublic:
    versions = versions_of(session, [record.id])[record.id]
    anchors = anchoring(session, [v.write_id for v in versions])
    opened = sealed.open_versions(versions)
    items: list[VersionPublic] = []
    for version in versions:
        write, tx = anchors[version.write_id]
        items.append(
            VersionPublic(
                **stored_fields(version, opened.get((version.record_id, version.version_index))),
                write=write_public(write, tx),
                leaf=write.leaf,
                proof=outbox.batch_proof(session, write.merkle_root, write.leaf),
            )
        )
    if rpc is not None and manifest is not None:
        record_status.attach_chain_status(record, items, versions, rpc, manifest)
    latest = opened.get((record.id, versions[-1].version_index)) if versions else None
    summary = _summary(record, latest)
    return RecordPublic(**summary.model_dump(), versions=items)
