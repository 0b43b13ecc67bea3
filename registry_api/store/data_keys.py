"""The record versions' data keys, in a key store of their own (crypto-shredding).

Threat model. A backup or replica of the API's database taken before an erasure must not reveal
the erased content, nor let anyone link it to the hash anchored on chain. The database therefore
holds each version's content and salt only as AES-256-GCM ciphertext (``record_version.sealed``,
:mod:`registry_api.store.sealing`); the data key that opens it lives here, in a **separate
database** (``CITY_API_KEY_DATABASE_URL``; by default ``<data dir>/record-keys.db``), wrapped by a
key-encryption key (KEK) that only the environment holds (``CITY_API_RECORD_KEKS``). Erasure
deletes the version's data key from this store, so every copy of the main database, whenever it
was taken, keeps a ciphertext that nothing opens any more; and as the salt is inside that
ciphertext, the anchored hash cannot be recomputed by guessing the content either.

What this relies on: the key store is backed up on its own, with a retention no longer than the
time the city allows itself for an erasure (a key-store backup from before an erasure still holds
the key); the KEK is never stored with either database. A wrapped key names the KEK that wrapped
it (``kek_id``), so ``registry keys rotate-kek`` rewraps keys under a new KEK without touching
any content. On SQLite the store runs with ``secure_delete`` so a deleted key's bytes are
overwritten in the file, not just unlinked from the tree.

One data key per *version*, not per record: erasure works per version (the API erases chosen
versions, e.g. an old address), and the record's other versions must still open and verify; with
one key per record a partial erasure would have to re-encrypt every surviving version.

The key store's one table is created here (``create_all``, idempotent), not by the main
database's Alembic migrations: it lives in another database that those migrations never see.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    event,
    func,
    insert,
    select,
    update,
)

from registry_api.core.config import Settings
from registry_api.core.db import make_engine
from registry_api.store import sealing

metadata = MetaData()  # not SQLModel's: this table is never in the main database
# A key's row names no record: the sealed version names its key (sealing.key_id_of), so this
# store alone says nothing about whose data a key opens.
data_key = Table(
    "data_key",
    metadata,
    Column("id", LargeBinary(sealing.KEY_ID_BYTES), primary_key=True),
    Column("kek_id", String(64), nullable=False, index=True),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class KeyRingError(Exception):
    """The key-encryption keys are missing or malformed (a configuration error)."""


@dataclass(frozen=True)
class KeyRing:
    """The KEKs this process holds: the active one wraps new keys, the others only unwrap."""

    keks: Mapping[str, bytes]
    active: str

    @classmethod
    def from_config(cls, keks: Mapping[str, SecretStr], active: str) -> KeyRing:
        """From ``CITY_API_RECORD_KEKS`` (id -> base64 of 32 bytes) and ``..._KEK_ID``."""
        decoded: dict[str, bytes] = {}
        for kek_id, secret in keks.items():
            if not 1 <= len(kek_id) <= 64:
                raise KeyRingError(f"KEK id {kek_id[:64]!r}: use 1-64 characters")
            try:
                raw = base64.b64decode(secret.get_secret_value(), validate=True)
            except (binascii.Error, ValueError):
                raise KeyRingError(f"KEK {kek_id!r} is not base64") from None
            if len(raw) != sealing.KEY_BYTES:
                raise KeyRingError(
                    f"KEK {kek_id!r} has {len(raw)} bytes; AES-256 needs {sealing.KEY_BYTES}"
                )
            decoded[kek_id] = raw
        if active not in decoded:
            raise KeyRingError(f"no key-encryption key {active!r} (CITY_API_RECORD_KEK_ID)")
        return cls(keks=decoded, active=active)

    def kek(self, kek_id: str) -> bytes:
        try:
            return self.keks[kek_id]
        except KeyError:
            raise KeyRingError(
                f"a data key is wrapped by KEK {kek_id!r}, which this process does not hold"
            ) from None


def _secure_delete(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragma(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


class DataKeyStore:
    """Create, open, destroy and rewrap the data keys of record versions."""

    def __init__(self, url: str, ring: KeyRing) -> None:
        self.url = url
        self.ring = ring
        self.engine = make_engine(url)
        if url.startswith("sqlite"):
            _secure_delete(self.engine)
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def create(self, count: int) -> list[tuple[bytes, bytes]]:
        """``count`` fresh data keys (key id, key), stored (committed) wrapped by the active KEK.

        Committed before the caller's own transaction: if that one fails, the keys stay behind
        unused (they open nothing), never the other way round (a ciphertext without its key).
        """
        if count == 0:
            return []
        kek_id, kek = self.ring.active, self.ring.kek(self.ring.active)
        now = datetime.now(UTC)
        keys = [sealing.new_data_key() for _ in range(count)]
        rows = [
            {
                "id": key_id,
                "kek_id": kek_id,
                "wrapped": sealing.wrap(kek, kek_id, key_id, key),
                "created_at": now,
            }
            for key_id, key in keys
        ]
        with self.engine.begin() as connection:
            connection.execute(insert(data_key), rows)
        return keys

    def fetch(self, key_ids: Iterable[bytes]) -> dict[bytes, bytes]:
        """The data keys that exist among these ids (an erased version's is gone)."""
        wanted = list(dict.fromkeys(key_ids))
        found: dict[bytes, bytes] = {}
        for start in range(0, len(wanted), 500):
            with self.engine.connect() as connection:
                rows = connection.execute(
                    select(data_key).where(data_key.c.id.in_(wanted[start : start + 500]))
                ).all()
            for row in rows:
                found[row.id] = sealing.unwrap(
                    self.ring.kek(row.kek_id), row.kek_id, row.id, row.wrapped
                )
        return found

    def destroy(self, key_ids: Sequence[bytes]) -> int:
        """Delete these data keys for good (committed at once); how many there were."""
        if not key_ids:
            return 0
        with self.engine.begin() as connection:
            result = connection.execute(delete(data_key).where(data_key.c.id.in_(key_ids)))
        return int(result.rowcount)

    def rewrap(self, *, batch: int = 500) -> dict[str, int]:
        """Rewrap every key not wrapped by the active KEK under it (content stays as it is).

        Returns how many keys were rewrapped from each old KEK id. Runs in batches, each its own
        transaction, so an interrupted run resumes where it stopped.
        """
        active, kek = self.ring.active, self.ring.kek(self.ring.active)
        moved: dict[str, int] = {}
        while True:
            with self.engine.begin() as connection:
                rows = connection.execute(
                    select(data_key).where(data_key.c.kek_id != active).limit(batch)
                ).all()
                for row in rows:
                    key = sealing.unwrap(self.ring.kek(row.kek_id), row.kek_id, row.id, row.wrapped)
                    connection.execute(
                        update(data_key)
                        .where(data_key.c.id == row.id)
                        .values(kek_id=active, wrapped=sealing.wrap(kek, active, row.id, key))
                    )
                    moved[row.kek_id] = moved.get(row.kek_id, 0) + 1
            if len(rows) < batch:
                return moved

    def kek_counts(self) -> dict[str, int]:
        """How many data keys each KEK wraps (what ``registry keys status`` shows)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(data_key.c.kek_id, func.count()).group_by(data_key.c.kek_id)
            ).all()
        return {kek_id: count for kek_id, count in rows}


def open_store(settings: Settings) -> DataKeyStore:
    """The key store the settings name, with their key ring (:class:`KeyRingError` if bad)."""
    ring = KeyRing.from_config(settings.record_keks, settings.record_kek_id)
    return DataKeyStore(settings.key_database, ring)
