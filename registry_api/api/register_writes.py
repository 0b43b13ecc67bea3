"""What the register and record write routes share over HTTP: their write dependency (idempotency,
one commit, waking the sender) and their documented problem answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from registry_api.api import idempotency
from registry_api.api.deps import (
    CurrentDepartment,
    IdempotencyKey,
    ReadSessionDep,
    SessionDep,
    SignerDep,
)
from registry_api.core.errors import PROBLEM_BASE, PROBLEM_JSON, RegistryError
from registry_api.core.security import Department
from registry_api.models.registers import WriteAccepted
from registry_api.services.writes import refuse_suspended


def problem_example(status: int, kind: str, title: str, detail: str) -> dict[str, Any]:
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
    401: problem_example(
        401,
        "invalid-api-key",
        "The API key is not valid",
        "the X-API-Key header does not hold a valid, unrevoked API key",
    ),
    403: problem_example(
        403,
        "wrong-department",
        "The register belongs to another department",
        "register TRADE is owned by department FB02; this API key belongs to FB33",
    ),
    404: problem_example(
        404, "unknown-register", "Unknown register", "there is no register 'TRADES'"
    ),
}
WRITE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **AUTH_PROBLEMS,
    409: problem_example(
        409,
        "record-not-active",
        "The record takes no new versions",
        "record 0x… is closed; it takes no new versions",
    ),
    422: problem_example(
        422,
        "schema-violation",
        "The record does not follow the register's schema",
        "1 schema violation(s) against register TRADE; first: /legal_form: 'Ltd' is not one of […]",
    ),
    503: problem_example(
        503,
        "no-signing-key",
        "The department cannot sign writes",
        "no signing key of department FB32 is unlocked in this API",
    ),
}


@dataclass(frozen=True)
class RegisterWriter:
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


def register_writer(
    request: Request,
    session: SessionDep,
    read_session: ReadSessionDep,
    department: CurrentDepartment,
    signer: SignerDep,
    idempotency_key: IdempotencyKey = None,
) -> RegisterWriter:
    return RegisterWriter(request, session, read_session, department, signer, idempotency_key)


WriterDep = Annotated[RegisterWriter, Depends(register_writer)]
