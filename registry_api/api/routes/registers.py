"""Registers and their records: create registers, create / amend / close / erase records, read.

Writes answer ``202 Accepted`` with the write's id and status URL: the record and its outbox row
are committed together, and the department's sender anchors it on chain (``GET /writes/{id}``
says when). Writes accept an ``Idempotency-Key``.

(Over 400 lines: the register, record write and record read routes still share this module;
splitting it with ``services/registers.py`` is open work in issue 8.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from registry_api.api import idempotency
from registry_api.api.deps import (
    CurrentDepartment,
    IdempotencyKey,
    ManifestDep,
    Offset,
    ReadSessionDep,
    RpcDep,
    SessionDep,
    SettingsDep,
    SignerDep,
)
from registry_api.core.errors import PROBLEM_BASE, PROBLEM_JSON, RegistryError
from registry_api.core.security import Department
from registry_api.models.registers import (
    RECORD_ID_PATTERN,
    REGISTER_ID_PATTERN,
    KeyedWritesAccepted,
    RecordAmend,
    RecordBulkCreate,
    RecordClose,
    RecordCreate,
    RecordErase,
    RecordPublic,
    RecordsPublic,
    RegisterCreate,
    RegisterPublic,
    RegistersPublic,
    WriteAccepted,
    WritePublic,
    WritesAccepted,
)
from registry_api.services import record_keys, retention
from registry_api.services import registers as service
from registry_api.services.writes import refuse_suspended

router = APIRouter(tags=["registers"])


def _problem_example(status: int, kind: str, title: str, detail: str) -> dict[str, Any]:
    return {
        "description": title,
        "content": {
            PROBLEM_JSON: {
                "example": {
                    "type": PROBLEM_BASE + kind,
                    "title": title,
                    "status": status,
                    "detail": detail,
                    "instance": "/registers/TRADE/records",
                }
            }
        },
    }


AUTH_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: _problem_example(
        401,
        "invalid-api-key",
        "The API key is not valid",
        "the X-API-Key header does not hold a valid, unrevoked API key",
    ),
    403: _problem_example(
        403,
        "wrong-department",
        "The register belongs to another department",
        "register TRADE is owned by department FB02; this API key belongs to FB33",
    ),
    404: _problem_example(
        404, "unknown-register", "Unknown register", "there is no register 'TRADES'"
    ),
}
WRITE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **AUTH_PROBLEMS,
    409: _problem_example(
        409,
        "record-not-active",
        "The record takes no new versions",
        "record 0x… is closed; it takes no new versions",
    ),
    422: _problem_example(
        422,
        "schema-violation",
        "The record does not follow the register's schema",
        "1 schema violation(s) against register TRADE; first: /legal_form: 'Ltd' is not one of […]",
    ),
    503: _problem_example(
        503,
        "no-signing-key",
        "The department cannot sign writes",
        "no signing key of department FB32 is unlocked in this API",
    ),
}

RegisterIdPath = Annotated[str, Path(pattern=REGISTER_ID_PATTERN, examples=["TRADE"])]
RecordIdPath = Annotated[str, Path(pattern=RECORD_ID_PATTERN)]


@dataclass(frozen=True)
class _Writer:
    """A department's write request: its store sessions, chain signer and Idempotency-Key."""

    request: Request
    session: Session
    read_session: Session
    department: Department
    signer: str
    key: str | None

    def accept(self, body: BaseModel, action: Callable[[], BaseModel]) -> JSONResponse:
        """Run a write; commit it with its idempotency entry; wake the department's sender."""
        code = self.department.code
        fingerprint = idempotency.fingerprint(self.request, body) if self.key else ""
        if self.key:
            stored = idempotency.replay_stored(
                self.read_session, department=code, key=self.key, fingerprint=fingerprint
            )
            if stored is not None:
                return stored
        refuse_suspended(
            self.request.app.state.departments,
            self.request.app.state.rpc,
            self.request.app.state.manifests.load(self.request.app.state.rpc.chain_id()),
            code,
        )
        result = action()
        # With a key the answer is stored with the write; without one it is built after the
        # commit, outside the store's write lock.
        payload: dict[str, Any] | None = None
        if self.key:
            payload = result.model_dump(mode="json")
            idempotency.add(
                self.session,
                department=code,
                key=self.key,
                fingerprint=fingerprint,
                status_code=202,
                body=payload,
            )
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            if self.key:
                stored = idempotency.replay_stored(
                    self.session, department=code, key=self.key, fingerprint=fingerprint
                )
                if stored is not None:
                    return stored
            raise RegistryError(
                status=409,
                kind="concurrent-write",
                title="Another write changed the record at the same time",
                detail="a concurrent write to the same record won; read the record and try again",
            ) from None
        workers = getattr(self.request.app.state, "workers", None)
        if workers is not None:
            workers.wake(code)
        if payload is None:
            payload = result.model_dump(mode="json")
        headers = {}
        if isinstance(result, WriteAccepted):
            headers["Location"] = result.status_url
        return idempotency.OrjsonResponse(payload, status_code=202, headers=headers)


