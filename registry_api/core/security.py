"""Department API keys: high-entropy tokens, stored as SHA-256 hashes, scoped to registers.

A token reads ``crk_<key id>_<secret>``; the key id finds the row, the secret's hash is compared in
constant time. Unknown key ids are compared against a dummy hash, so they take as long as known ones.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlmodel import Session

from registry_api.models.tables import ApiKey

TOKEN_PREFIX = "crk"  # noqa: S105  (a prefix, not a secret)
_TOKEN = re.compile(r"^crk_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$")
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class Department:
    """The caller, as established by its API key."""

    code: str
    key_id: str
    registers: frozenset[str]

    def may_use(self, register_id: str) -> bool:
        return "*" in self.registers or register_id in self.registers


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_api_key(
    *, session: Session, department: str, registers: list[str], label: str = ""
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its token (shown once, never stored)."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(
        id=key_id,
        department=department,
        registers=sorted(set(registers)),
        key_hash=_hash(secret),
        label=label,
    )
    session.add(row)
    return row, f"{TOKEN_PREFIX}_{key_id}_{secret}"


def authenticate(*, session: Session, token: str) -> Department | None:
    """The department of a valid, unrevoked token; None otherwise (same work either way)."""
    match = _TOKEN.match(token)
    key_id, secret = (match.group(1), match.group(2)) if match else ("", token[:64])
    row = session.get(ApiKey, key_id) if key_id else None
    expected = row.key_hash if row is not None else _DUMMY_HASH
    valid = hmac.compare_digest(_hash(secret.encode("ascii", "replace").decode()), expected)
    if row is None or not valid or row.revoked:
        return None
    return Department(code=row.department, key_id=row.id, registers=frozenset(row.registers))
