"""sealed record contents: content and salt encrypted under per-version data keys

Adds ``record_version.sealed`` and seals every stored content and salt into it (AES-256-GCM),
the data keys going to the key store, a database of its own (registry_api/store/data_keys.py).
Sealing needs the key-encryption key at migration time: the store passed to
``registry_api.core.db.upgrade`` (the API passes its own), else the one the environment's
``CITY_API_KEY_DATABASE_URL`` / ``CITY_API_RECORD_KEKS`` / ``CITY_API_RECORD_KEK_ID`` name. A
store without plaintext rows needs no key. The plaintext's old pages may survive in the database
file until it is vacuumed, and in every backup taken before: erasure reaches backups taken after
this migration.

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
_versions = sa.table(
    "record_version",
    sa.column("id", sa.Integer),
    sa.column("record_id", sa.String),
    sa.column("version_index", sa.Integer),
    sa.column("content", sa.JSON),
    sa.column("salt", sa.String),
    sa.column("sealed", sa.LargeBinary),
)


def _data_keys() -> Any:
    from registry_api.core.config import get_settings
    from registry_api.store.data_keys import open_store

    return context.config.attributes.get("data_keys") or open_store(get_settings())


def upgrade() -> None:
    with op.batch_alter_table("record_version") as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
    from registry_api.store import sealing

    connection = op.get_bind()
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