def _writer(
    request: Request,
    session: SessionDep,
    read_session: ReadSessionDep,
    department: CurrentDepartment,
    signer: SignerDep,
    idempotency_key: IdempotencyKey = None,
) -> _Writer:
    return _Writer(request, session, read_session, department, signer, idempotency_key)


WriterDep = Annotated[_Writer, Depends(_writer)]


@router.post(
    "/registers",
    status_code=202,
    response_model=WriteAccepted,
    summary="Create a register with the JSON Schema its records follow",
    responses=WRITE_PROBLEMS,
)
def create_register(
    register_in: RegisterCreate, writer: WriterDep, rpc: RpcDep, manifest: ManifestDep
) -> Any:
    def action() -> BaseModel:
        if (
            writer.department.may_use(register_in.id)
            and service.get_register_or_none(session=writer.session, register_id=register_in.id)
            is None
        ):
            service.check_register_on_chain(
                rpc=rpc,
                manifest=manifest,
                department=writer.department,
                signer=writer.signer,
                register_in=register_in,
            )
        return service.create_register(
            session=writer.session,
            department=writer.department,
            signer=writer.signer,
            register_in=register_in,
        )

    return writer.accept(register_in, action)


@router.get("/registers", response_model=RegistersPublic, summary="All registers (public)")
def list_registers(session: ReadSessionDep) -> Any:
    registers = service.list_registers(session=session)
    return RegistersPublic(
        data=[service.register_public(session, r) for r in registers], count=len(registers)
    )


@router.get(
    "/registers/{register_id}",
    response_model=RegisterPublic,
    summary="One register with its schema (public)",
    responses={404: AUTH_PROBLEMS[404]},
)
def get_register(register_id: RegisterIdPath, session: ReadSessionDep) -> Any:
    return service.register_public(
        session, service.get_register(session=session, register_id=register_id)
    )


@router.post(
    "/registers/{register_id}/records",
    status_code=202,
    response_model=WriteAccepted,
    summary="Create a record (anchored singly: its own call, which may share a transaction)",
    responses=WRITE_PROBLEMS,
)
def create_record(register_id: RegisterIdPath, record_in: RecordCreate, writer: WriterDep) -> Any:
    def action() -> BaseModel:
        register = service.get_register(session=writer.read_session, register_id=register_id)
        (write,) = service.create_records(
            session=writer.session,
            department=writer.department,
            signer=writer.signer,
            register=register,
            contents=[record_in.content],
            mode="single",
        )
        return write

    return writer.accept(record_in, action)


@router.post(
    "/registers/{register_id}/records/bulk",
    status_code=202,
    response_model=KeyedWritesAccepted | WritesAccepted,
    summary="Create many records at once (anchored in Merkle batches), optionally by key",
    responses={
        **WRITE_PROBLEMS,
        409: _problem_example(
            409,
            "record-key-changed",
            "Records with these keys exist with other content",
            "1 key(s) exist in register TRADE with other content or take no new versions; "
            "first: record 3, key 'GA-2019-0017' (changed). Send them with amend_changed …",
        ),
        413: _problem_example(
            413,
            "bulk-too-large",
            "Too many records in one request",
            "the request holds 1500 records; at most 1000 are accepted per request",
        ),
    },
)
def create_records_bulk(
    register_id: RegisterIdPath,
    bulk_in: RecordBulkCreate,
    writer: WriterDep,
    settings: SettingsDep,
) -> Any:
    if len(bulk_in.records) > settings.bulk_max_records:
        raise RegistryError(
            status=413,
            kind="bulk-too-large",
            title="Too many records in one request",
            detail=(
                f"the request holds {len(bulk_in.records)} records; at most "
                f"{settings.bulk_max_records} are accepted per request: split it"
            ),
            max_records=settings.bulk_max_records,
        )

    def action() -> BaseModel:
        register = service.get_register(session=writer.read_session, register_id=register_id)
        if bulk_in.keys is not None:
            return record_keys.create_keyed_records(
                session=writer.session,
                department=writer.department,
                signer=writer.signer,
                register=register,
                contents=bulk_in.records,
                keys=bulk_in.keys,
                amend_changed=bulk_in.amend_changed,
            )
        writes = service.create_records(
            session=writer.session,
            department=writer.department,
            signer=writer.signer,
            register=register,
            contents=bulk_in.records,
            mode="batch",
        )
        return WritesAccepted(count=len(writes), writes=writes)

    return writer.accept(bulk_in, action)


