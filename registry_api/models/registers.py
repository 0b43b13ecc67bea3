"""Request and response models of the register API (the tables are in :mod:`.tables`).

The examples are the demo city's trade register (:mod:`registry_core.demo`), the schema and
records that ``make demo`` seeds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from registry_api.models.base import RequestBody, UtcDateTime
from registry_core.demo import TRADE_RECORD, TRADE_SCHEMA
from registry_core.registers import ERASURE_REASONS

RegisterId = str
REGISTER_ID_PATTERN = r"^[A-Z][A-Z0-9_-]{0,31}$"
RECORD_ID_PATTERN = r"^0x[0-9a-f]{64}$"
ErasureReason = Literal[
    "data-subject-request",
    "retention-expired",
    "unlawful-processing",
    "legal-order",
    "entered-in-error",
]
assert set(ErasureReason.__args__) == set(ERASURE_REASONS)  # type: ignore[attr-defined]

KEY_MAX_LENGTH = 200
WriteKind = Literal["register", "create", "amend", "close", "erase"]
WriteStatus = Literal["pending", "submitted", "anchored", "failed", "held"]


class RegisterCreate(RequestBody):
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "TRADE",
                    "name": "Gewerberegister / Trade register",
                    "description": "Business registrations of the city (Gewerbeanzeigen)",
                    "schema": TRADE_SCHEMA,
                }
            ]
        },
    )

    id: str = Field(pattern=REGISTER_ID_PATTERN, description="Register code, e.g. TRADE")
    name: str = Field(min_length=1, max_length=64, description="Public name (no personal data)")
    description: str = Field(default="", max_length=500)
    record_schema: dict[str, Any] = Field(
        alias="schema", description="JSON Schema (2020-12) that every record must follow"
    )


class RegisterPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(max_length=32, examples=["TRADE"])
    name: str = Field(max_length=64)
    description: str = Field(max_length=500)
    department: str = Field(max_length=32, examples=["FB02"])
    record_schema: dict[str, Any] = Field(serialization_alias="schema")
    schema_hash: str = Field(
        max_length=66, description="keccak256 of the RFC 8785 canonical schema"
    )
    write_id: str = Field(max_length=32)
    status: WriteStatus
    created_at: UtcDateTime


class RegistersPublic(BaseModel):
    data: list[RegisterPublic]
    count: int


class RecordCreate(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"content": TRADE_RECORD}]})

    content: dict[str, Any] = Field(
        description="The record; validated against the register's schema"
    )


class RecordBulkCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"records": [TRADE_RECORD, TRADE_RECORD]}]}
    )

    records: list[dict[str, Any]] = Field(
        min_length=1,
        description="Records to create; at most CITY_API_BULK_MAX_RECORDS (default 1000) per request",
    )
    keys: list[str] | None = Field(
        default=None,
        description="Each record's stable key from its source (e.g. the row key of an imported "
        "file), one per record, distinct; unique per register and kept off chain. A record "
        "whose key exists already with the same content is left unchanged; with other content "
        "it is refused (409 record-key-changed) unless amend_changed is set.",
    )
    amend_changed: bool = Field(
        default=False,
        description="With keys: a record whose key exists with other content becomes an "
        "amendment (a new version) instead of a refusal",
    )

    @model_validator(mode="after")
    def _keys_fit(self) -> RecordBulkCreate:
        if self.keys is None:
            return self
        if len(self.keys) != len(self.records):
            raise ValueError(f"{len(self.keys)} keys for {len(self.records)} records")
        if any(not 1 <= len(key) <= KEY_MAX_LENGTH for key in self.keys):
            raise ValueError(f"every key has 1 to {KEY_MAX_LENGTH} characters")
        if len(set(self.keys)) != len(self.keys):
            raise ValueError("the keys are not distinct")
        return self


class RecordAmend(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "content": {
                        **TRADE_RECORD,
                        "address": {**TRADE_RECORD["address"], "street": "Markt 1"},
                    },
                    "expected_version": 0,
                }
            ]
        }
    )

    content: dict[str, Any]
    expected_version: int | None = Field(
        default=None, ge=0, description="Index of the latest version the caller knows (optional)"
    )


class RecordClose(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"content": {"closed_on": "2026-11-30", "reason": "Gewerbeabmeldung"}}]
        }
    )

    content: dict[str, Any] = Field(
        description="The closing decision (any JSON object; anchored as the record's last version)"
    )
    expected_version: int | None = Field(default=None, ge=0)


class RecordErase(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "data-subject-request", "versions": None}]}
    )

    reason: ErasureReason
    versions: list[int] | None = Field(
        default=None, description="Version indexes to erase; all not yet erased if omitted"
    )


class WriteAccepted(BaseModel):
    write_id: str = Field(max_length=32, examples=["6f1c2b0e0d5a4c3e9f1b2a3c4d5e6f70"])
    kind: WriteKind
    status: WriteStatus
    status_url: str = Field(max_length=200, examples=["/writes/6f1c2b0e0d5a4c3e9f1b2a3c4d5e6f70"])
    register_id: str = Field(max_length=32)
    record_id: str | None = Field(default=None, max_length=66)
    version_index: int | None = None


class WritesAccepted(BaseModel):
    count: int
    writes: list[WriteAccepted]


class KeyedResult(BaseModel):
    key: str = Field(max_length=KEY_MAX_LENGTH)
    outcome: Literal["created", "amended", "unchanged"]
    record_id: str = Field(max_length=66)
    write_id: str | None = Field(default=None, max_length=32, description="None if unchanged")


class KeyedWritesAccepted(WritesAccepted):
    """A bulk request with keys: the writes it made, and what became of each key, in order."""

    results: list[KeyedResult]


class WritesStatusQuery(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=1000, description="Write ids (at most 1000)")


class WriteState(BaseModel):
    id: str = Field(max_length=32)
    status: WriteStatus
    tx_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = None
    error: str | None = Field(default=None, max_length=500)


class WritesStatus(BaseModel):
    data: list[WriteState] = Field(description="The department's writes among the ids asked for")
    count: int


class WritePublic(BaseModel):
    """Any outbox write (registers, credentials, generic calls): its state and where it went."""

    id: str = Field(max_length=32)
    kind: str = Field(
        max_length=32,
        description="register, create, amend, close, erase, "
        "credential-issue, credential-batch, credential-status, or a call's kind",
    )
    status: WriteStatus
    department: str = Field(max_length=32)
    register_id: str | None = Field(default=None, max_length=32)
    record_id: str | None = Field(default=None, max_length=66)
    version_index: int | None = None
    tx_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = None
    call_index: int | None = Field(
        default=None, description="The write's call in its tryEach transaction, if it shared one"
    )
    merkle_root: str | None = Field(default=None, max_length=66)
    error: str | None = Field(default=None, max_length=500)
    created_at: UtcDateTime
    anchored_at: UtcDateTime | None = None


class OnChainStatus(BaseModel):
    verified: bool = Field(description="The chain confirms this version as anchored")
    status: str = Field(
        max_length=16,
        description="Status on chain: active, amended, closed, erased, or not-anchored",
    )
    erasure_reason: int | None = None


class VersionPublic(BaseModel):
    version_index: int
    status: str = Field(max_length=16, description="active | amended | closed | erased")
    content: dict[str, Any] | None = Field(description="None once erased")
    salt: str | None = Field(default=None, max_length=66, description="None once erased")
    content_hash: str = Field(max_length=66)
    previous_hash: str = Field(max_length=66)
    erasure_reason: int | None = None
    write: WritePublic
    leaf: str | None = Field(default=None, max_length=66)
    proof: list[str] | None = Field(default=None, description="Merkle proof (batch mode)")
    on_chain: OnChainStatus | None = None


class RecordSummary(BaseModel):
    id: str = Field(max_length=66)
    register_id: str = Field(max_length=32)
    department: str = Field(max_length=32)
    mode: Literal["single", "batch"]
    status: str = Field(max_length=16)
    version_count: int
    created_at: UtcDateTime
    updated_at: UtcDateTime
    latest: dict[str, Any] | None = None


class RecordPublic(RecordSummary):
    versions: list[VersionPublic]


class RecordsPublic(BaseModel):
    data: list[RecordSummary]
    count: int


class ArchivedVersion(BaseModel):
    version_index: int
    status: str = Field(max_length=16)
    content: dict[str, Any] | None
    salt: str | None = Field(default=None, max_length=66)
    content_hash: str = Field(max_length=66)
    previous_hash: str = Field(max_length=66)
    erasure_reason: int | None = None
    write_status: WriteStatus
    tx_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = None
    merkle_root: str | None = Field(default=None, max_length=66)
    leaf: str | None = Field(default=None, max_length=66)
    proof: list[str] | None = None


class ArchivedRecord(BaseModel):
    id: str = Field(max_length=66)
    key: str | None = Field(default=None, max_length=KEY_MAX_LENGTH)
    mode: Literal["single", "batch"]
    status: str = Field(max_length=16)
    created_at: UtcDateTime
    versions: list[ArchivedVersion]


class RecordsArchive(BaseModel):
    """A page of a register's records with every version (or the latest with latest_only)."""

    data: list[ArchivedRecord]
    count: int
