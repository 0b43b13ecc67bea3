"""Request and response models of the credential endpoints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from registry_api.models.base import RequestBody
from registry_core.reason_codes import (
    MAX_REASON_CODE,
    REASON_CODES,
    describe_reason_codes,
    is_reason_code,
)

HOLDER_EXAMPLE = "did:ethr:0xcb5e:0x70997970c51812dc3a010c7d01b50e0d17dc79c8"


def _chain_accepts(reason_code: int) -> int:
    """Refuse the reason code the chain would refuse (7, unused by RFC 5280), as a 422."""
    if not is_reason_code(reason_code):
        raise ValueError(f"{reason_code} is not a reason code: {describe_reason_codes()}")
    return reason_code


WriteStatus = Literal["pending", "submitted", "anchored", "failed", "held"]


class IssueRequest(RequestBody):
    type: str = Field(max_length=32, examples=["RESIDENCE_CERT"])
    holder_did: str = Field(max_length=200, examples=[HOLDER_EXAMPLE])
    claims: dict[str, Any] = Field(
        examples=[
            {
                "givenName": "Erika",
                "familyName": "Mustermann",
                "birthDate": "1964-08-12",
                "address": "Markt 1, 52062 Aachen",
            }
        ]
    )
    valid_until: int | None = Field(None, description="Unix seconds; default: the type's validity")


class BatchItem(BaseModel):
    holder_did: str = Field(max_length=200)
    claims: dict[str, Any]
    valid_until: int | None = None


class BatchIssueRequest(RequestBody):
    type: str = Field(max_length=32, examples=["PARKING_PERMIT"])
    items: list[BatchItem] = Field(min_length=1, max_length=1024)


class IssuedOut(BaseModel):
    credential: str = Field(
        description="The envelope: the VC-JWT, '~' and its batch proof (base64url of the root "
        "and the sibling hashes; a credential anchored alone has the root only)"
    )
    credential_hash: str = Field(description="keccak256 of the JWT, a leaf under the root")
    qr_payload: str = Field(description="CRV1: QR payload (see README)")
    issuer: str
    root: str = Field(description="The Merkle root anchored on chain")
    write_id: str = Field(description="The outbox write that anchored it")
    tx_hash: str
    block: int


class BatchIssuedOut(BaseModel):
    root: str
    count: int
    write_id: str
    tx_hash: str
    block: int
    credentials: list[IssuedOut]


class IssueAccepted(BaseModel):
    """The answer when the anchoring is not mined within the wait: look again at ``status_url``."""

    write_id: str
    status: WriteStatus
    status_url: str
    credential_hashes: list[str]


class IssuanceStatus(BaseModel):
    write_id: str
    status: WriteStatus
    error: str | None = None
    credential: IssuedOut | None = Field(None, description="Once anchored (single issuance)")
    batch: BatchIssuedOut | None = Field(None, description="Once anchored (batch issuance)")


class StatusChange(RequestBody):
    reason_code: Annotated[int, AfterValidator(_chain_accepts)] = Field(
        0,
        ge=0,
        le=MAX_REASON_CODE,
        description=describe_reason_codes(),
        json_schema_extra={"enum": list(REASON_CODES)},
    )
    credential: str | None = Field(
        None,
        max_length=12000,
        description="The credential envelope: needed for a batch member's first suspension or "
        "revocation when this API did not issue it (it carries the proof)",
    )


class StatusOut(BaseModel):
    credential_hash: str
    state: Literal["unknown", "active", "suspended", "revoked"]
    issuer_department: str | None
    type: str | None
    anchored_block: int | None
    anchored_at: int | None
    reason_code: int
    changed_at: int | None


class StatusChangeAccepted(BaseModel):
    """The answer when the status change is not mined within the wait."""

    write_id: str
    status: WriteStatus
    status_url: str
    credential_hash: str


class QrRequest(RequestBody):
    credential: str | None = Field(None, max_length=12000, description="VC-JWT or envelope")
    payload: str | None = Field(None, max_length=4296, description="A CRV1: payload")
