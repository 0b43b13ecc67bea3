"""retention: an issued credential's VC-JWT (its claims) is emptied once it was picked up

The JWT is kept only to hand it out after a ``202`` (``GET /credentials/issuances/{id}``); the
retention purge and a revocation empty it (services/retention.py), so the column may be NULL.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issued_credential") as batch:
        batch.alter_column("jwt", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE issued_credential SET jwt = '' WHERE jwt IS NULL")
    with op.batch_alter_table("issued_credential") as batch:
        batch.alter_column("jwt", existing_type=sa.Text(), nullable=False)
