"""one write pipeline: generic outbox rows, call indexes, credentials through the outbox

Outbox rows (``write``) name their planner, target contract, planner data and the caller's
reference, and store the call index they got in a ``tryEach`` (no longer inferred from the order
of the transaction's writes) and how often they were planned again after running out of gas.
``register_id`` becomes optional (credential and generic call writes have none). Transactions
(``chain_tx``) name their target contract, their gas limit and whether the store signed them or
found them on chain after a restore. Credential writes keep the credential they sign
(``issued_credential``) and their open idempotent answer (``idempotency_entry.write_id`` /
``open_until``). Existing rows are register writes of RegisterHub.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

write = sa.table(
    "write",
    sa.column("planner", sa.String(length=16)),
    sa.column("target", sa.String(length=64)),
    sa.column("replans", sa.Integer()),
)
chain_tx = sa.table(
    "chain_tx",
    sa.column("target", sa.String(length=64)),
    sa.column("source", sa.String(length=8)),
)


def upgrade() -> None:
    # As in 0003: added nullable, filled, then NOT NULL (the same steps on SQLite and PostgreSQL).
    with op.batch_alter_table("write", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planner", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("target", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("reference", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("call_index", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("replans", sa.Integer(), nullable=True))
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=16), type_=sa.String(length=32)
        )
        batch_op.alter_column("register_id", existing_type=sa.String(length=32), nullable=True)
    op.execute(write.update().values(planner="registers", target="RegisterHub", replans=0))
    with op.batch_alter_table("write", schema=None) as batch_op:
        batch_op.alter_column("planner", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("target", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("replans", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("chain_tx", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("gas_limit", sa.Integer(), nullable=True))
    op.execute(chain_tx.update().values(target="RegisterHub", source="store"))
    with op.batch_alter_table("chain_tx", schema=None) as batch_op:
        batch_op.alter_column("target", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("source", existing_type=sa.String(length=8), nullable=False)

    with op.batch_alter_table("idempotency_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("write_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("open_until", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "issued_credential",
        sa.Column("credential_hash", sa.String(length=66), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("type_code", sa.String(length=32), nullable=False),
        sa.Column("jwt", sa.Text(), nullable=False),
        sa.Column("write_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("merkle_root", sa.String(length=66), nullable=True),
        sa.Column("proof", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("credential_hash"),
    )
    with op.batch_alter_table("issued_credential", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issued_credential_write_id"), ["write_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("issued_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_credential_write_id"))
    op.drop_table("issued_credential")
    with op.batch_alter_table("idempotency_entry", schema=None) as batch_op:
        batch_op.drop_column("open_until")
        batch_op.drop_column("write_id")
    with op.batch_alter_table("chain_tx", schema=None) as batch_op:
        batch_op.drop_column("gas_limit")
        batch_op.drop_column("source")
        batch_op.drop_column("target")
    op.execute(sa.text("DELETE FROM write WHERE register_id IS NULL"))
    with op.batch_alter_table("write", schema=None) as batch_op:
        batch_op.alter_column("register_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=32), type_=sa.String(length=16)
        )
        batch_op.drop_column("replans")
        batch_op.drop_column("call_index")
        batch_op.drop_column("reference")
        batch_op.drop_column("payload")
        batch_op.drop_column("target")
        batch_op.drop_column("planner")
