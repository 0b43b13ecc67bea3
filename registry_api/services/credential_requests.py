"""Citizens' credential requests and the departments' decisions on them: the rules, no HTTP.

States::

    submitted ──approve──▶ approved ──(OpenID4VCI delivery)──▶ issued
        │  ╲                  ▲
        │   ╲ (fee not paid yet)  awaiting_payment ──receipt mined──┘
        └──reject──▶ rejected

The claims (personal data) stay in this store, never on chain, and are deleted
``request_retention_seconds`` after the request completed (issued or rejected). A department sees
and decides the requests of the credential types its API key is scoped to; it may correct claims
when approving. Approval makes a credential offer with a single-use, expiring pre-authorized code
(:mod:`registry_api.services.openid4vci`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from registry_api.core.errors import RegistryError
from registry_api.core.security import Department
from registry_api.models.identity_tables import CitizenSession, CredentialRequestRow
from registry_core.credential_types import CREDENTIAL_TYPES
from registry_core.schemas import validator_for

SUBMITTED, AWAITING_PAYMENT, APPROVED, ISSUED, REJECTED = (
    "submitted",
    "awaiting_payment",
    "approved",
    "issued",
    "rejected",
)
STATES = (SUBMITTED, AWAITING_PAYMENT, APPROVED, ISSUED, REJECTED)
DECIDABLE = (SUBMITTED,)  # awaiting_payment moves on only with the payment's receipt
COMPLETED = (ISSUED, REJECTED)


def _problem(status: int, kind: str, detail: str, detail_de: str, **extra: Any) -> RegistryError:
    return RegistryError(
        status=status,
        kind=kind,
        title="Credential request refused / Antrag abgelehnt",
        detail=detail,
        detail_de=detail_de,
        **extra,
    )


def check_claims(type_code: str, claims: dict[str, Any]) -> None:
    spec = CREDENTIAL_TYPES.get(type_code)
    if spec is None:
        raise _problem(
            422,
            "unknown-credential-type",
            f"{type_code!r:.40} is not a credential type of the city",
            "unbekannte Nachweisart",
            valid=sorted(CREDENTIAL_TYPES),
        )
    errors = [
        {"path": e.path, "message": e.message[:200]}
        for e in validator_for(spec.schema, cache_key=spec.schema_hash.hex()).violations([claims])
    ]
    if errors:
        raise _problem(
            422,
            "invalid-claims",
            f"{len(errors)} claim(s) do not fit the {type_code} schema",
            "die Angaben passen nicht zur Nachweisart",
            errors=errors[:20],
        )


def submit(
    session: Session, *, citizen: CitizenSession, type_code: str, claims: dict[str, Any], now: int
) -> CredentialRequestRow:
    check_claims(type_code, claims)
    row = CredentialRequestRow(
        id=uuid.uuid4().hex,
        did=citizen.did,
        type=type_code,
        claims=claims,
        state=SUBMITTED,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.commit()
    return row


EXPIRED_REASON = (
    "not decided in time; the claims are deleted / nicht rechtzeitig entschieden; "
    "die Angaben sind gelöscht"
)


def purge(session: Session, *, now: int, retention: int, open_for: int) -> int:
    """Delete the personal data of requests completed more than ``retention`` seconds ago, and
    close requests left undecided (or unpaid) for ``open_for`` seconds as rejected, their claims
    deleted at once; the number of requests whose claims were deleted."""
    expired = session.exec(
        update(CredentialRequestRow)
        .where(
            col(CredentialRequestRow.completed_at).is_(None),
            col(CredentialRequestRow.updated_at) < now - open_for,
        )
        .values(
            state=REJECTED, reason=EXPIRED_REASON, claims=None, updated_at=now, completed_at=now
        )
    )
    completed = session.exec(
        update(CredentialRequestRow)
        .where(
            col(CredentialRequestRow.completed_at) < now - retention,
            col(CredentialRequestRow.claims).is_not(None),
        )
        .values(claims=None)
    )
    session.commit()
    return int(expired.rowcount) + int(completed.rowcount)


def of_citizen(session: Session, did: str, *, limit: int = 100) -> list[CredentialRequestRow]:
    query = (
        select(CredentialRequestRow)
        .where(CredentialRequestRow.did == did)
        .order_by(col(CredentialRequestRow.created_at).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def one_of_citizen(session: Session, did: str, request_id: str) -> CredentialRequestRow:
    row = session.get(CredentialRequestRow, request_id[:32])
    if row is None or row.did != did:  # someone else's request looks like none
        raise _problem(404, "unknown-request", "no such request of yours", "kein solcher Antrag")
    return row


def for_department(
    session: Session, department: Department, *, state: str, limit: int, offset: int
) -> list[CredentialRequestRow]:
    types = [code for code in CREDENTIAL_TYPES if department.may_issue(code)]
    query = (
        select(CredentialRequestRow)
        .where(col(CredentialRequestRow.type).in_(types), CredentialRequestRow.state == state)
        .order_by(col(CredentialRequestRow.created_at))
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(query))


def _decidable(session: Session, department: Department, request_id: str) -> CredentialRequestRow:
    row = session.get(CredentialRequestRow, request_id[:32])
    if row is None or not department.may_issue(row.type):
        raise _problem(
            404,
            "unknown-request",
            "no request of a credential type this API key may issue has that id",
            "kein solcher Antrag für diesen Schlüssel",
        )
    if row.state not in DECIDABLE:
        raise _problem(
            409,
            "request-not-pending",
            f"the request is {row.state}, not waiting for a decision",
            "über den Antrag ist schon entschieden",
            state=row.state,
        )
    return row


def approve(
    session: Session,
    *,
    department: Department,
    request_id: str,
    corrections: dict[str, Any] | None,
    now: int,
    awaits_fee: bool = False,
) -> CredentialRequestRow:
    """Approve; a request whose fee is not paid yet (``awaits_fee``) waits in
    ``awaiting_payment`` until its receipt is mined (``services/payments.release_paid``)."""
    row = _decidable(session, department, request_id)
    claims = {**(row.claims or {}), **(corrections or {})}
    check_claims(row.type, claims)
    state = AWAITING_PAYMENT if awaits_fee else APPROVED
    row.claims, row.state, row.department, row.updated_at = claims, state, department.code, now
    session.add(row)
    session.commit()
    return row


def reject(
    session: Session, *, department: Department, request_id: str, reason: str, now: int
) -> CredentialRequestRow:
    row = _decidable(session, department, request_id)
    row.state, row.reason, row.department = REJECTED, reason, department.code
    row.updated_at = row.completed_at = now
    session.add(row)
    session.commit()
    return row


def mark_issued(
    session: Session, row: CredentialRequestRow, *, credential_hash: str, now: int
) -> None:
    row.state, row.credential_hash = ISSUED, credential_hash
    row.updated_at = row.completed_at = now
    session.add(row)
    session.commit()


def valid_until(row: CredentialRequestRow) -> int | None:
    """A claimed end of validity (``validUntil``, a date) becomes the credential's ``exp``: the
    end of that day (UTC); otherwise the type's validity applies."""
    end = (row.claims or {}).get("validUntil")
    if not isinstance(end, str):
        return None
    day = datetime.fromisoformat(end).replace(tzinfo=UTC)
    return int((day + timedelta(days=1)).timestamp()) - 1
