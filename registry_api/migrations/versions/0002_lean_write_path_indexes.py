"""lean write-path indexes

Every accepted record inserts a record, a version and an outbox row; each index is one more
B-tree insert, and indexes over random keys (record ids, hashes, write ids) dirty a page per row.
These five were never read: two repeat the leading column of a composite index
(``ix_record_register_created``, the unique ``(record_id, version_index)``), and no query looks up
versions by content hash or write id, or outbox rows by department.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DROPPED = (
    ("record", "ix_record_register_id", ["register_id"]),
    ("record_version", "ix_record_version_record_id", ["record_id"]),
    ("record_version", "ix_record_version_content_hash", ["content_hash"]),
    ("record_version", "ix_record_version_write_id", ["write_id"]),
    ("write", "ix_write_department", ["department"]),
)


def upgrade() -> None:
    for table, index, _ in DROPPED:
        op.drop_index(index, table_name=table)


def downgrade() -> None:
    for table, index, columns in DROPPED:
        op.create_index(index, table, columns, unique=False)
