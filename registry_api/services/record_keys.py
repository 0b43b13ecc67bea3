"""Keyed bulk writes and the register archive: the rules behind ``registry import`` and
``registry export``, independent of HTTP.

A keyed bulk request gives each record its source's stable key. A key the register does not know
yet creates a record that keeps the key (off chain, unique per register); a known key with the
same canonical content (RFC 8785) is left unchanged; with other content it becomes an amendment
when the caller asks for it (``amend_changed``), otherwise the whole request is refused with the
keys that differ, so nothing is ever written twice and nothing is overwritten unasked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from registry_api.chain import outbox
from registry_api.core.errors import RegistryError
from registry_api.core.security import Department
from registry_api.models.registers import (
    ArchivedRecord,
    ArchivedVersion,
    KeyedResult,
    KeyedWritesAccepted,
    RecordsArchive,
    WriteAccepted,
    WritesStatus,
    WriteState,
)
from registry_api.models.tables import Record, RecordVersion, Register, Write
from registry_api.services import record_reads, record_validation, record_writes, registers
from registry_api.store import records as sealed
from registry_core.hashing import canonical_json


def _content_version(versions: list[RecordVersion]) -> RecordVersion | None:
    """The version that holds the record's content: the latest that is not a closing decision."""
    for version in reversed(versions):
        if version.status != "closed":
            return version
    return None


def create_keyed_records(
    *,
    session: Session,
    department: Department,
    signer: str,
    register: Register,
    contents: Sequence[dict[str, Any]],
    keys: Sequence[str],
    amend_changed: bool,
) -> KeyedWritesAccepted:
    registers.authorize(department=department, register=register)
    canonical = record_validation.validate_records(register, contents)
    known = {
        r.external_key: r
        for r in session.exec(
            select(Record)
            .where(Record.register_id == register.id)
            .where(col(Record.external_key).in_(list(keys)))
        ).all()
    }
    versions = record_reads.versions_of(session, [r.id for r in known.values()])
    opened = sealed.open_versions(v for vs in versions.values() for v in vs)
    fresh: list[int] = []
    changed: list[int] = []
    unchanged: dict[int, str] = {}
    conflicts: list[dict[str, Any]] = []
    for index, key in enumerate(keys):
        record = known.get(key)
        if record is None:
            fresh.append(index)
            continue
        current = _content_version(versions[record.id])
        plain = opened.get((record.id, current.version_index)) if current is not None else None
        content = plain.content if plain is not None else None
        if content is not None and canonical_json(content) == canonical[index]:
            unchanged[index] = record.id
            continue
        if record.status != "active" or content is None:
            state = "erased" if content is None else record.status
            conflicts.append({"index": index, "key": key, "record_id": record.id, "state": state})
        elif amend_changed:
            changed.append(index)
        else:
            conflicts.append(
                {"index": index, "key": key, "record_id": record.id, "state": "changed"}
            )
    if conflicts:
        first = conflicts[0]
        raise RegistryError(
            status=409,
            kind="record-key-changed",
            title="Records with these keys exist with other content",
            detail=(
                f"{len(conflicts)} key(s) exist in register {register.id} with other content or "
                f"take no new versions; first: record {first['index']}, key {first['key']!r} "
                f"({first['state']}). Send them with amend_changed to amend active records."
            ),
            detail_de=(
                f"{len(conflicts)} Schlüssel gibt es in Register {register.id} schon mit anderem "
                f"Inhalt, oder ihr Datensatz nimmt keine neuen Versionen an; zuerst: Datensatz "
                f"{first['index']}, Schlüssel {first['key']!r} ({first['state']}). Mit "
                "amend_changed werden aktive Datensätze geändert."
            ),
            conflicts=conflicts,
        )
    made: dict[int, WriteAccepted] = {}
    if fresh:
        created = record_writes.create_records(
            session=session,
            department=department,
            signer=signer,
            register=register,
            contents=[contents[i] for i in fresh],
            mode="batch",
            keys=[keys[i] for i in fresh],
            canonical=[canonical[i] for i in fresh],
        )
        made.update(zip(fresh, created, strict=True))
    for index in changed:
        made[index] = record_writes.append_version(
            session=session,
            department=department,
            signer=signer,
            register=register,
            record_id=known[keys[index]].id,
            content=contents[index],
            closing=False,
            expected_version=None,
        )
    results: list[KeyedResult] = []
    for index, key in enumerate(keys):
        write = made.get(index)
        results.append(
            KeyedResult.model_construct(
                key=key,
                outcome="unchanged"
                if write is None
                else "created"
                if index in fresh
                else "amended",
                record_id=unchanged[index] if write is None else str(write.record_id),
                write_id=None if write is None else write.write_id,
            )
        )
    writes = [made[i] for i in sorted(made)]
    return KeyedWritesAccepted(count=len(writes), writes=writes, results=results)


def writes_status(*, session: Session, department: Department, ids: Sequence[str]) -> WritesStatus:
    """The state of many writes at once (only the department's own; unknown ids are left out)."""
    writes = session.exec(
        select(Write).where(col(Write.id).in_(list(ids))).where(Write.department == department.code)
    ).all()
    txs = record_reads.transactions(session, writes)
    data = []
    for write in writes:
        tx = txs.get(write.tx_id) if write.tx_id is not None else None
        data.append(
            WriteState(
                id=write.id,
                status=write.status,
                tx_hash=tx.tx_hash if tx is not None else None,
                block_number=tx.block_number
                if tx is not None and write.status == "anchored"
                else None,
                error=write.error,
            )
        )
    return WritesStatus(data=data, count=len(data))


def archive(
    *, session: Session, register: Register, offset: int, limit: int, latest_only: bool
) -> RecordsArchive:
    """A page of records (in creation order) with their versions, transactions and proofs."""
    total = session.exec(
        select(func.count()).select_from(Record).where(Record.register_id == register.id)
    ).one()
    page = session.exec(
        select(Record)
        .where(Record.register_id == register.id)
        .order_by(col(Record.created_at), col(Record.id))
        .offset(offset)
        .limit(limit)
    ).all()
    versions = record_reads.versions_of(session, [r.id for r in page])
    anchors = record_reads.anchoring(session, [v.write_id for vs in versions.values() for v in vs])
    opened = sealed.open_versions(v for vs in versions.values() for v in vs)
    data = []
    for record in page:
        items = versions[record.id][-1:] if latest_only else versions[record.id]
        archived = []
        for version in items:
            write, tx = anchors[version.write_id]
            anchored = write.status == "anchored"
            plain = opened.get((record.id, version.version_index))
            archived.append(
                ArchivedVersion(
                    **record_reads.stored_fields(version, plain),
                    write_status=write.status,
                    tx_hash=tx.tx_hash if tx is not None else None,
                    block_number=tx.block_number if tx is not None and anchored else None,
                    merkle_root=write.merkle_root,
                    leaf=write.leaf,
                    proof=outbox.batch_proof(session, write.merkle_root, write.leaf),
                )
            )
        data.append(
            ArchivedRecord(
                id=record.id,
                key=record.external_key,
                mode=record.mode,
                status=record.status,
                created_at=record.created_at,
                versions=archived,
            )
        )
    return RecordsArchive(data=data, count=total)
