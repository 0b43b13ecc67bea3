"""Reads for importers and archives: many writes' states at once, and a register's records with
every version, transaction, block and Merkle proof (``registry import`` / ``registry export``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from registry_api.api.deps import CurrentDepartment, Offset, ReadSessionDep
from registry_api.models.registers import (
    REGISTER_ID_PATTERN,
    RecordsArchive,
    WritesStatus,
    WritesStatusQuery,
)
from registry_api.services import record_keys
from registry_api.services import registers as service

router = APIRouter(tags=["registers"])
ARCHIVE_PAGE_MAX = 1000


@router.post(
    "/writes/status",
    response_model=WritesStatus,
    summary="The states of up to 1000 writes of the department (a read: nothing is written)",
)
def writes_status(
    query: WritesStatusQuery, session: ReadSessionDep, department: CurrentDepartment
) -> Any:
    return record_keys.writes_status(session=session, department=department, ids=query.ids)


@router.get(
    "/registers/{register_id}/archive",
    response_model=RecordsArchive,
    summary="Records with every version, its content, salt, hash, transaction, block and Merkle "
    "proof, in creation order, paginated (for the department's archive)",
)
def archive(
    register_id: Annotated[str, Path(pattern=REGISTER_ID_PATTERN, examples=["TRADE"])],
    session: ReadSessionDep,
    department: CurrentDepartment,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=ARCHIVE_PAGE_MAX)] = 500,
    latest_only: Annotated[bool, Query(description="only each record's latest version")] = False,
) -> Any:
    register = service.get_register(session=session, register_id=register_id)
    service.authorize(department=department, register=register)
    return record_keys.archive(
        session=session, register=register, offset=offset, limit=limit, latest_only=latest_only
    )
