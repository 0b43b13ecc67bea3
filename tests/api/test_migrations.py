"""The Alembic migrations build exactly the tables the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlmodel import Session, SQLModel

import registry_api.models.tables  # noqa: F401  (registers the tables on the metadata)
from registry_api.chain import outbox
from registry_api.core.db import alembic_config, upgrade
from registry_api.core.security import authenticate
from registry_api.models.tables import ApiKey
from registry_core.merkle import MerkleTree


def _explorer_table(difference: object) -> bool:
    item = difference[1] if isinstance(difference, tuple) and len(difference) > 1 else None
    table = getattr(item, "table", item)
    return str(getattr(table, "name", "")).startswith("explorer_")


def test_migrations_match_the_models(database_url: str) -> None:
    upgrade(database_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection), SQLModel.metadata
            )
            indexes = {i["name"] for i in inspect(connection).get_indexes("record_version")}
    finally:
        engine.dispose()
    # The explorer keeps its own cache in the same process-wide SQLModel metadata once a test of
    # it has imported explorer.store; its tables are not the API's, and the API's migrations
    # do not make them.
    differences = [d for d in differences if not _explorer_table(d)]
    assert differences == [], f"models and migrations differ: {differences}"
    # 0002 dropped the version indexes that no query reads; the unique constraint stays.
    assert "ix_record_version_content_hash" not in indexes


def test_keys_made_before_credential_scopes_keep_working(database_url: str) -> None:
    """0003 gives the keys that exist every credential type ("*"), as they had before."""
    upgrade(database_url)
    command.downgrade(alembic_config(database_url), "0002")
    secret = secrets.token_urlsafe(32)
    old_key = sa.table(
        "api_key",
        *(sa.column(name) for name in ("id", "department", "key_hash", "label", "revoked")),
        sa.column("registers", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                old_key.insert().values(
                    id="00c0ffee00c0ffee",
                    department="FB32",
                    registers=["TRADE"],
                    key_hash=hashlib.sha256(secret.encode()).hexdigest(),
                    label="made before 0003",
                    revoked=False,
                    created_at=datetime.now(UTC),
                )
            )
        upgrade(database_url)
        with Session(engine) as session:
            row = session.get(ApiKey, "00c0ffee00c0ffee")
            assert row is not None
            assert (row.credential_types, row.revoked_reason, row.revoked_at) == (["*"], "", None)
            department = authenticate(session=session, token=f"crk_00c0ffee00c0ffee_{secret}")
            session.delete(row)
            session.commit()
    finally:
        engine.dispose()
    assert department is not None and department.registers == {"TRADE"}
    assert department.may_issue("PARKING_PERMIT") and department.may_change_credential_status


def test_batch_proofs_move_to_their_batch_and_back(database_url: str) -> None:
    """0011 keeps each batch's leaves once (``merkle_batch``) instead of a proof per outbox row;
    the proofs rebuilt from them are the ones stored before, and a downgrade restores them. No
    index of the outbox covers ``status`` (settling is a HOT update on PostgreSQL)."""
    leaves = [secrets.token_bytes(32) for _ in range(5)]
    tree = MerkleTree.of_leaves(leaves)
    root = "0x" + tree.root.hex()
    proofs = {leaf: ["0x" + p.hex() for p in tree.proof(leaf)] for leaf in leaves}
    old_write = sa.table(
        "write",
        *(sa.column(name) for name in ("id", "department", "signer", "planner", "kind")),
        *(sa.column(name) for name in ("target", "mode", "status", "replans", "leaf")),
        sa.column("merkle_root"),
        sa.column("proof", sa.JSON()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    config = alembic_config(database_url)
    before = ScriptDirectory.from_config(config).get_revision("0011").down_revision
    assert isinstance(before, str)
    upgrade(database_url)
    command.downgrade(config, before)
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                old_write.insert(),
                [
                    {"id": f"w{i}", "department": "FB02", "signer": "0x" + "11" * 20,
                     "planner": "registers", "kind": "create", "target": "RegisterHub",
                     "mode": "batch", "status": "anchored", "replans": 0,
                     "leaf": "0x" + leaf.hex(), "merkle_root": root, "proof": proofs[leaf],
                     "created_at": datetime.now(UTC)}
                    for i, leaf in enumerate(leaves)
                ],
            )  # fmt: skip
        upgrade(database_url)
        with Session(engine) as session:
            rebuilt = {
                leaf: outbox.batch_proof(session, root, "0x" + leaf.hex()) for leaf in leaves
            }
            indexed = {
                column
                for index in inspect(session.connection()).get_indexes("write")
                for column in index["column_names"]
            }
        assert rebuilt == proofs
        assert "status" not in indexed and "signer" in indexed
        command.downgrade(config, before)
        with engine.connect() as connection:
            restored = dict(
                connection.execute(sa.select(old_write.c.leaf, old_write.c.proof)).all()
            )
        assert restored == {"0x" + leaf.hex(): proofs[leaf] for leaf in leaves}
        with engine.begin() as connection:
            connection.execute(old_write.delete())
        upgrade(database_url)
    finally:
        engine.dispose()
