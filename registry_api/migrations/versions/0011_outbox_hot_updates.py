"""outbox at PostgreSQL speed: batch leaves once per batch, HOT settlement updates

A batched write no longer stores its own Merkle proof (~700 bytes per row, written with every
placement): the leaves of each root are stored once (``merkle_batch``) and proofs are rebuilt
from them. ``ix_write_signer_status`` made every status change of an outbox row write new index
entries (on PostgreSQL a non-HOT update, twice per write); it is replaced by ``ix_write_open``
over the rows without a transaction only, so settling a write (status, ``anchored_at``, error)
touches no index. On PostgreSQL the table keeps 30% of each page free (``fillfactor``) so that
those updates find room on the row's own page, which a heap-only (HOT) update needs.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from registry_core.merkle import MerkleTree

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

write = sa.table(
    "write",
    sa.column("seq", sa.Integer()),
    sa.column("leaf", sa.String(length=66)),
    sa.column("merkle_root", sa.String(length=66)),
    sa.column("proof", sa.JSON()),
)
merkle_batch = sa.table(
    "merkle_batch",
    sa.column("merkle_root", sa.String(length=66)),
    sa.column("leaves", sa.JSON()),
)


def upgrade() -> None:
    op.create_table(
        "merkle_batch",
        sa.Column("merkle_root", sa.String(length=66), nullable=False),
        sa.Column("leaves", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("merkle_root"),
    )
    connection = op.get_bind()
    leaves: dict[str, list[str]] = defaultdict(list)
    for root, leaf in connection.execute(
        sa.select(write.c.merkle_root, write.c.leaf).where(
            write.c.proof.is_not(None), write.c.leaf.is_not(None), write.c.merkle_root.is_not(None)
        )
    ):
        leaves[root].append(leaf)
    if leaves:
        connection.execute(
            merkle_batch.insert(), [{"merkle_root": r, "leaves": ls} for r, ls in leaves.items()]
        )
    with op.batch_alter_table("write", schema=None) as batch_op:
        batch_op.drop_index("ix_write_signer_status")
        batch_op.create_index(
            "ix_write_open",
            ["signer", "seq"],
            unique=False,
            sqlite_where=sa.text("tx_id IS NULL"),
            postgresql_where=sa.text("tx_id IS NULL"),
        )
        batch_op.drop_column("proof")
    if connection.dialect.name == "postgresql":
        op.execute('ALTER TABLE "write" SET (fillfactor = 70)')


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute('ALTER TABLE "write" RESET (fillfactor)')
    with op.batch_alter_table("write", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proof", sa.JSON(), nullable=True))
        batch_op.drop_index("ix_write_open")
        batch_op.create_index("ix_write_signer_status", ["signer", "status", "seq"], unique=False)
    trees = {
        root: MerkleTree.of_leaves([bytes.fromhex(leaf[2:]) for leaf in leaves])
        for root, leaves in connection.execute(
            sa.select(merkle_batch.c.merkle_root, merkle_batch.c.leaves)
        )
    }
    rows = connection.execute(
        sa.select(write.c.seq, write.c.leaf, write.c.merkle_root).where(
            write.c.merkle_root.in_(list(trees)) if trees else sa.false(),
            write.c.leaf.is_not(None),
        )
    ).all()
    for seq, leaf, root in rows:
        proof = trees[root].proof(bytes.fromhex(leaf[2:]))
        connection.execute(
            write.update().where(write.c.seq == seq).values(proof=["0x" + p.hex() for p in proof])
        )
    op.drop_table("merkle_batch")
