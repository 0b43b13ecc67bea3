"""Register and record writes and reads: the rules, independent of HTTP.

A write validates, changes the record tables and adds its outbox row in the caller's session; the
caller commits once, so the record and its outbox row are stored together or not at all.

(Over 400 lines: register creation, record writes, erasure and record reads still share this
module; splitting it along those seams is open work in issue 8.)
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import func, insert, or_
from sqlmodel import Session, col, select

from registry_api.chain import hub, outbox
from registry_api.core.db import insert_rows
from registry_api.core.errors import RegistryError, contract_problem
from registry_api.core.security import Department
from registry_api.models.registers import (
    OnChainStatus,
    RecordPublic,
    RecordsPublic,
    RecordSummary,
    RegisterCreate,
    RegisterPublic,
    VersionPublic,
    WriteAccepted,
    WritePublic,
)
from registry_api.models.tables import ChainTx, Record, RecordVersion, Register, Write
from registry_core.errors import RpcError
from registry_core.hashing import canonical_json, content_hash, new_salt
from registry_core.keccak import keccak256
from registry_core.manifest import DeploymentManifest
from registry_core.registers import ERASURE_REASONS
from registry_core.rpc import RpcClient
from registry_core.schemas import SchemaInvalidError, SchemaValidator, validator_for

MAX_CONTENT_BYTES = 16_384


def _now() -> datetime:
    return datetime.now(UTC)


def _new_write_id() -> str:
    return secrets.token_hex(16)


def schema_hash(schema: dict[str, Any]) -> str:
    """keccak256 of the RFC 8785 canonical JSON Schema (no salt: schemas are public)."""
    return hub.hx(keccak256(canonical_json(schema)))


def _validator(register: Register) -> SchemaValidator:
    return validator_for(register.schema_, cache_key=register.schema_hash)


def _canonical(content: dict[str, Any], *, what: str) -> bytes:
    try:
        raw = canonical_json(content)
    except (ValueError, TypeError) as exc:
        raise RegistryError(
            status=422,
            kind="invalid-record",
            title="The record is not valid",
            detail=f"{what} cannot be canonicalised (RFC 8785): {exc}",
        ) from exc
    if len(raw) > MAX_CONTENT_BYTES:
        raise RegistryError(
            status=413,
            kind="record-too-large",
            title="The record is too large",
            detail=f"{what} has {len(raw)} bytes of canonical JSON; the limit is {MAX_CONTENT_BYTES}",
        )
    return raw


def validate_records(register: Register, contents: Sequence[dict[str, Any]]) -> list[bytes]:
    """Raise one 422 problem listing every schema violation (at most 20).

    Returns each record's RFC 8785 canonical JSON (computed here anyway), for its content hash.
    """
    canonical = [
        _canonical(content, what=f"record {index}" if len(contents) > 1 else "the record")
        for index, content in enumerate(contents)
    ]
    errors = [
        {"index": v.index, "path": v.path or "/", "message": v.message}
        for v in _validator(register).violations(contents)
    ]
    if errors:
        first = errors[0]
        where = f"record {first['index']}, " if len(contents) > 1 else ""
        raise RegistryError(
            status=422,
            kind="schema-violation",
            title="The record does not follow the register's schema",
            detail=(
                f"{len(errors)} schema violation(s) against register {register.id}; first: "
                f"{where}{first['path']}: {first['message']}"
            ),
            errors=errors,
        )
    return canonical


# ---- registers ---------------------------------------------------------------------------------


def register_status(session: Session, register: Register) -> str:
    write = session.exec(select(Write).where(Write.id == register.write_id)).first()
    return write.status if write is not None else "pending"


def register_public(session: Session, register: Register) -> RegisterPublic:
    return RegisterPublic(
        id=register.id,
        name=register.name,
        description=register.description,
        department=register.department,
        record_schema=register.schema_,
        schema_hash=register.schema_hash,
        write_id=register.write_id,
        status=register_status(session, register),
        created_at=register.created_at,
    )


def get_register_or_none(*, session: Session, register_id: str) -> Register | None:
    return session.get(Register, register_id)


_register_cache: dict[str, Register] = {}


def get_register(*, session: Session, register_id: str) -> Register:
    """A register (cached once found: registers never change after creation)."""
    register = _register_cache.get(register_id)
    if register is not None:
        return register
    register = session.get(Register, register_id)
    if register is not None:
        session.expunge(register)
        _register_cache[register_id] = register
    if register is None:
        raise RegistryError(
            status=404,
            kind="unknown-register",
            title="Unknown register",
            detail=f"there is no register {register_id!r}",
        )
    return register


def authorize(*, department: Department, register: Register) -> None:
    if register.department != department.code:
        raise RegistryError(
            status=403,
            kind="wrong-department",
            title="The register belongs to another department",
            detail=(
                f"register {register.id} is owned by department {register.department}; "
                f"this API key belongs to {department.code}"
            ),
        )
    if not department.may_use(register.id):
        raise RegistryError(
            status=403,
            kind="register-out-of-scope",
            title="The API key is not scoped to this register",
            detail=f"this API key of {department.code} may not use register {register.id}",
        )


def check_register_on_chain(
    *, rpc: RpcClient, manifest: DeploymentManifest, department: Department, signer: str,
    register_in: RegisterCreate,
) -> None:  # fmt: skip
    """Refuse a new register the chain would refuse (its custom error as a problem), before
    anything is stored."""
    decoded = hub.refusal_of_create_register(
        rpc, manifest, signer=signer, register_id=register_in.id, name=register_in.name,
        schema_hash=schema_hash(register_in.record_schema), department=department.code,
    )  # fmt: skip
    if decoded is not None:
        raise contract_problem(decoded)


def create_register(
    *, session: Session, department: Department, signer: str, register_in: RegisterCreate
) -> WriteAccepted:
    if not department.may_use(register_in.id):
        raise RegistryError(
            status=403,
            kind="register-out-of-scope",
            title="The API key is not scoped to this register",
            detail=f"this API key of {department.code} may not create register {register_in.id}",
        )
    try:
        validator_for(register_in.record_schema)
    except SchemaInvalidError as exc:
        raise RegistryError(
            status=422,
            kind="invalid-schema",
            title="The register's JSON Schema is not valid",
            detail=f"not a valid, self-contained JSON Schema (2020-12): {exc.message}",
        ) from exc
    _canonical(register_in.record_schema, what="the schema")
    if session.get(Register, register_in.id) is not None:
        raise RegistryError(
            status=409,
            kind="register-exists",
            title="The register exists already",
            detail=f"register {register_in.id} exists already",
        )
    write = Write(
        id=_new_write_id(),
        department=department.code,
        signer=signer,
        planner="registers",
        kind="register",
        target=hub.HUB,
        register_id=register_in.id,
        mode="single",
        status="pending",
    )
    session.add(
        Register(
            id=register_in.id,
            name=register_in.name,
            description=register_in.description,
            department=department.code,
            schema_=register_in.record_schema,
            schema_hash=schema_hash(register_in.record_schema),
            write_id=write.id,
        )
    )
    session.add(write)
    return accepted(write)


def list_registers(*, session: Session) -> list[Register]:
    return list(session.exec(select(Register).order_by(col(Register.id))).all())


# ---- records -----------------------------------------------------------------------------------


def accepted(write: Write) -> WriteAccepted:
    return WriteAccepted(
        write_id=write.id,
        kind=write.kind,
        status=write.status,
        status_url=f"/writes/{write.id}",
        register_id=write.register_id,
        record_id=write.record_id,
        version_index=write.version_index,
    )


def _search_text(content: dict[str, Any] | None) -> str:
    if content is None:
        return ""
    return orjson.dumps(content).decode("utf-8").lower()[:16_000]


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
                "search_text": _search_text(content),
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
        _canonical(content, what="the closing decision")
    else:
        validate_records(register, [content])
    salt = new_salt()
    write = Write(
        id=_new_write_id(),
        department=department.code,
        signer=signer,
        planner="registers",
        kind="close" if closing else "amend",
        target=hub.HUB,
        register_id=register.id,
        record_id=record.id,
        version_index=latest_index + 1,
        mode=record.mode,
        status="pending",
    )
    latest.status = "amended"
    session.add(latest)
    session.add(
        RecordVersion(
            record_id=record.id,
            version_index=latest_index + 1,
            content=content,
            salt=hub.hx(salt),
            content_hash=hub.hx(content_hash(content, salt)),
            previous_hash=latest.content_hash,
            status="closed" if closing else "active",
            anchored_status="closed" if closing else "active",
            write_id=write.id,
        )
    )
    record.version_count = latest_index + 2
    record.status = "closed" if closing else "active"
    if not closing:
        record.search_text = _search_text(content)
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
    """GDPR erasure: delete content and salt now, mark the versions erased on chain."""
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
    result: list[WriteAccepted] = []
    for version in targets:
        write = Write(
            id=_new_write_id(),
            department=department.code,
            signer=signer,
            planner="registers",
            kind="erase",
            target=hub.HUB,
            register_id=register.id,
            record_id=record.id,
            version_index=version.version_index,
            mode=record.mode,
            status="pending",
            erasure_reason=code,
        )
        version.content = None
        version.salt = None
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
    return result


# ---- reads -------------------------------------------------------------------------------------


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


def _summary(record: Record, latest: RecordVersion | None) -> RecordSummary:
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
    latest: dict[str, RecordVersion] = {}
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
        latest = {row.record_id: row for row in rows}
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
    items: list[VersionPublic] = []
    for version in versions:
        write = writes[version.write_id]
        tx = txs.get(write.tx_id) if write.tx_id is not None else None
        items.append(
            VersionPublic(
                version_index=version.version_index,
                status=version.status,
                content=version.content,
                salt=version.salt,
                content_hash=version.content_hash,
                previous_hash=version.previous_hash,
                erasure_reason=version.erasure_reason,
                write=write_public(write, tx),
                leaf=write.leaf,
                proof=outbox.batch_proof(session, write.merkle_root, write.leaf),
            )
        )
    if rpc is not None and manifest is not None:
        _attach_chain_status(record, items, versions, rpc, manifest)
    latest = versions[-1] if versions else None
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
