"""The explorer's own cache: decoded events, their transactions and how far it has read.

SQLite by default, PostgreSQL by URL. Everything here is rebuilt from the chain's logs (and the
transactions that emitted them) by ``python -m explorer rebuild``; nothing is copied from the API.

- :class:`EventRow`: one decoded event; ``subject`` is what it is about (record id, credential
  hash, proposal id, channel id, department, ...) and ``scope`` where it belongs (register,
  department, batch root), both per event name in :mod:`explorer.catalog`.
- :class:`EventKey`: every address, hash and code an event names, for search and account history.
- :class:`TxRow`: the transactions that emitted events: signer, target, decoded function.
- :class:`IndexState`: the last indexed block and which deployment it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Field, Session, SQLModel, create_engine


class IndexState(SQLModel, table=True):
    __tablename__ = "explorer_state"

    id: int = Field(default=1, primary_key=True)
    chain_id: int
    deployment: str = Field(max_length=66)  # fingerprint of the manifest's contracts
    indexed_to: int = -1  # last block whose logs are in the cache
    # Block whose events changed derived views (names, members) last: their cache key.
    changed_at: int = -1


class EventRow(SQLModel, table=True):
    __tablename__ = "explorer_event"

    id: int | None = Field(default=None, primary_key=True)
    block_number: int = Field(index=True)
    log_index: int
    tx_hash: str = Field(max_length=66, index=True)
    tx_index: int
    timestamp: int
    contract: str = Field(max_length=64)
    name: str = Field(max_length=64, index=True)
    subject: str | None = Field(default=None, max_length=80, index=True)
    scope: str | None = Field(default=None, max_length=80, index=True)
    args: str  # JSON of the decoded values (bytes as 0x-hex, codes as text)


class EventKey(SQLModel, table=True):
    __tablename__ = "explorer_event_key"

    key: str = Field(max_length=80, primary_key=True)
    event_id: int = Field(primary_key=True)


class TxRow(SQLModel, table=True):
    __tablename__ = "explorer_tx"

    hash: str = Field(max_length=66, primary_key=True)
    block_number: int = Field(index=True)
    tx_index: int
    sender: str = Field(max_length=42, index=True)  # lower case
    target: str | None = Field(default=None, max_length=42)
    function: str | None = Field(default=None, max_length=64)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(connection: object, _record: object) -> None:
            # WAL: the indexer writes while pages read; NORMAL: a cache, rebuildable from chain.
            cursor = connection.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    else:
        engine = create_engine(url, pool_pre_ping=True)
    SQLModel.metadata.create_all(engine, tables=_tables())
    return engine


def _tables() -> list[Any]:
    return [getattr(model, "__table__") for model in (IndexState, EventRow, EventKey, TxRow)]  # noqa: B009


def drop_all(engine: Engine) -> None:
    SQLModel.metadata.drop_all(engine, tables=_tables())
    SQLModel.metadata.create_all(engine, tables=_tables())


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
        session.commit()
