"""Department API keys: high-entropy tokens, stored as SHA-256 hashes, scoped to registers and to
credential types.

A token reads ``crk_<key id>_<secret>``; the key id finds the row, the secret's hash is compared in
constant time. Unknown key ids are compared against a dummy hash, so they take as long as known ones.
Keys are listed and revoked by their id (``registry api-key list`` / ``revoke``); the token's secret
is never stored or shown again.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from registry_api.models.tables import ApiKey, utcnow
from registry_core.credential_types import CREDENTIAL_TYPES

# How long an API process keeps a key it has authenticated without looking it up again, and how
# often it asks the store whether any key was revoked since (registry_api.api.deps): a revocation
# takes effect within REVOCATION_CHECK_SECONDS in every API process.
AUTH_CACHE_SECONDS = 30.0
REVOCATION_CHECK_SECONDS = 1.0
TOKEN_PREFIX = "crk"  # noqa: S105  (a prefix, not a secret)
_TOKEN = re.compile(r"^crk_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$")
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class Department:
    """The caller, as established by its API key."""

    code: str
    key_id: str
    registers: frozenset[str]
    credential_types: frozenset[str] = frozenset()

    def may_use(self, register_id: str) -> bool:
        return "*" in self.registers or register_id in self.registers

    def may_issue(self, type_code: str) -> bool:
        """Whether the key may issue credentials of this type ("*": every type)."""
        return "*" in self.credential_types or type_code in self.credential_types

    @property
    def may_change_credential_status(self) -> bool:
        """Revoke, suspend and resume need some credential scope (the chain then checks that
        the department issued the credential)."""
        return bool(self.credential_types)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def unknown_credential_types(codes: Iterable[str]) -> list[str]:
    """The codes that are neither "*" nor a credential type of the city."""
    return [code for code in codes if code != "*" and code not in CREDENTIAL_TYPES]


def create_api_key(
    *,
    session: Session,
    department: str,
    registers: list[str],
    credential_types: list[str],
    label: str = "",
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its token (shown once, never stored).

    ``credential_types``: the types the key may issue (``["*"]``: all; ``[]``: none, and no
    status changes either). Unknown codes raise ``ValueError``.
    """
    unknown = unknown_credential_types(credential_types)
    if unknown:
        raise ValueError(
            f"unknown credential type {unknown[0]!r}; the city's types: "
            f"{', '.join(sorted(CREDENTIAL_TYPES))} (or '*' for all)"
        )
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(
        id=key_id,
        department=department,
        registers=sorted(set(registers)),
        credential_types=["*"] if "*" in credential_types else sorted(set(credential_types)),
        key_hash=_hash(secret),
        label=label,
    )
    session.add(row)
    return row, f"{TOKEN_PREFIX}_{key_id}_{secret}"


def list_api_keys(*, session: Session, department: str | None = None) -> list[ApiKey]:
    """Every key (revoked ones too), by department and age; optionally one department's."""
    query = select(ApiKey)
    if department is not None:
        query = query.where(col(ApiKey.department) == department)
    order = (col(ApiKey.department), col(ApiKey.created_at), col(ApiKey.id))
    return list(session.exec(query.order_by(*order)).all())


def revoke_api_key(
    *, session: Session, key_id: str, reason: str = ""
) -> tuple[ApiKey | None, bool]:
    """Mark the key revoked; returns it (None if there is no such key) and whether this call
    revoked it (False: it was revoked before, and its first revocation's time and reason stay).

    API processes notice within ``REVOCATION_CHECK_SECONDS`` (see ``registry_api.api.deps``).
    """
    result = session.execute(
        update(ApiKey)
        .where(col(ApiKey.id) == key_id)
        .where(col(ApiKey.revoked).is_(False))
        .values(revoked=True, revoked_at=utcnow(), revoked_reason=reason)
    )
    revoked_now = getattr(result, "rowcount", 0) == 1
    return session.get(ApiKey, key_id), revoked_now


def revoked_count(session: Session) -> int:
    """How many keys were ever revoked: it only grows, so a change means a new revocation."""
    return int(session.exec(select(func.count()).where(col(ApiKey.revoked).is_(True))).one())


def authenticate(*, session: Session, token: str) -> Department | None:
    """The department of a valid, unrevoked token; None otherwise (same work either way)."""
    match = _TOKEN.match(token)
    key_id, secret = (match.group(1), match.group(2)) if match else ("", token[:64])
    row = session.get(ApiKey, key_id) if key_id else None
    expected = row.key_hash if row is not None else _DUMMY_HASH
    valid = hmac.compare_digest(_hash(secret.encode("ascii", "replace").decode()), expected)
    if row is None or not valid or row.revoked:
        return None
    return Department(
        code=row.department,
        key_id=row.id,
        registers=frozenset(row.registers),
        credential_types=frozenset(row.credential_types),
    )
