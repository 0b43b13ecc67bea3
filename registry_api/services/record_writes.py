"""Record writes: create (single or Merkle batch), amend or close, GDPR erasure; no HTTP.

Each write changes the record tables and adds its outbox row in the caller's session; the caller
commits once, so the record and its outbox row are stored together or not at all.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from registry_api.chain import hub
from registry_api.core.db import insert_rows
from registry_api.core.errors import RegistryError
from registry_api.core.security import Department
from registry_api.models.registers import WriteAccepted
from registry_api.models.tables import Record, RecordVersion, Register, Write
from registry_api.services import retention
from registry_api.services.record_reads import get_record
from registry_api.services.record_validation import canonicalise, validate_records
from registry_api.services.registers import accepted, authorize, hub_write
from registry_api.store import records as sealed
from registry_api.store.search_index import search_text
from registry_core.hashing import content_hash, new_salt
from registry_core.keccak import keccak256
from registry_core.registers import ERASURE_REASONS


def _now() -> datetime:
    return datetime.now(UTC)


def create_records(
    *,
    session: Session,
    department: Department,
    signer: str,
    register: Register,
    contents: Sequence[dict[str, Any]],
    mode: str,
    keys: Sequence[str] | None = None,
    canonical: Sequence[bytes] | None = None,
) -> list[WriteAccepted]:
    """New records, each with its first version and outbox row (batch mode: Merkle batches);
    ``keys``: each record's external key, ``canonical``: their RFC 8785 JSON, validated already
    by the caller (services/record_keys.py)."""
    authorize(department=department, register=register)
    if canonical is None:
        canonical = validate_records(register, contents)
    now = _now()
    records: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    writes: list[dict[str, Any]] = []
    result: list[WriteAccepted] = []
    # One call to the OS's CSPRNG for all ids and salts of the request (32 + 32 + 16 bytes each).
    randomness = secrets.token_bytes(80 * len(contents))
    for index, content in enumerate(contents):
        chunk = randomness[80 * index : 80 * (index + 1)]
        record_id = hub.hx(chunk[:32])
        salt = chunk[32:64]
        write_id = chunk[64:].hex()
        records.append(
            {
                "id": record_id,
                "register_id": register.id,
                "external_key": keys[index] if keys is not None else None,
                "department": department.code,
                "mode": mode,
                "status": "active",
                "version_count": 1,
                "search_text": search_text(register.schema_, content),
                "created_at": now,
                "updated_at": now,
            }
        )
        versions.append(
            {
                "record_id": record_id,
                "version_index": 0,
                "content": content,
                "salt": hub.hx(salt),
                "content_hash": hub.hx(keccak256(salt + canonical[index])),  # = content_hash()
                "previous_hash": hub.ZERO_HASH,
                "status": "active",
                "anchored_status": "active",
                "erasure_reason": None,
                "write_id": write_id,
                "erase_write_id": None,
                "created_at": now,
            }
        )
        writes.append(
            {
                "id": write_id,
                "department": department.code,
                "signer": signer,
                "planner": "registers",
                "kind": "create",
                "target": hub.HUB,
                "register_id": register.id,
                "record_id": record_id,
                "version_index": 0,
                "mode": mode,
                "status": "pending",
                "replans": 0,
                "created_at": now,
            }
        )
        result.append(
            WriteAccepted.model_construct(  # trusted values: no validation per record
                write_id=write_id,
                kind="create",
                status="pending",
                status_url=f"/writes/{write_id}",
                register_id=register.id,
                record_id=record_id,
                version_index=0,
            )
        )
    sealed.seal_rows(versions)  # content and salt are stored only encrypted
    # Core inserts (no ORM objects): the write lock is held only for these statements.
    record_table = Record.__table__  # type: ignore[attr-defined]
    version_table = RecordVersion.__table__  # type: ignore[attr-defined]
    write_table = Write.__table__  # type: ignore[attr-defined]
    if len(records) == 1 and session.get_bind().dialect.name == "postgresql":
        # A single write in one round trip instead of three (PostgreSQL's data-modifying CTEs;
        # SQLite has none, and there a statement costs no round trip).
        session.execute(
            insert(write_table)
            .values(writes[0])
            .add_cte(insert(record_table).values(records[0]).cte("new_record"))
            .add_cte(insert(version_table).values(versions[0]).cte("new_version"))
        )
        return result
    insert_rows(session, record_table, records)
    insert_rows(session, version_table, versions)
    insert_rows(session, write_table, writes)
    return result


def _latest(session: Session, record: Record) -> RecordVersion:
    return session.exec(
        select(RecordVersion)
        .where(RecordVersion.record_id == record.id)
        .where(RecordVersion.version_index == record.version_count - 1)
    ).one()


def append_version(
    *,
    session: Session,
    department: Department,
    signer: str,
    register: Register,
    record_id: str,
    content: dict[str, Any],
    closing: bool,
    expected_version: int | None,
) -> WriteAccepted:
    """Amend (new active version) or close (closing version) a record."""
    authorize(department=department, register=register)
    record = get_record(session=session, register=register, record_id=record_id)
    if record.status != "active":
        raise RegistryError(
            status=409,
            kind="record-not-active",
            title="The record takes no new versions",
            detail=f"record {record_id} is {record.status}; it takes no new versions",
        )
    latest_index = record.version_count - 1
    if expected_version is not None and expected_version != latest_index:
        raise RegistryError(
            status=409,
            kind="stale-version",
            title="The record changed in between",
            detail=(
                f"record {record_id} is at version {latest_index}, the request expected "
                f"version {expected_version}"
            ),
        )
    latest = _latest(session, record)
    if latest.status == "erased":
        raise RegistryError(
            status=409,
            kind="record-not-active",
            title="The record takes no new versions",
            detail=f"the latest version of record {record_id} is erased",
        )
    if closing:
        canonicalise(content, what="the closing decision")
    else:
        validate_records(register, [content])
    salt = new_salt()
    write = hub_write(
        department,
        signer,
        kind="close" if closing else "amend",
        register_id=register.id,
        record_id=record.id,
        version_index=latest_index + 1,
        mode=record.mode,
    )
    latest.status = "amended"
    session.add(latest)
    version = RecordVersion(
        record_id=record.id,
        version_index=latest_index + 1,
        content_hash=hub.hx(content_hash(content, salt)),
        previous_hash=latest.content_hash,
        status="closed" if closing else "active",
        anchored_status="closed" if closing else "active",
        write_id=write.id,
    )
    sealed.seal_version(version, content=content, salt=hub.hx(salt))
    session.add(version)
    record.version_count = latest_index + 2
    record.status = "closed" if closing else "active"
    if not closing:
        record.search_text = search_text(register.schema_, content)
    record.updated_at = _now()
    session.add(record)
    session.add(write)
    return accepted(write)


def erase_record(
    *,
    session: Session,
    department: Department,
    signer: str,
    register: Register,
    record_id: str,
    reason: str,
    versions: list[int] | None,
) -> list[WriteAccepted]:
    """GDPR erasure: destroy the versions' data keys now (so no backup opens their content and
    salt any more), mark the versions erased on chain."""
    authorize(department=department, register=register)
    record = get_record(session=session, register=register, record_id=record_id)
    rows = session.exec(
        select(RecordVersion)
        .where(RecordVersion.record_id == record.id)
        .order_by(col(RecordVersion.version_index))
    ).all()
    by_index = {row.version_index: row for row in rows}
    wanted = sorted(set(versions)) if versions is not None else list(by_index)
    unknown = [i for i in wanted if i not in by_index]
    if unknown:
        raise RegistryError(
            status=404,
            kind="unknown-version",
            title="Unknown version",
            detail=f"record {record_id} has {len(by_index)} version(s); no version {unknown[0]}",
        )
    targets = [by_index[i] for i in wanted if by_index[i].status != "erased"]
    if not targets:
        raise RegistryError(
            status=409,
            kind="already-erased",
            title="Nothing to erase",
            detail=f"the requested versions of record {record_id} are erased already",
        )
    anchoring = {
        w.id: w
        for w in session.exec(
            select(Write).where(col(Write.id).in_([t.write_id for t in targets]))
        ).all()
    }
    failed = [t.version_index for t in targets if anchoring[t.write_id].status == "failed"]
    if failed:
        raise RegistryError(
            status=409,
            kind="version-not-anchored",
            title="The version was never anchored",
            detail=f"version {failed[0]} of record {record_id} failed to anchor; nothing to erase",
        )
    code = ERASURE_REASONS[reason]
    sealed.shred(targets)
    result: list[WriteAccepted] = []
    for version in targets:
        write = hub_write(
            department,
            signer,
            kind="erase",
            register_id=register.id,
            record_id=record.id,
            version_index=version.version_index,
            mode=record.mode,
            erasure_reason=code,
        )
        version.status = "erased"
        version.erasure_reason = code
        version.erase_write_id = write.id
        session.add(version)
        session.add(write)
        result.append(accepted(write))
    if by_index[max(by_index)].status == "erased":
        # The search text is the latest version's: erasing only older versions keeps it.
        record.status = "erased"
        record.search_text = ""
    record.updated_at = _now()
    session.add(record)
    # stored answers that name the record go with its content (same transaction)
    retention.erase_answers(session, department=department.code, names=[record_id])
    return result