@router.get(
    "/registers/{register_id}/records",
    response_model=RecordsPublic,
    summary="List and search records (latest content), paginated",
    responses=AUTH_PROBLEMS,
)
def list_records(
    register_id: RegisterIdPath,
    session: ReadSessionDep,
    department: CurrentDepartment,
    settings: SettingsDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Words that the latest content contains")
    ] = None,
    status: Annotated[str | None, Query(pattern="^(active|closed|erased)$")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
) -> Any:
    register = service.get_register(session=session, register_id=register_id)
    service.authorize(department=department, register=register)
    return service.list_records(
        session=session,
        register=register,
        status=status,
        query=q,
        offset=offset,
        limit=min(limit, settings.page_max),
    )


@router.get(
    "/registers/{register_id}/records/{record_id}",
    response_model=RecordPublic,
    summary="A record with all versions, their transactions, Merkle proofs and on-chain status",
    responses=AUTH_PROBLEMS,
)
def get_record(
    register_id: RegisterIdPath,
    record_id: RecordIdPath,
    session: ReadSessionDep,
    department: CurrentDepartment,
    rpc: RpcDep,
    manifest: ManifestDep,
    chain: Annotated[bool, Query(description="Ask the chain for each version's status")] = True,
) -> Any:
    register = service.get_register(session=session, register_id=register_id)
    service.authorize(department=department, register=register)
    record = service.get_record(session=session, register=register, record_id=record_id)
    return service.record_public(
        session=session,
        record=record,
        rpc=rpc if chain else None,
        manifest=manifest if chain else None,
    )


def _append_version(
    writer: _Writer,
    register_id: str,
    record_id: str,
    version_in: RecordAmend | RecordClose,
    *,
    closing: bool,
) -> Any:
    """Amend and close both append a version; closing makes it the last one."""

    def action() -> BaseModel:
        register = service.get_register(session=writer.session, register_id=register_id)
        return service.append_version(
            session=writer.session,
            department=writer.department,
            signer=writer.signer,
            register=register,
            record_id=record_id,
            content=version_in.content,
            closing=closing,
            expected_version=version_in.expected_version,
        )

    return writer.accept(version_in, action)


@router.post(
    "/registers/{register_id}/records/{record_id}/amend",
    status_code=202,
    response_model=WriteAccepted,
    summary="Amend a record: a new active version (the previous one becomes amended)",
    responses=WRITE_PROBLEMS,
)
def amend_record(
    register_id: RegisterIdPath, record_id: RecordIdPath, amend_in: RecordAmend, writer: WriterDep
) -> Any:
    return _append_version(writer, register_id, record_id, amend_in, closing=False)


@router.post(
    "/registers/{register_id}/records/{record_id}/close",
    status_code=202,
    response_model=WriteAccepted,
    summary="Close a record with its closing decision (no further versions)",
    responses=WRITE_PROBLEMS,
)
def close_record(
    register_id: RegisterIdPath, record_id: RecordIdPath, close_in: RecordClose, writer: WriterDep
) -> Any:
    return _append_version(writer, register_id, record_id, close_in, closing=True)


@router.post(
    "/registers/{register_id}/records/{record_id}/erase",
    status_code=202,
    response_model=WritesAccepted,
    summary="Erase (GDPR): delete content and salt, mark the versions erased on chain",
    responses=WRITE_PROBLEMS,
)
def erase_record(
    register_id: RegisterIdPath, record_id: RecordIdPath, erase_in: RecordErase, writer: WriterDep
) -> Any:
    def action() -> BaseModel:
        register = service.get_register(session=writer.session, register_id=register_id)
        writes = service.erase_record(
            session=writer.session,
            department=writer.department,
            signer=writer.signer,
            register=register,
            record_id=record_id,
            reason=erase_in.reason,
            versions=erase_in.versions,
        )
        # stored answers that name the record go with its content (same transaction)
        retention.erase_answers(
            writer.session, department=writer.department.code, names=[record_id]
        )
        return WritesAccepted(count=len(writes), writes=writes)

    return writer.accept(erase_in, action)


@router.get(
    "/writes/{write_id}",
    response_model=WritePublic,
    summary="Status of a write: pending, submitted, anchored (with tx hash and block) or failed",
    responses={401: AUTH_PROBLEMS[401]},
)
def get_write(
    write_id: Annotated[str, Path(pattern="^[0-9a-f]{32}$")],
    session: ReadSessionDep,
    department: CurrentDepartment,
) -> Any:
    return service.get_write(session=session, department=department, write_id=write_id)
