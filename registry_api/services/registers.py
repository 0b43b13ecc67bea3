"""Registers: creation, listing and the department's right to use one, independent of HTTP.

A write validates, changes the tables and adds its outbox row in the caller's session; the caller
commits once, so the register (or record) and its outbox row are stored together or not at all.
Records are written in ``record_writes`` (which checks the department with :func:`authorize`
here) and read in ``record_reads``.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlmodel import Session, col, select

from registry_api.chain import hub
from registry_api.chain.node import Node
from registry_api.chain.outbox import new_write
from registry_api.core.errors import RegistryError, contract_problem
from registry_api.core.security import Department
from registry_api.models.registers import RegisterCreate, RegisterPublic, WriteAccepted
from registry_api.models.tables import Register, Write
from registry_api.services.record_validation import canonicalise, schema_hash
from registry_core.manifest import DeploymentManifest
from registry_core.schemas import SchemaInvalidError, validator_for


def hub_write(department: Department, signer: str, *, kind: str, **fields: Any) -> Write:
    """A pending outbox row of the register hub (not yet in any session)."""
    return new_write(
        department=department.code, signer=signer, planner="registers", kind=kind,
        target=hub.HUB, **fields,
    )  # fmt: skip


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


# Found registers per store engine (a process may serve several stores): the API never changes a
# register after creating it; its schema on chain (updateRegisterSchema) is not the API's to follow.
_register_caches: WeakKeyDictionary[Any, dict[str, Register]] = WeakKeyDictionary()


def get_register(*, session: Session, register_id: str) -> Register:
    """A register (cached once found, per store)."""
    cache = _register_caches.setdefault(session.get_bind(), {})
    register = cache.get(register_id)
    if register is not None:
        return register
    register = session.get(Register, register_id)
    if register is not None:
        session.expunge(register)
        cache[register_id] = register
    if register is None:
        raise RegistryError(
            status=404,
            kind="unknown-register",
            title="Unknown register",
            detail=f"there is no register {register_id!r}",
        )
    return register


def _refuse_out_of_scope(department: Department, register_id: str, *, use: str) -> None:
    if not department.may_use(register_id):
        raise RegistryError(
            status=403,
            kind="register-out-of-scope",
            title="The API key is not scoped to this register",
            detail=f"this API key of {department.code} may not {use} register {register_id}",
        )


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
    _refuse_out_of_scope(department, register.id, use="use")


def check_register_on_chain(
    *, rpc: Node, manifest: DeploymentManifest, department: Department, signer: str,
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
    _refuse_out_of_scope(department, register_in.id, use="create")
    try:
        validator_for(register_in.record_schema)
    except SchemaInvalidError as exc:
        raise RegistryError(
            status=422,
            kind="invalid-schema",
            title="The register's JSON Schema is not valid",
            detail=f"not a valid, self-contained JSON Schema (2020-12): {exc.message}",
        ) from exc
    canonicalise(register_in.record_schema, what="the schema")
    if session.get(Register, register_in.id) is not None:
        raise RegistryError(
            status=409,
            kind="register-exists",
            title="The register exists already",
            detail=f"register {register_in.id} exists already",
        )
    write = hub_write(
        department, signer, kind="register", register_id=register_in.id, mode="single"
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
