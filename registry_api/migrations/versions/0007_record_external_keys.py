"""record external keys: the row key of an imported record, unique per register

``registry import`` stores each row's key (from the mapping's key columns) with the record it
created, so that a re-run imports nothing twice. Off chain only; NULL for records written without
a key (NULLs never collide in a unique index, on SQLite and PostgreSQL alike).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("record", sa.Column("external_key", sa.String(length=200), nullable=True))
    op.create_index(
        "uq_record_register_key", "record", ["register_id", "external_key"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_record_register_key", table_name="record")
    with op.batch_alter_table("record") as batch:
        batch.drop_column("external_key")
