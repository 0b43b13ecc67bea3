"""payments domain: payment channels with their highest voucher, fee payments

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_channel",
        sa.Column("channel_id", sa.String(length=66), nullable=False),
        sa.Column("payer", sa.String(length=42), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("tariff", sa.String(length=32), nullable=False),
        sa.Column("zone", sa.String(length=32), nullable=False),
        sa.Column("tariff_version", sa.Integer(), nullable=False),
        sa.Column("rate_per_unit", sa.BigInteger(), nullable=False),
        sa.Column("unit_seconds", sa.Integer(), nullable=False),
        sa.Column("deposit", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("open_write_id", sa.String(length=32), nullable=False),
        sa.Column("topup_write_id", sa.String(length=32), nullable=True),
        sa.Column("topup_amount", sa.BigInteger(), nullable=True),
        sa.Column("topup_expires_at", sa.BigInteger(), nullable=True),
        sa.Column("accepted_amount", sa.BigInteger(), nullable=False),
        sa.Column("accepted_signature", sa.String(length=132), nullable=True),
        sa.Column("accepted_at", sa.BigInteger(), nullable=True),
        sa.Column("settle_write_id", sa.String(length=32), nullable=True),
        sa.Column("settled_amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("channel_id"),
    )
    with op.batch_alter_table("payment_channel", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_channel_payer"), ["payer"], unique=False)
        batch_op.create_index(
            "ix_payment_channel_state_expires", ["state", "expires_at"], unique=False
        )

    op.create_table(
        "fee_payment",
        sa.Column("write_id", sa.String(length=32), nullable=False),
        sa.Column("payer", sa.String(length=42), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("request_ref", sa.String(length=66), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("write_id"),
    )
    with op.batch_alter_table("fee_payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_payment_payer"), ["payer"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_fee_payment_request_ref"), ["request_ref"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fee_payment_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    op.drop_table("fee_payment")
    op.drop_table("payment_channel")
