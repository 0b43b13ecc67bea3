"""``Idempotency-Key`` for the write endpoints (registers and credentials).

A department that sends a write with a key gets, for every repeat with the same key, method, path
and body, the answer stored for the first one, with ``Idempotent-Replay: true``; the same key with
another method, path or body is refused (``422 idempotency-key-reused``). Keys belong to the
department (``idempotency_entry``'s primary key is department + key). Only successful answers are
stored, so a refused request may be sent again with the same key.

Stored answers are kept for ``CITY_API_IDEMPOTENCY_RETENTION_SECONDS`` (24 h); one that names a
record erased or a credential revoked since is replaced by a ``410`` problem
(``services/retention.py``).

Two strategies, by when the answer is known:

* register writes answer ``202`` at once: the entry is committed with the write itself
  (:func:`add`, in the route's own transaction);
* credential writes wait (bounded) for their outbox rows (:class:`AwaitedWrite`): the entry is
  committed *open* with the write (a ``202`` answer with the status URL, and the write it waits
  on), so a retry can never make a second credential or a second anchoring, even if this process
  dies. Whoever settles it first (the request once the write is mined, or a retry) turns it into
  the final answer (``201``/``200``), keeps the ``202`` (not mined within the wait) or, if the chain
  refused the write, drops it (a refused request may be sent again with the same key).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from registry_api.core.errors import PROBLEM_JSON, RegistryError
from registry_api.models.tables import IdempotencyEntry
from registry_core.hashing import canonical_json

REPLAY_HEADER = "Idempotent-Replay"


class OrjsonResponse(JSONResponse):
    """JSON through orjson: a write's answer, stored or fresh (a bulk answer lists up to
    thousands of writes)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def fingerprint(request: Request, body: BaseModel) -> str:
    """sha256 of the method, the path and the body's RFC 8785 JSON: what a repeat must match.

    Register and credential bodies are exact JSON already (``models.base.RequestBody``); a body
    RFC 8785 has no form for (a payment's uint256 beyond 2**53) is fingerprinted as sorted JSON."""
    document = body.model_dump(mode="json", by_alias=True)
    try:
        payload = canonical_json(document)
    except ValueError:  # rfc8785's CanonicalizationError; never a 500 from a fingerprint
        payload = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
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
    # an answer erased since (services/retention.py) is a problem
    media_type = PROBLEM_JSON if entry.status_code >= 400 else None
    return OrjsonResponse(
        entry.body,
        status_code=entry.status_code,
        headers={REPLAY_HEADER: "true"},
        media_type=media_type,
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


# ---- writes that wait for their outbox rows ---------------------------------------------------


class Pipeline(Protocol):
    """The write path as a request sees it (``registry_api.chain.outbox.WritePipeline``)."""

    def wake(self, department_or_signer: str) -> None: ...

    async def wait(self, write_ids: Sequence[str], timeout: float) -> Any: ...


class Accepted(Protocol):
    """What a service answers when it added a write: the ``202`` body."""

    @property
    def write_id(self) -> str: ...

    @property
    def status_url(self) -> str: ...

    def model_dump(self, *, mode: str) -> dict[str, Any]: ...


Final = tuple[int, BaseModel]
# After the wait: the final answer, None while the write is not settled; raises the problem if
# the chain refused the write.
Settle = Callable[[str], Final | None]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class AwaitedWrite:
    """One department write that answers once its outbox row is settled, or ``202`` after
    ``wait_seconds`` (see the module's docstring)."""

    request: Request
    session: Session
    read_session: Session
    department: str
    key: str | None
    pipeline: Pipeline
    wait_seconds: float

    async def run(self, body: BaseModel, *, accept: Callable[[], Accepted], settle: Settle) -> Any:
        fingerprint_ = fingerprint(self.request, body) if self.key else ""
        if self.key:
            entry = await run_in_threadpool(self._entry, self.read_session)
            if entry is not None:
                return await self._replay(entry, fingerprint_, settle)
        accepted = await run_in_threadpool(self._accept, accept, fingerprint_)
        if isinstance(accepted, IdempotencyEntry):  # a concurrent request with the key was first
            return await self._replay(accepted, fingerprint_, settle)
        self.pipeline.wake(self.department)
        await self.pipeline.wait([accepted.write_id], self.wait_seconds)
        return await run_in_threadpool(
            self._finish, accepted.write_id, settle, _pending(accepted), False
        )

    def _entry(self, session: Session) -> IdempotencyEntry | None:
        assert self.key
        session.rollback()  # a fresh snapshot of the store
        return lookup(session, department=self.department, key=self.key)

    def _accept(
        self, accept: Callable[[], Accepted], fingerprint_: str
    ) -> Accepted | IdempotencyEntry:
        accepted = accept()
        if self.key:
            self.session.add(
                IdempotencyEntry(
                    department=self.department,
                    key=self.key,
                    fingerprint=fingerprint_,
                    status_code=202,
                    body=accepted.model_dump(mode="json"),
                    write_id=accepted.write_id,
                    open_until=datetime.now(UTC) + timedelta(seconds=self.wait_seconds),
                )
            )
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            if self.key:
                entry = self._entry(self.read_session)
                if entry is not None:
                    return entry  # what was added here is gone with the rollback
            raise
        return accepted

    async def _replay(self, entry: IdempotencyEntry, fingerprint_: str, settle: Settle) -> Any:
        if entry.open_until is None or entry.write_id is None:
            return replay(entry, fingerprint=fingerprint_, key=self.key or "")
        replay(entry, fingerprint=fingerprint_, key=self.key or "")  # the key-reused problem
        remaining = (_aware(entry.open_until) - datetime.now(UTC)).total_seconds()
        if remaining > 0:
            await self.pipeline.wait([entry.write_id], min(remaining, self.wait_seconds))
        pending = OrjsonResponse(entry.body, status_code=202)
        return await run_in_threadpool(self._finish, entry.write_id, settle, pending, True)

    def _finish(self, write_id: str, settle: Settle, pending: JSONResponse, replayed: bool) -> Any:
        self.read_session.rollback()  # a fresh snapshot of the store
        try:
            final = settle(write_id)
        except RegistryError:
            if self.key:  # only successful answers are kept: the request may be sent again
                self._update(delete(IdempotencyEntry))
            raise
        if not self.key:
            if final is None:
                return pending
            return OrjsonResponse(final[1].model_dump(mode="json"), status_code=final[0])
        if final is None:
            self._update(update(IdempotencyEntry).values(open_until=None))
        else:
            status_code, answer = final
            self._update(
                update(IdempotencyEntry).values(
                    status_code=status_code, body=answer.model_dump(mode="json"), open_until=None
                )
            )
        entry = self._entry(self.read_session)
        if entry is None:
            raise RegistryError(
                status=409,
                kind="concurrent-write",
                title="Another request with this key was refused meanwhile",
                detail="a concurrent request with the same Idempotency-Key was refused by the "
                "chain; send the request again",
            )
        self.read_session.rollback()
        headers = {REPLAY_HEADER: "true"} if replayed else {}
        if entry.status_code == 202:
            headers["Location"] = str(entry.body.get("status_url", ""))
        media_type = PROBLEM_JSON if entry.status_code >= 400 else None  # erased meanwhile
        return OrjsonResponse(
            entry.body, status_code=entry.status_code, headers=headers, media_type=media_type
        )

    def _update(self, statement: Any) -> None:
        """Change this key's entry only while it is open (whoever settles it first wins)."""
        assert self.key
        self.session.execute(
            statement.where(col(IdempotencyEntry.department) == self.department)
            .where(col(IdempotencyEntry.key) == self.key)
            .where(col(IdempotencyEntry.open_until).is_not(None))
        )
        self.session.commit()


def _pending(accepted: Accepted) -> JSONResponse:
    return OrjsonResponse(
        accepted.model_dump(mode="json"),
        status_code=202,
        headers={"Location": accepted.status_url},
    )
