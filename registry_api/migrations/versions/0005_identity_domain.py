"""identity domain: sign-in nonces, citizen sessions, credential requests, OpenID4VCI codes,
tokens and nonces

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citizen_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("did", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("citizen_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_citizen_session_did"), ["did"], unique=False)

    op.create_table(
        "credential_nonce",
        sa.Column("c_nonce", sa.String(length=48), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("c_nonce"),
    )
    with op.batch_alter_table("credential_nonce", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credential_nonce_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "credential_request",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("did", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.Column("credential_hash", sa.String(length=66), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("credential_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credential_request_completed_at"), ["completed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credential_request_did"), ["did"], unique=False)
        batch_op.create_index("ix_credential_request_type_state", ["type", "state"], unique=False)

    op.create_table(
        "issuance_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_table(
        "pre_authorized_code",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    with op.batch_alter_table("pre_authorized_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pre_authorized_code_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "sign_in_nonce",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("nonce"),
    )
    with op.batch_alter_table("sign_in_nonce", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_nonce_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sign_in_nonce", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_nonce_expires_at"))

    op.drop_table("sign_in_nonce")
    with op.batch_alter_table("pre_authorized_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pre_authorized_code_request_id"))

    op.drop_table("pre_authorized_code")
    op.drop_table("issuance_token")
    with op.batch_alter_table("credential_request", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_request_type_state")
        batch_op.drop_index(batch_op.f("ix_credential_request_did"))
        batch_op.drop_index(batch_op.f("ix_credential_request_completed_at"))

    op.drop_table("credential_request")
    with op.batch_alter_table("credential_nonce", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_nonce_expires_at"))

    op.drop_table("credential_nonce")
    with op.batch_alter_table("citizen_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_session_did"))

    op.drop_table("citizen_session")
