"""The SQL store: SQLite by default (a file under the data directory), PostgreSQL by URL.

Tables are created and changed only by Alembic migrations (:func:`upgrade`). On SQLite every
write transaction starts with ``BEGIN IMMEDIATE`` (so concurrent writers queue on the busy timeout
instead of failing on a lock upgrade), reads go through a second engine that takes no write lock
(WAL lets them run beside the writer), ``synchronous=NORMAL``, a 32 MiB page cache per connection
and WAL checkpoints every 4,000 pages.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, Engine, Table, event, insert
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
PING_IDLE_SECONDS = 1.0


# JSON columns (record contents, proofs) through orjson: ~5x faster than the json module per row.
_JSON_CODEC: dict[str, Any] = {
    "json_serializer": lambda value: orjson.dumps(value).decode(),
    "json_deserializer": orjson.loads,
}


def _sqlite_path(url: str) -> Path | None:
    path = url.split("///", 1)[-1]
    return Path(path) if path and path != ":memory:" else None


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)


class _WriterLock:
    """Who may write the SQLite file next: a thread lock, then an flock shared by all processes.

    Writers queue here (woken at once when the lock is released) rather than on SQLite's busy
    handler, which sleeps in growing steps (up to 100 ms) and wastes most of the time under load;
    that matters most between the API and its worker process. Released by whichever thread ends
    the transaction.
    """

    def __init__(self, database: Path | None) -> None:
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        if database is not None:
            self._fd = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            weakref.finalize(self, os.close, self._fd)  # with the engine that holds this lock

    def acquire(self) -> None:
        self._thread_lock.acquire()
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread_lock.release()
                raise

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()


def make_engine(url: str, *, writer: bool = True) -> Engine:
    """An engine; on SQLite, ``writer=False`` gives one for reads only (no write lock taken)."""
    _ensure_sqlite_dir(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=20,
            **_JSON_CODEC,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            # A bigger page cache (the default is 2 MiB) keeps the random-key indexes of the
            # record, version and outbox tables in memory under bulk inserts; fewer, larger
            # WAL checkpoints (16 MiB instead of 4 MiB) take the writer's commit path less often.
            cursor.execute("PRAGMA cache_size=-32768")
            cursor.execute("PRAGMA wal_autocheckpoint=4000")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

        if writer:
            write_lock = _WriterLock(_sqlite_path(url))

            @event.listens_for(engine, "begin")
            def _begin(conn: Any) -> None:
                write_lock.acquire()
                try:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                except BaseException:
                    write_lock.release()
                    raise

            @event.listens_for(engine, "commit")
            def _commit(conn: Any) -> None:
                conn.exec_driver_sql("COMMIT")
                write_lock.release()

            @event.listens_for(engine, "rollback")
            def _rollback(conn: Any) -> None:
                conn.exec_driver_sql("ROLLBACK")
                write_lock.release()

        return engine
    engine = create_engine(url, pool_size=20, max_overflow=10, **_JSON_CODEC)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle for ``PING_IDLE_SECONDS``.

    ``pool_pre_ping`` pings on every checkout: one more round trip per session, a quarter of a
    single record write's. A connection in steady use needs none; one that waited (the store may
    have restarted meanwhile) is pinged and, if dead, replaced by the pool (SQLAlchemy's custom
    pessimistic disconnect handling). A restart under load is met by the next statement instead:
    a 503 problem, and the pool drops all its connections (see tests/api/test_fault_database_restart).
    """

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(str(exc)) from exc


def make_engines(url: str) -> tuple[Engine, Engine]:
    """The engine for writes and the one for reads (on SQLite a second one that takes no write
    lock; elsewhere the same engine)."""
    engine = make_engine(url)
    return engine, make_engine(url, writer=False) if url.startswith("sqlite") else engine


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", *, data_keys: Any = None) -> None:
    """Apply the migrations up to ``revision`` (idempotent).

    ``data_keys``: the :class:`registry_api.store.data_keys.DataKeyStore` that migration 0009
    seals existing record contents with (None: the one the environment's settings name).
    """
    _ensure_sqlite_dir(url)
    config = alembic_config(url)
    config.attributes["data_keys"] = data_keys
    command.upgrade(config, revision)


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, every value given: no column defaults apply).

    On PostgreSQL many rows go in with ``COPY``: one statement instead of one per row, about a
    fifth of the client's CPU time and less than half the time of an ``executemany`` for 1,000
    outbox rows. Elsewhere (SQLite, where a statement costs no round trip) an ``executemany``.
    """
    if not rows:
        return
    if len(rows) == 1 or session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    json_columns = {name for name in names if isinstance(table.c[name].type, JSON)}
    driver = session.connection().connection.driver_connection
    assert driver is not None
    columns = ", ".join(f'"{name}"' for name in names)
    statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
    dbapi = session.get_bind().dialect.loaded_dbapi
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [
                        orjson.dumps(row[name]).decode()
                        if name in json_columns and row[name] is not None
                        else row[name]
                        for name in names
                    ]
                )
    except dbapi.Error as exc:
        # As SQLAlchemy raises them (IntegrityError, OperationalError: a 503 problem, ...).
        raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
