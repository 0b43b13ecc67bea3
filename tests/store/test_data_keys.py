"""Sealed record contents without a chain: AES-256-GCM sealing, the key ring, the separate key
store on real SQLite files, KEK rotation, migration 0009 on existing plaintext, the search index."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from pydantic import SecretStr
from typer.testing import CliRunner

from registry_api.core.db import alembic_config, make_engine, upgrade
from registry_api.store import sealing
from registry_api.store.admin import key_commands
from registry_api.store.data_keys import DataKeyStore, KeyRing, KeyRingError, data_key
from registry_api.store.search_index import search_text
from registry_core.demo import TRADE_RECORD, TRADE_SCHEMA
from registry_core.hashing import content_hash, new_salt

RECORD = "0x" + "ab" * 32


def _kek() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _ring(active: str = "k1", **keks: str) -> KeyRing:
    return KeyRing.from_config({k: SecretStr(v) for k, v in keks.items()}, active)


def _store(tmp_path: Path, ring: KeyRing) -> DataKeyStore:
    return DataKeyStore(f"sqlite:///{tmp_path / 'record-keys.db'}", ring)


def test_a_sealed_version_opens_only_with_its_key_and_in_its_place() -> None:
    key_id, key = sealing.new_data_key()
    salt = "0x" + new_salt().hex()
    blob = sealing.seal(key_id, key, record_id=RECORD, version_index=1, content=TRADE_RECORD,
                        salt=salt)  # fmt: skip
    assert sealing.key_id_of(blob) == key_id
    assert b"Printen" not in blob and bytes.fromhex(salt[2:]) not in blob
    opened = sealing.open_sealed(key, blob, record_id=RECORD, version_index=1)
    assert (opened.content, opened.salt) == (TRADE_RECORD, salt)
    with pytest.raises(sealing.SealError):  # copied onto another version of the record
        sealing.open_sealed(key, blob, record_id=RECORD, version_index=2)
    with pytest.raises(sealing.SealError):
        sealing.open_sealed(sealing.new_data_key()[1], blob, record_id=RECORD, version_index=1)


@pytest.mark.parametrize(
    ("keks", "active", "message"),
    [
        ({}, "k1", "no key-encryption key 'k1'"),
        ({"k1": "not base64!"}, "k1", "is not base64"),
        ({"k1": base64.b64encode(b"short").decode()}, "k1", "has 5 bytes"),
    ],
)
def test_a_missing_or_malformed_kek_is_refused(
    keks: dict[str, str], active: str, message: str
) -> None:
    with pytest.raises(KeyRingError, match=message) as refused:
        KeyRing.from_config({k: SecretStr(v) for k, v in keks.items()}, active)
    assert all(v not in str(refused.value) for v in keks.values() if len(v) > 8)


def test_key_store_is_its_own_database_and_names_the_kek(tmp_path: Path) -> None:
    store = _store(tmp_path, _ring(k1=_kek()))
    [(key_id, key)] = store.create(1)
    assert store.fetch([key_id]) == {key_id: key}
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(data_key)).one()
    assert row.kek_id == "k1" and key not in row.wrapped
    assert store.destroy([key_id]) == 1 and store.fetch([key_id]) == {}
    # secure_delete: the destroyed key's wrapped bytes are gone from the file, not just unlinked
    store.close()
    assert row.wrapped not in (tmp_path / "record-keys.db").read_bytes()


def test_kek_rotation_rewraps_without_touching_content(tmp_path: Path) -> None:
    old, new = _kek(), _kek()
    store = _store(tmp_path, _ring("k1", k1=old))
    keys = store.create(3)
    blob = sealing.seal(*keys[0], record_id=RECORD, version_index=0, content={"a": 1}, salt="0x")
    store.close()
    rotated = _store(tmp_path, _ring("k2", k1=old, k2=new))
    assert rotated.kek_counts() == {"k1": 3}
    assert rotated.rewrap(batch=2) == {"k1": 3}
    assert rotated.kek_counts() == {"k2": 3} and rotated.rewrap() == {}
    rotated.close()
    # the old KEK can go: the new one alone opens every key, and the content as it was
    alone = _store(tmp_path, _ring("k2", k2=new))
    found = alone.fetch(key_id for key_id, _ in keys)
    assert found == dict(keys)
    opened = sealing.open_sealed(found[keys[0][0]], blob, record_id=RECORD, version_index=0)
    assert opened.content == {"a": 1}
    alone.close()
    without_new = _store(tmp_path, _ring("k1", k1=old))
    with pytest.raises(KeyRingError, match="'k2', which this process does not hold"):
        without_new.fetch([keys[0][0]])
    without_new.close()


def test_rotate_kek_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from registry_api.core.config import get_settings

    old, new = _kek(), _kek()
    monkeypatch.setenv("CITY_API_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CITY_API_RECORD_KEKS", f'{{"k1": "{old}"}}')
    monkeypatch.setenv("CITY_API_RECORD_KEK_ID", "k1")
    get_settings.cache_clear()
    _store(tmp_path, _ring("k1", k1=old)).create(2)
    monkeypatch.setenv("CITY_API_RECORD_KEKS", f'{{"k1": "{old}", "k2": "{new}"}}')
    monkeypatch.setenv("CITY_API_RECORD_KEK_ID", "k2")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        rotated = runner.invoke(key_commands, ["rotate-kek"])
        assert rotated.exit_code == 0, rotated.output
        assert "2 data key(s) rewrapped from KEK 'k1'" in rotated.output
        status = runner.invoke(key_commands, ["status", "--json"])
        assert '"k2": 2' in status.output and old not in status.output + rotated.output
        monkeypatch.setenv("CITY_API_RECORD_KEK_ID", "k3")
        get_settings.cache_clear()
        refused = runner.invoke(key_commands, ["rotate-kek"])
        assert refused.exit_code == 2 and "no key-encryption key 'k3'" in refused.output
    finally:
        get_settings.cache_clear()


def _plaintext_version(index: int, content: dict[str, Any] | None) -> dict[str, Any]:
    salt = new_salt()
    return {
        "record_id": RECORD, "version_index": index, "content": content,
        "salt": "0x" + salt.hex() if content is not None else None,
        "content_hash": "0x" + content_hash(content or {}, salt).hex(),
        "previous_hash": "0x" + "00" * 32, "status": "active" if content else "erased",
        "anchored_status": "active", "write_id": f"w{index}", "created_at": datetime.now(UTC),
    }  # fmt: skip


def test_migration_0009_seals_existing_plaintext(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade(url, "0008")
    engine = make_engine(url)
    versions = sa.table(
        "record_version",
        *(sa.column(c, sa.JSON if c == "content" else None) for c in _plaintext_version(0, {})),
    )
    rows = [_plaintext_version(0, TRADE_RECORD), _plaintext_version(1, None)]
    rows[1]["status"] = "closed"  # a closing decision: the index keeps version 0's fields
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(sa.insert(versions), rows)
        connection.execute(
            sa.text(
                "INSERT INTO register (id, name, description, department, schema, schema_hash,"
                " write_id, created_at) VALUES ('TRADE', 'T', '', 'FB02', :schema, '0x', 'w', :now)"
            ),
            {"schema": json.dumps(TRADE_SCHEMA), "now": now},
        )
        connection.execute(
            sa.text(
                "INSERT INTO record (id, register_id, department, mode, status, version_count,"
                " search_text, created_at, updated_at) VALUES (:id, 'TRADE', 'FB02', 'single',"
                " 'closed', 2, :text, :now, :now)"
            ),
            {"id": RECORD, "text": json.dumps(TRADE_RECORD).lower(), "now": now},
        )
    store = _store(tmp_path, _ring(k1=_kek()))
    upgrade(url, data_keys=store)
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT version_index, content, salt, sealed FROM record_version ORDER BY 1")
        ).all()
    assert (stored[0].content, stored[0].salt) == (None, None)
    with engine.connect() as connection:
        index = connection.execute(sa.text("SELECT search_text FROM record")).scalar_one()
    assert index == search_text(TRADE_SCHEMA, TRADE_RECORD) and "pontstraße" not in index
    assert stored[1].salt is None and stored[1].sealed is None  # erased before: nothing to seal
    key = store.fetch([sealing.key_id_of(stored[0].sealed)])[sealing.key_id_of(stored[0].sealed)]
    opened = sealing.open_sealed(key, stored[0].sealed, record_id=RECORD, version_index=0)
    assert opened.content == TRADE_RECORD
    assert (
        "0x" + content_hash(opened.content, bytes.fromhex(opened.salt[2:])).hex()
        == rows[0]["content_hash"]
    )
    config = alembic_config(url)
    config.attributes["data_keys"] = store
    command.downgrade(config, "0008")
    with engine.connect() as connection:
        back = connection.execute(
            sa.text("SELECT content FROM record_version ORDER BY version_index")
        ).all()
    assert back[0].content is not None and "Printen" in back[0].content
    engine.dispose()
    store.close()


def test_search_index_holds_only_fields_marked_searchable() -> None:
    text = search_text(TRADE_SCHEMA, TRADE_RECORD)
    assert "printen-manufaktur" in text and "52062" in text and "aachen" in text
    assert "pontstraße" not in text and "2026-03-02" not in text  # street, date: not marked
    assert search_text({"type": "object"}, TRADE_RECORD) == ""
    assert search_text(TRADE_SCHEMA, None) == ""


def test_a_kek_dropped_too_early_is_a_503_problem_on_read(tmp_path: Path) -> None:
    from registry_api.core.errors import RegistryError
    from registry_api.models.tables import RecordVersion
    from registry_api.store import records

    old = _kek()
    store = _store(tmp_path, _ring("k1", k1=old))
    records.install(store)
    try:
        version = RecordVersion(record_id=RECORD, version_index=0, content_hash="0x",
                                previous_hash="0x", status="active", anchored_status="active",
                                write_id="w")  # fmt: skip
        records.seal_version(version, content={"a": 1}, salt="0x01")
        assert records.open_versions([version])[(RECORD, 0)].content == {"a": 1}
        store.ring = _ring("k2", k2=_kek())  # the old KEK gone before rotate-kek ran
        with pytest.raises(RegistryError) as refused:
            records.open_versions([version])
        assert refused.value.status == 503 and refused.value.kind == "record-keys-unavailable"
    finally:
        records.uninstall(store)
        store.close()
