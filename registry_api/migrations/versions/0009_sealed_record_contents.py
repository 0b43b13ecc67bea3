"""sealed record contents: content and salt encrypted under per-version data keys

Adds ``record_version.sealed`` and seals every stored content and salt into it (AES-256-GCM),
the data keys going to the key store, a database of its own (registry_api/store/data_keys.py).
Sealing needs the key-encryption key at migration time: the store passed to
``registry_api.core.db.upgrade`` (the API passes its own), else the one the environment's
``CITY_API_KEY_DATABASE_URL`` / ``CITY_API_RECORD_KEKS`` / ``CITY_API_RECORD_KEK_ID`` name. A
store without plaintext rows needs no key. Each record's search index is rebuilt from the fields
its register's schema marks ``x-searchable`` (it held the whole content before). The plaintext's
old pages may survive in the database file until it is vacuumed, and in every backup taken
before: erasure reaches backups taken after this migration. A downgrade opens the contents again
but keeps the smaller search index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 500
_registers = sa.table("register", sa.column("id", sa.String), sa.column("schema", sa.JSON))
_records = sa.table(
    "record",
    sa.column("id", sa.String),
    sa.column("register_id", sa.String),
    sa.column("search_text", sa.Text),
)
_versions = sa.table(
    "record_version",
    sa.column("id", sa.Integer),
    sa.column("record_id", sa.String),
    sa.column("version_index", sa.Integer),
    sa.column("content", sa.JSON),
    sa.column("salt", sa.String),
    sa.column("sealed", sa.LargeBinary),
    sa.column("status", sa.String),
)


def _data_keys() -> Any:
    from registry_api.core.config import get_settings
    from registry_api.store.data_keys import open_store

    return context.config.attributes.get("data_keys") or open_store(get_settings())


def _reindex(connection: sa.Connection) -> None:
    """Search text from the latest version that is not a closing decision (as the API keeps it)."""
    from registry_api.store.search_index import search_text

    for register_id, schema in connection.execute(sa.select(_registers)).all():
        record_ids = (
            connection.execute(
                sa.select(_records.c.id).where(_records.c.register_id == register_id)
            )
            .scalars()
            .all()
        )
        for start in range(0, len(record_ids), BATCH):
            chunk = record_ids[start : start + BATCH]
            latest: dict[str, Any] = {}
            for row in connection.execute(
                sa.select(_versions.c.record_id, _versions.c.content)
                .where(_versions.c.record_id.in_(chunk))
                .where(_versions.c.status != "closed")
                .order_by(_versions.c.record_id, _versions.c.version_index)
            ).all():
                latest[row.record_id] = row.content
            for record_id in chunk:
                connection.execute(
                    sa.update(_records)
                    .where(_records.c.id == record_id)
                    .values(search_text=search_text(schema, latest.get(record_id)))
                )


def upgrade() -> None:
    with op.batch_alter_table("record_version") as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
    from registry_api.store import sealing

    connection = op.get_bind()
    _reindex(connection)
    store = None
    while True:
        rows = connection.execute(
            sa.select(_versions).where(_versions.c.salt.is_not(None)).limit(BATCH)
        ).all()
        if not rows:
            return
        store = store or _data_keys()
        for row, (key_id, key) in zip(rows, store.create(len(rows)), strict=True):
            blob = sealing.seal(
                key_id, key, record_id=row.record_id, version_index=row.version_index,
                content=row.content, salt=row.salt,
            )  # fmt: skip
            connection.execute(
                sa.update(_versions)
                .where(_versions.c.id == row.id)
                .values(sealed=blob, content=sa.null(), salt=None)
            )


def downgrade() -> None:
    """Opens every sealed version back into plaintext (needs the KEK; the keys stay behind)."""
    from registry_api.store import sealing

    connection = op.get_bind()
    rows = connection.execute(sa.select(_versions).where(_versions.c.sealed.is_not(None))).all()
    if rows:
        keys = _data_keys().fetch(sealing.key_id_of(row.sealed) for row in rows)
        for row in rows:
            key = keys.get(sealing.key_id_of(row.sealed))
            if key is None:  # destroyed: the version was being erased
                continue
            opened = sealing.open_sealed(
                key, row.sealed, record_id=row.record_id, version_index=row.version_index
            )
            connection.execute(
                sa.update(_versions)
                .where(_versions.c.id == row.id)
                .values(content=opened.content, salt=opened.salt)
            )
    with op.batch_alter_table("record_version") as batch_op:
        batch_op.drop_column("sealed")
