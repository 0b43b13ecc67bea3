"""Tables of the identity domain: sign-in nonces, citizen sessions, credential requests, OpenID4VCI
codes, tokens and nonces.

Times are unix seconds (integers compare the same on SQLite and PostgreSQL). Secrets handed to
clients (session tokens, pre-authorized codes, access tokens) are stored as SHA-256 hashes only.
Every single-use value is consumed by one conditional ``UPDATE … WHERE used_at IS NULL``, so two
API processes can never both accept it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

DID_LEN = 80  # did:ethr:0x<chain hex>:0x<40 hex>
HASH_HEX_LEN = 64


def _time(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(BigInteger, nullable=nullable, index=index))


class SignInNonce(SQLModel, table=True):
    __tablename__ = "sign_in_nonce"

    nonce: str = Field(primary_key=True, max_length=32)
    expires_at: int = _time(index=True)
    used_at: int | None = _time(nullable=True)


class CitizenSession(SQLModel, table=True):
    __tablename__ = "citizen_session"

    token_hash: str = Field(primary_key=True, max_length=HASH_HEX_LEN)
    address: str = Field(max_length=42)
    did: str = Field(max_length=DID_LEN, index=True)
    created_at: int = _time()
    expires_at: int = _time()
    revoked_at: int | None = _time(nullable=True)


class CredentialRequestRow(SQLModel, table=True):
    """A citizen's request; ``claims`` (personal data) is emptied a while after completion."""

    __tablename__ = "credential_request"
    __table_args__ = (Index("ix_credential_request_type_state", "type", "state"),)

    id: str = Field(primary_key=True, max_length=32)
    did: str = Field(max_length=DID_LEN, index=True)
    type: str = Field(max_length=32)
    claims: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    state: str = Field(max_length=20)  # submitted | awaiting_payment | approved | issued | rejected
    reason: str = Field(default="", max_length=500)
    department: str | None = Field(default=None, max_length=32)
    credential_hash: str | None = Field(default=None, max_length=66)
    created_at: int = _time()
    updated_at: int = _time()
    completed_at: int | None = _time(nullable=True, index=True)


class PreAuthorizedCode(SQLModel, table=True):
    __tablename__ = "pre_authorized_code"

    code_hash: str = Field(primary_key=True, max_length=HASH_HEX_LEN)
    request_id: str = Field(max_length=32, index=True)
    expires_at: int = _time()
    used_at: int | None = _time(nullable=True)


class IssuanceToken(SQLModel, table=True):
    __tablename__ = "issuance_token"

    token_hash: str = Field(primary_key=True, max_length=HASH_HEX_LEN)
    request_id: str = Field(max_length=32)
    expires_at: int = _time()
    used_at: int | None = _time(nullable=True)


class CredentialNonce(SQLModel, table=True):
    __tablename__ = "credential_nonce"

    c_nonce: str = Field(primary_key=True, max_length=48)
    expires_at: int = _time(index=True)
    used_at: int | None = _time(nullable=True)
