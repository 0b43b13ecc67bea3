"""Request and response models of the identity domain (sign-in, sessions, credential requests)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from registry_api.models.base import RequestBody

State = Literal["submitted", "awaiting_payment", "approved", "issued", "rejected"]
DID_EXAMPLE = "did:ethr:0xcb5e:0x70997970c51812dc3a010c7d01b50e0d17dc79c8"


class NonceOut(BaseModel):
    nonce: str = Field(examples=["k3Jd9s0QpLx7mN2aZ"])
    expires_at: int = Field(description="unix seconds")


class SignInIn(RequestBody):
    message: str = Field(max_length=2048, description="The EIP-4361 message text")
    signature: str = Field(max_length=200, pattern="^0x[0-9a-fA-F]{130}$")


class SessionOut(BaseModel):
    token: str = Field(description="Bearer token; short-lived, revoked by /auth/logout")
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105  (the scheme)
    expires_at: int
    address: str
    did: str = Field(examples=[DID_EXAMPLE])


class RequestIn(RequestBody):
    type: str = Field(max_length=32, examples=["RESIDENT_PARKING"])
    claims: dict[str, Any] = Field(
        examples=[{"zone": "A3", "licensePlate": "AC-EM 1964", "validUntil": "2027-11-30"}]
    )


class RequestOut(BaseModel):
    id: str
    type: str
    state: State
    did: str
    reason: str = ""
    department: str | None = None
    claims: dict[str, Any] | None = Field(
        None, description="Personal data; deleted a configured time after completion"
    )
    credential_hash: str | None = None
    credential_offer: str | None = Field(
        None, description="openid-credential-offer:// URI (approved requests; single-use code)"
    )
    created_at: int
    updated_at: int


class RequestsOut(BaseModel):
    data: list[RequestOut]
    count: int


class ApproveIn(RequestBody):
    claims: dict[str, Any] | None = Field(None, description="Corrections, merged over the claims")


class RejectIn(RequestBody):
    reason: str = Field(min_length=1, max_length=500, examples=["Kein Wohnsitz in der Zone A3"])


class ChangeOwnerIn(RequestBody):
    """``changeOwnerSigned``'s arguments, signed by the DID's current key (``registry_core.erc1056``)."""

    identity: str = Field(pattern="^0x[0-9a-fA-F]{40}$")
    new_owner: str = Field(pattern="^0x[0-9a-fA-F]{40}$")
    nonce: int = Field(ge=0, description="the registry's nonce of the current owner, signed over")
    sig_v: Literal[27, 28]
    sig_r: str = Field(pattern="^0x[0-9a-fA-F]{64}$")
    sig_s: str = Field(pattern="^0x[0-9a-fA-F]{64}$")


class RelayedOut(BaseModel):
    write_id: str
    status: str = Field(
        description="the write's state in the outbox (pending, submitted, anchored …)"
    )
