"""``Idempotency-Key`` for the write endpoints (registers and credentials).

A department that sends a write with a key gets, for every repeat with the same key, method, path
and body, the answer stored for the first one, with ``Idempotent-Replay: true``; the same key with
another method, path or body is refused (``422 idempotency-key-reused``). Keys belong to the
department (``idempotency_entry``'s primary key is department + key). Only successful answers are
stored, so a refused request may be sent again with the same key.

The routes decide *when* to look up and store (registers commit the entry with the write itself;
credentials store it after the chain accepted the transaction); this module does the rest.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from registry_api.core.errors import RegistryError
from registry_api.models.tables import IdempotencyEntry
from registry_core.hashing import canonical_json

REPLAY_HEADER = "Idempotent-Replay"


class OrjsonResponse(JSONResponse):
    """JSON through orjson: a write's answer, stored or fresh (a bulk answer lists up to
    thousands of writes)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def fingerprint(request: Request, body: BaseModel) -> str:
    """sha256 of the method, the path and the body's RFC 8785 JSON: what a repeat must match."""
    payload = canonical_json(body.model_dump(mode="json", by_alias=True))
    return hashlib.sha256(
        request.method.encode() + b" " + request.url.path.encode() + b"\n" + payload
    ).hexdigest()


def replay(entry: IdempotencyEntry, *, fingerprint: str, key: str) -> JSONResponse:
    """The stored answer again, or the problem if the key was used for another request."""
    if entry.fingerprint != fingerprint:
        raise RegistryError(
            status=422,
            kind="idempotency-key-reused",
            title="The Idempotency-Key was used for another request",
            detail=(
                f"Idempotency-Key {key!r} was used before with a different request body or path; "
                "use a new key for a new request"
            ),
        )
    return OrjsonResponse(
        entry.body, status_code=entry.status_code, headers={REPLAY_HEADER: "true"}
    )


def lookup(session: Session, *, department: str, key: str) -> IdempotencyEntry | None:
    return session.get(IdempotencyEntry, (department, key))


def replay_stored(
    session: Session, *, department: str, key: str, fingerprint: str
) -> JSONResponse | None:
    """The replay of the answer stored under ``key`` (or its problem); None if there is none."""
    entry = lookup(session, department=department, key=key)
    return None if entry is None else replay(entry, fingerprint=fingerprint, key=key)


def add(
    session: Session,
    *,
    department: str,
    key: str,
    fingerprint: str,
    status_code: int,
    body: dict[str, Any],
) -> None:
    """Add the answer to ``session``'s transaction (the caller commits it)."""
    session.add(
        IdempotencyEntry(
            department=department,
            key=key,
            fingerprint=fingerprint,
            status_code=status_code,
            body=body,
        )
    )


def store(
    session: Session,
    *,
    department: str,
    key: str,
    fingerprint: str,
    status_code: int,
    body: dict[str, Any],
) -> JSONResponse | None:
    """Commit the answer under ``key``; None, or the replay of a concurrent request's answer.

    ``session`` must hold nothing else: a concurrent request that stored its answer first makes
    the insert fail, and its answer (or, for another body, the problem) is what this one gets.
    """
    add(
        session,
        department=department,
        key=key,
        fingerprint=fingerprint,
        status_code=status_code,
        body=body,
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        try:
            stored = replay_stored(session, department=department, key=key, fingerprint=fingerprint)
        finally:
            session.rollback()  # end the lookup's transaction (on SQLite: the writer lock)
        if stored is None:
            raise
        return stored
    return None
