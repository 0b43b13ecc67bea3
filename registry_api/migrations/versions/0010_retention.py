"""retention: stored Idempotency-Key answers are purged by age (an index on their time)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_idempotency_entry_created_at", "idempotency_entry", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_entry_created_at", table_name="idempotency_entry")
