"""Request and response models of public verification (``routes/verify.py``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from registry_api.models.base import RequestBody


class VerifyRequest(RequestBody):
    payload: str = Field(
        max_length=65536,
        description="A CRV1: QR payload, a credential envelope or a bare VC-JWT",
        examples=["CRV1:6BFOXN*TS0BI$ZDFRH…"],
    )
    presentation: str | None = Field(
        None, max_length=65536, description="A VP-JWT by the holder, for the holder check"
    )
    audience: str | None = Field(None, max_length=200, description="Expected `aud` of the VP")
    nonce: str | None = Field(None, max_length=200, description="Expected `nonce` of the VP")


class VerificationCheck(BaseModel):
    name: str = Field(examples=["status"])
    status: str = Field(examples=["failed"])
    code: str = Field(examples=["revoked"])
    reason_de: str = Field(examples=["Der Nachweis wurde widerrufen (nicht angegeben)."])
    reason_en: str = Field(examples=["The credential has been revoked (unspecified)."])


class VerifyOut(BaseModel):
    valid: bool = Field(description='`outcome == "valid"` (kept for existing clients)')
    outcome: Literal["valid", "invalid", "unconfirmed"] = Field(
        description="`valid`, `invalid`, or `unconfirmed` (cannot be confirmed offline yet: only "
        "offline verifiers with an older trust bundle answer it; this API verifies online)",
        examples=["valid"],
    )
    reason: str = Field(description="Code of the first failed check; empty when valid")
    mode: Literal["online", "offline"] = Field(
        description="How it was verified: this API always answers `online`, from the chain's "
        "current state (knowledge_block: the head it read)",
        examples=["online"],
    )
    knowledge_block: int | None
    knowledge_time: int | None
    checks: list[VerificationCheck]
    credential: dict[str, Any] = Field(description="Non-sensitive fields of the credential")
    payload: str | None = Field(None, description="The payload read from an uploaded image")
