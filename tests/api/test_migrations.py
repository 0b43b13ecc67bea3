"""The Alembic migrations build exactly the tables the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import registry_api.models.tables  # noqa: F401  (registers the tables on the metadata)
from registry_api.core.db import upgrade


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
    assert differences == [], f"models and migrations differ: {differences}"
    # 0002 dropped the version indexes that no query reads; the unique constraint stays.
    assert "ix_record_version_content_hash" not in indexes
