"""The Alembic migrations build exactly the tables the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import Session, SQLModel

import registry_api.models.tables  # noqa: F401  (registers the tables on the metadata)
from registry_api.core.db import alembic_config, upgrade
from registry_api.core.security import authenticate
from registry_api.models.tables import ApiKey


def _explorer_table(difference: object) -> bool:
    item = difference[1] if isinstance(difference, tuple) and len(difference) > 1 else None
    table = getattr(item, "table", item)
    return str(getattr(table, "name", "")).startswith("explorer_")


def test_migrations_match_the_models(database_url: str) -> None:
    upgrade(database_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection), SQLModel.metadata
            )
            indexes = {i["name"] for i in inspect(connection).get_indexes("record_version")}
    finally:
        engine.dispose()
    # The explorer keeps its own cache in the same process-wide SQLModel metadata once a test of
    # it has imported explorer.store; its tables are not the API's, and the API's migrations
    # do not make them.
    differences = [d for d in differences if not _explorer_table(d)]
    assert differences == [], f"models and migrations differ: {differences}"
    # 0002 dropped the version indexes that no query reads; the unique constraint stays.
    assert "ix_record_version_content_hash" not in indexes


def test_keys_made_before_credential_scopes_keep_working(database_url: str) -> None:
    """0003 gives the keys that exist every credential type ("*"), as they had before."""
    upgrade(database_url)
    command.downgrade(alembic_config(database_url), "0002")
    secret = secrets.token_urlsafe(32)
    old_key = sa.table(
        "api_key",
        *(sa.column(name) for name in ("id", "department", "key_hash", "label", "revoked")),
        sa.column("registers", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                old_key.insert().values(
                    id="00c0ffee00c0ffee",
                    department="FB32",
                    registers=["TRADE"],
                    key_hash=hashlib.sha256(secret.encode()).hexdigest(),
                    label="made before 0003",
                    revoked=False,
                    created_at=datetime.now(UTC),
                )
            )
        upgrade(database_url)
        with Session(engine) as session:
            row = session.get(ApiKey, "00c0ffee00c0ffee")
            assert row is not None
            assert (row.credential_types, row.revoked_reason, row.revoked_at) == (["*"], "", None)
            department = authenticate(session=session, token=f"crk_00c0ffee00c0ffee_{secret}")
            session.delete(row)
            session.commit()
    finally:
        engine.dispose()
    assert department is not None and department.registers == {"TRADE"}
    assert department.may_issue("PARKING_PERMIT") and department.may_change_credential_status
