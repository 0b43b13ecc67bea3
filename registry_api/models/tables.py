"""Persistent tables: registers, records and versions, the outbox, API keys and the chain index.

Everything here is created by Alembic migrations (``registry_api/migrations``), never by
``create_all``. Chain-derived tables (``chain_*``, ``indexer_cursor``) are rebuilt by the indexer
from block 0; the others are the API's own state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

HASH_LEN = 66  # "0x" + 64 hex digits
ADDRESS_LEN = 42


def utcnow() -> datetime:
    return datetime.now(UTC)


class Register(SQLModel, table=True):
    __tablename__ = "register"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=64)
    description: str = Field(default="", max_length=500)
    department: str = Field(max_length=32, index=True)
    schema_: dict[str, Any] = Field(sa_column=Column("schema", JSON, nullable=False))
    schema_hash: str = Field(max_length=HASH_LEN)
    write_id: str = Field(max_length=32)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Record(SQLModel, table=True):
    __tablename__ = "record"
    __table_args__ = (
        Index("ix_record_register_created", "register_id", "created_at"),
        # A row key from the record's source (``registry import``): one record per key and
        # register, so a re-run of an import finds what it created before. NULLs do not collide.
        Index("uq_record_register_key", "register_id", "external_key", unique=True),
    )

    id: str = Field(primary_key=True, max_length=HASH_LEN)
    register_id: str = Field(max_length=32)  # indexed by ix_record_register_created
    external_key: str | None = Field(default=None, max_length=200)  # off chain only
    department: str = Field(max_length=32)
    mode: str = Field(max_length=8)  # "single" (one tx per version) or "batch" (Merkle batches)
    status: str = Field(max_length=16, index=True)  # active | closed | erased
    version_count: int = 0
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class RecordVersion(SQLModel, table=True):
    __tablename__ = "record_version"
    __table_args__ = (UniqueConstraint("record_id", "version_index"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(max_length=HASH_LEN)  # indexed by the unique constraint
    version_index: int
    # Content and salt are stored only sealed (AES-256-GCM under the version's data key, which
    # lives in the key store: registry_api/store/data_keys.py); both columns below stay NULL.
    # Read them with registry_api.store.records.open_versions.
    content: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    salt: str | None = Field(default=None, max_length=HASH_LEN)
    sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    content_hash: str = Field(max_length=HASH_LEN)
    previous_hash: str = Field(max_length=HASH_LEN)
    status: str = Field(max_length=16)  # active | amended | closed (at anchoring) | erased
    anchored_status: str = Field(max_length=16)  # the status written on chain: active | closed
    erasure_reason: int | None = None
    write_id: str = Field(max_length=32)
    erase_write_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Write(SQLModel, table=True):
    """The outbox: one row per accepted write, committed with the domain rows it changes.

    A row carries what its planner needs to turn it into a call (``registry_api.chain.planning``):
    ``planner`` names the planner (registers, credentials, call), ``target`` the contract by its
    manifest name, ``payload`` the planner's data (e.g. a credential hash, or a generic call's
    calldata and gas) and ``reference`` the caller's own id for it. Once planned, ``tx_id`` and
    ``call_index`` (the call's position in a ``tryEach``; None when the write is not one call of
    a group) say where it went, ``leaf``/``merkle_root`` where it sits in a batch (its proof comes
    from the batch's leaves, stored once in :class:`MerkleBatch`).

    No index covers ``status``, ``anchored_at`` or ``error``: settling a write changes only those,
    so on PostgreSQL that update is HOT (heap-only: no index entry is written; the table keeps
    30% of each page free for it, migration 0011). The senders find unplanned writes through
    ``ix_write_open``, which holds only rows without a transaction (pending, held, or refused).
    """

    __tablename__ = "write"
    __table_args__ = (
        Index(
            "ix_write_open",
            "signer",
            "seq",
            sqlite_where=text("tx_id IS NULL"),
            postgresql_where=text("tx_id IS NULL"),
        ),
    )

    seq: int | None = Field(default=None, primary_key=True)  # processing order
    id: str = Field(max_length=32, unique=True)
    department: str = Field(max_length=32)
    signer: str = Field(max_length=ADDRESS_LEN)
    planner: str = Field(max_length=16)  # registers | credentials | call
    kind: str = Field(max_length=32)  # registers: register | create | amend | close | erase
    target: str = Field(max_length=64)  # manifest contract name
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    reference: str | None = Field(default=None, max_length=200)
    register_id: str | None = Field(default=None, max_length=32)
    record_id: str | None = Field(default=None, max_length=HASH_LEN)
    version_index: int | None = None
    mode: str = Field(default="single", max_length=8)  # single | batch
    # pending | submitted | anchored | failed | held (see chain/sender/recovery.py)
    status: str = Field(max_length=16)
    tx_id: int | None = Field(default=None, index=True)
    call_index: int | None = None
    # Times the write was planned again after running out of gas inside a tryEach.
    replans: int = 0
    leaf: str | None = Field(default=None, max_length=HASH_LEN)
    merkle_root: str | None = Field(default=None, max_length=HASH_LEN)
    erasure_reason: int | None = None
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    anchored_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class MerkleBatch(SQLModel, table=True):
    """The leaves of a Merkle root the senders planned (register or credential batch), stored once
    per batch rather than a proof per outbox row: a write's proof is rebuilt from them
    (``chain.outbox.batch_proof``)."""

    __tablename__ = "merkle_batch"

    merkle_root: str = Field(primary_key=True, max_length=HASH_LEN)
    leaves: list[str] = Field(sa_column=Column(JSON, nullable=False))  # "0x…" hashes, any order


class ChainTx(SQLModel, table=True):
    """A signed transaction with its nonce, persisted before it is sent (nonce at source).

    ``status``: sent (waiting for its receipt), mined, failed (mined, reverted), replaced (its
    nonce went to another transaction; its writes were planned again). A transaction the node or
    gateway refuses for good is deleted (its nonce is free again) after its writes failed with
    the reason. ``source`` is ``chain`` for a transaction of this signer that the store did not
    know and found on chain (see chain/sender/recovery.py); its ``raw`` is empty.
    """

    __tablename__ = "chain_tx"
    __table_args__ = (UniqueConstraint("signer", "nonce"),)

    id: int | None = Field(default=None, primary_key=True)
    signer: str = Field(max_length=ADDRESS_LEN)
    nonce: int
    target: str = Field(max_length=64)  # manifest contract name
    function: str = Field(max_length=32)
    raw: str = Field(sa_column=Column(Text, nullable=False))
    tx_hash: str = Field(max_length=HASH_LEN, index=True)
    status: str = Field(max_length=16, index=True)  # sent | mined | failed | replaced
    source: str = Field(default="store", max_length=8)  # store | chain
    leaf_count: int = 1
    gas_limit: int | None = None
    block_number: int | None = None
    gas_used: int | None = None
    sent_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class SenderLease(SQLModel, table=True):
    """At most one active sender per signer: whoever holds an unexpired lease row."""

    __tablename__ = "sender_lease"

    signer: str = Field(primary_key=True, max_length=ADDRESS_LEN)
    owner: str = Field(max_length=200)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class IdempotencyEntry(SQLModel, table=True):
    """The answer stored under a department's ``Idempotency-Key`` (``registry_api.api.idempotency``).

    A credential write stores a ``202`` answer with the write it waits on (``write_id``) and
    ``open_until`` set: until then the request that made it may still turn it into its final
    answer; whoever settles it first (that request, or a retry) clears ``open_until``.
    """

    __tablename__ = "idempotency_entry"

    department: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)
    status_code: int
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    write_id: str | None = Field(default=None, max_length=32)
    open_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # Purged by age (``services/retention.py``: CITY_API_IDEMPOTENCY_RETENTION_SECONDS).
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True),
    )


class IssuedCredential(SQLModel, table=True):
    """A credential the API signed, kept until (and after) its hash is anchored.

    The JWT is signed in the request and handed out with its batch proof once the anchoring is
    mined (``GET /credentials/issuances/{write_id}`` after a ``202``). Single issuances get their
    root and proof from their outbox row (the sender groups them); members of a batch issuance
    have theirs here (the request builds the tree). The JWT holds the claims: the retention
    purge and a revocation empty it (services/retention.py); hash, root and proof stay.
    """

    __tablename__ = "issued_credential"

    credential_hash: str = Field(primary_key=True, max_length=HASH_LEN)
    department: str = Field(max_length=32)
    type_code: str = Field(max_length=32)
    jwt: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    write_id: str = Field(max_length=32, index=True)
    position: int = 0  # order within its batch issuance
    merkle_root: str | None = Field(default=None, max_length=HASH_LEN)
    proof: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=16)
    department: str = Field(max_length=32, index=True)
    registers: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # Credential type codes the key may issue ("*": all); any entry also allows status changes.
    credential_types: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    key_hash: str = Field(max_length=64)
    label: str = Field(default="", max_length=100)
    revoked: bool = False
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    revoked_reason: str = Field(default="", max_length=200)


# ---- chain-derived state (rebuilt by the indexer from block 0) ----------------------------


class IndexerCursor(SQLModel, table=True):
    __tablename__ = "indexer_cursor"

    contract: str = Field(primary_key=True, max_length=ADDRESS_LEN)
    next_block: int = 0
    # Hash of block ``next_block - 1``: if the chain no longer has it, the index is rebuilt.
    last_block_hash: str = Field(default="", max_length=HASH_LEN)


class ChainRegister(SQLModel, table=True):
    __tablename__ = "chain_register"

    register_id: str = Field(primary_key=True, max_length=HASH_LEN)
    department: str = Field(max_length=HASH_LEN)
    name: str = Field(max_length=64)
    schema_hash: str = Field(max_length=HASH_LEN)
    schema_version: int = 1
    block_number: int
    tx_hash: str = Field(max_length=HASH_LEN)


class ChainVersion(SQLModel, table=True):
    """A singly anchored version (RecordVersionAnchored / VersionErased)."""

    __tablename__ = "chain_version"

    record_id: str = Field(primary_key=True, max_length=HASH_LEN)
    version_index: int = Field(primary_key=True)
    register_id: str = Field(max_length=HASH_LEN, index=True)
    content_hash: str = Field(max_length=HASH_LEN)
    previous_hash: str = Field(max_length=HASH_LEN)
    status: str = Field(max_length=16)
    signer: str = Field(max_length=ADDRESS_LEN)
    erasure_reason: int | None = None
    block_number: int
    tx_hash: str = Field(max_length=HASH_LEN)


class ChainBatch(SQLModel, table=True):
    __tablename__ = "chain_batch"

    merkle_root: str = Field(primary_key=True, max_length=HASH_LEN)
    register_id: str = Field(max_length=HASH_LEN, index=True)
    leaf_count: int
    signer: str = Field(max_length=ADDRESS_LEN)
    block_number: int
    tx_hash: str = Field(max_length=HASH_LEN)


class ChainBatchErasure(SQLModel, table=True):
    __tablename__ = "chain_batch_erasure"

    merkle_root: str = Field(primary_key=True, max_length=HASH_LEN)
    leaf: str = Field(primary_key=True, max_length=HASH_LEN)
    record_id: str = Field(max_length=HASH_LEN, index=True)
    version_index: int
    reason: int
    block_number: int
    tx_hash: str = Field(max_length=HASH_LEN)


CHAIN_DERIVED: tuple[type[SQLModel], ...] = (
    ChainRegister,
    ChainVersion,
    ChainBatch,
    ChainBatchErasure,
    IndexerCursor,
)
