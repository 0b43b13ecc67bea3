"""Personal data kept no longer than needed (issue 12 item 5): what the API stores besides the
registers' records, how long it keeps it, and how far an erasure reaches.

=============================================  ================================================
what (holds)                                   kept
=============================================  ================================================
stored Idempotency-Key answers (a credential   ``CITY_API_IDEMPOTENCY_RETENTION_SECONDS`` after
answer: the VC-JWT with name, birth date,      they were stored (24 h); an answer whose write is
address; a record write's: its ids)            still awaited stays until it is settled
credential requests' claims                    ``CITY_API_REQUEST_RETENTION_SECONDS`` after the
                                               request completed (30 days); a request left
                                               undecided or unpaid for
                                               ``CITY_API_REQUEST_OPEN_SECONDS`` (90 days) is
                                               closed as rejected, its claims deleted at once
sign-in nonces, citizen sessions (address,     ``CITY_API_AUTH_RETENTION_SECONDS`` after they
DID), OpenID4VCI codes, tokens and nonces      expired or were logged out (24 h)
issued credentials' VC-JWTs (the claims;      ``CITY_API_IDEMPOTENCY_RETENTION_SECONDS`` after
kept to hand out after a ``202``)              they were signed, once their anchoring settled;
                                               at once when the credential is revoked (hash,
                                               root and proof stay for status changes)
rate-limit counts (client addresses)           an hour (they count one minute)
=============================================  ================================================

The worker purges every ``CITY_API_RETENTION_PURGE_SECONDS`` (:class:`Purger`). The API writes
no request log: uvicorn runs with ``--no-access-log`` (``scripts/services.py``) and no route logs
a request body.

Erasure reaches the stored answers: a record's GDPR erasure and a credential's revocation replace
every stored answer of the department that names the record or the credential by a ``410``
problem (:func:`erase_answers`). The entry itself stays until its time is up, so a retry with the
same key learns that the answer is gone and never makes a second write.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, Text, cast, delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from registry_api.core.config import Settings
from registry_api.core.errors import PROBLEM_BASE
from registry_api.models.identity_tables import (
    CitizenSession,
    CredentialNonce,
    IssuanceToken,
    PreAuthorizedCode,
    SignInNonce,
)
from registry_api.models.limit_tables import RateLimitHit
from registry_api.models.tables import IdempotencyEntry, IssuedCredential, Write
from registry_api.services import credential_requests

log = logging.getLogger(__name__)

RATE_COUNT_SECONDS = 3600
ERASED_STATUS = 410


def erased_answer() -> dict[str, object]:
    """What a stored answer becomes when what it names is erased or revoked."""
    return {
        "type": PROBLEM_BASE + "answer-erased",
        "title": "The stored answer was erased / Die gespeicherte Antwort wurde gelöscht",
        "status": ERASED_STATUS,
        "detail": "the answer to this Idempotency-Key named a record or credential that was "
        "erased or revoked since; it is not kept (read the record or the credential's status)",
        "detail_de": "die Antwort nannte einen inzwischen gelöschten Eintrag oder widerrufenen "
        "Nachweis; sie wird nicht aufbewahrt",
    }


def erase_answers(session: Session, *, department: str, names: Sequence[str]) -> int:
    """Replace the department's stored answers that contain any of ``names`` (record ids,
    credential hashes) by the ``410`` problem, and empty the issued JWTs of those credentials, in
    ``session``'s transaction."""
    if not names:
        return 0
    session.execute(
        update(IssuedCredential)
        .where(col(IssuedCredential.department) == department)
        .where(col(IssuedCredential.credential_hash).in_(list(names)))
        .values(jwt=None)
    )
    text = cast(col(IdempotencyEntry.body), Text)
    result = session.execute(
        update(IdempotencyEntry)
        .where(col(IdempotencyEntry.department) == department)
        .where(or_(*(text.contains(name, autoescape=True) for name in names)))
        .values(status_code=ERASED_STATUS, body=erased_answer(), open_until=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge(session: Session, settings: Settings, *, now: float) -> dict[str, int]:
    """Delete what is past its retention (see the module's table); counts by kind."""
    moment = datetime.fromtimestamp(now, UTC)
    answers_before = moment - timedelta(seconds=settings.idempotency_retention_seconds)
    auth_before = int(now) - settings.auth_retention_seconds
    statements = {
        "idempotency answers": delete(IdempotencyEntry)
        .where(col(IdempotencyEntry.created_at) < answers_before)
        .where(
            or_(
                col(IdempotencyEntry.open_until).is_(None),
                col(IdempotencyEntry.open_until) < moment,
            )
        ),
        "sign-in nonces": delete(SignInNonce).where(col(SignInNonce.expires_at) < auth_before),
        "citizen sessions": delete(CitizenSession).where(
            or_(
                col(CitizenSession.expires_at) < auth_before,
                col(CitizenSession.revoked_at) < auth_before,
            )
        ),
        "pre-authorized codes": delete(PreAuthorizedCode).where(
            col(PreAuthorizedCode.expires_at) < auth_before
        ),
        "issuance tokens": delete(IssuanceToken).where(col(IssuanceToken.expires_at) < auth_before),
        "credential nonces": delete(CredentialNonce).where(
            col(CredentialNonce.expires_at) < auth_before
        ),
        "issued credential JWTs": update(IssuedCredential)
        .where(col(IssuedCredential.created_at) < answers_before)
        .where(col(IssuedCredential.jwt).is_not(None))
        .where(
            col(IssuedCredential.write_id).in_(
                select(col(Write.id)).where(col(Write.status).in_(("anchored", "failed")))
            )
        )
        .values(jwt=None),
        "rate-limit counts": delete(RateLimitHit).where(
            col(RateLimitHit.window) < int(now) - RATE_COUNT_SECONDS
        ),
    }
    counts = {
        name: int(getattr(session.execute(statement), "rowcount", 0) or 0)
        for name, statement in statements.items()
    }
    session.commit()
    counts["request claims"] = credential_requests.purge(
        session,
        now=int(now),
        retention=settings.request_retention_seconds,
        open_for=settings.request_open_seconds,
    )
    return counts


class Purger:
    """The worker's retention loop: :func:`purge` at start and every
    ``retention_purge_seconds``; only what it deleted is logged (an idle city stays quiet)."""

    def __init__(
        self, settings: Settings, engine: Engine, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock

    def once(self) -> dict[str, int]:
        with Session(self.engine) as session:
            counts = purge(session, self.settings, now=self.clock())
        done = {name: count for name, count in counts.items() if count}
        if done:
            log.info("retention: deleted %s", ", ".join(f"{n} {name}" for name, n in done.items()))
        return counts

    def run(self, stop: threading.Event) -> None:
        while True:
            try:
                self.once()
            except SQLAlchemyError as exc:  # the store may be restarting: next round
                log.warning("retention purge failed: %s", exc.__class__.__name__)
            if stop.wait(self.settings.retention_purge_seconds):
                return
