"""api key credential scopes and revocation details

API keys get the credential types they may issue (``credential_types``, a JSON list; ``"*"``: all;
any entry also allows revoking, suspending and resuming the department's credentials). Keys that
exist already could issue every type and change every status, so they get ``["*"]`` and keep
working; new keys get what ``registry api-key create --credential-types`` names (default none).
``registry api-key revoke`` records when and why (``revoked_at``, ``revoked_reason``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

api_key = sa.table(
    "api_key",
    sa.column("credential_types", sa.JSON()),
    sa.column("revoked_reason", sa.String(length=200)),
)


def upgrade() -> None:
    # Added as nullable, filled, then made NOT NULL: the same steps on SQLite and PostgreSQL,
    # and no server default left behind (the models declare none).
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_types", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revoked_reason", sa.String(length=200), nullable=True))
    op.execute(api_key.update().values(credential_types=["*"], revoked_reason=""))
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.alter_column("credential_types", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("revoked_reason", existing_type=sa.String(length=200), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("revoked_reason")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("credential_types")
