"""Issue 12 item 6, crypto-shredding: a database backup taken before an erasure can no longer be
opened or linked to the anchored hash once the erasure happened, and the record's other versions
still open and verify against the chain. Real anvil, gateway, API (in-process) and SQLite files.

The backup is a consistent copy of the live registry database (SQLite's online backup API, as
``sqlite3 .backup`` makes it); the key store is the separate ``record-keys.db`` the backup never
contains (``registry_api/store/data_keys.py``: the threat model)."""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry_api.core.config import Settings
from registry_api.main import create_app
from registry_api.store import sealing
from registry_api.store.data_keys import DataKeyStore
from registry_core.hashing import content_hash
from tests.api.conftest import PASSPHRASE, Departments, make_key
from tests.api_process import poll

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["business_name", "owner"],
    "properties": {
        "business_name": {"type": "string", "maxLength": 200, "x-searchable": True},
        "owner": {"type": "string", "maxLength": 200},  # personal data: not in the index
    },
    "additionalProperties": False,
}


class City:
    def __init__(self, client: TestClient, data_dir: Path, headers: dict[str, str]) -> None:
        self.client, self.data_dir, self.headers = client, data_dir, headers

    @property
    def keys(self) -> DataKeyStore:
        store: DataKeyStore = self.client.app.state.data_keys  # type: ignore[attr-defined]
        return store

    def anchored(self, write_id: str) -> None:
        def check() -> bool:
            body = self.client.get(f"/writes/{write_id}", headers=self.headers).json()
            assert body["status"] != "failed", body
            return body["status"] == "anchored"

        poll(check, what=f"write {write_id} to be anchored")

    def backup(self, name: str) -> Path:
        copy = self.data_dir / name
        source, target = sqlite3.connect(self.data_dir / "registry.db"), sqlite3.connect(copy)
        source.backup(target)
        source.close(), target.close()
        return copy


@pytest.fixture(scope="module")
def town(
    gateway_url: str, deployments_dir: Path, departments: Departments,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[City]:  # fmt: skip
    data_dir = tmp_path_factory.mktemp("shred-city")
    settings = Settings(
        rpc_url=gateway_url, deployments_dir=deployments_dir, data_dir=data_dir,
        keys_dir=departments.keys_dir, keystore_passphrase=PASSPHRASE,
    )  # fmt: skip
    register_id = "SHRED" + secrets.token_hex(3).upper()
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        town = City(client, data_dir, {"X-API-Key": make_key(engine, "FB02", [register_id])})
        made = client.post(
            "/registers", json={"id": register_id, "name": "Shred", "schema": SCHEMA},
            headers=town.headers,
        )  # fmt: skip
        assert made.status_code == 202, made.text
        town.anchored(made.json()["write_id"])
        town.base = f"/registers/{register_id}/records"  # type: ignore[attr-defined]
        yield town


def _backup_version(backup: Path, record_id: str, index: int) -> sqlite3.Row:
    connection = sqlite3.connect(backup)
    connection.row_factory = sqlite3.Row
    row: sqlite3.Row = connection.execute(
        "SELECT * FROM record_version WHERE record_id = ? AND version_index = ?",
        (record_id, index),
    ).fetchone()
    tables = {t for (t,) in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert "data_key" not in tables  # the backup holds no key at all
    return row


def _opens(keys: DataKeyStore, row: sqlite3.Row) -> sealing.Opened | None:
    key = keys.fetch([sealing.key_id_of(row["sealed"])]).get(sealing.key_id_of(row["sealed"]))
    if key is None:
        return None
    return sealing.open_sealed(
        key, row["sealed"], record_id=row["record_id"], version_index=row["version_index"]
    )


def _hash(content: dict[str, Any], salt: str) -> str:
    return "0x" + content_hash(content, bytes.fromhex(salt[2:])).hex()


def test_a_backup_taken_before_an_erasure_no_longer_opens_after_it(
    town: City, caplog: pytest.LogCaptureFixture
) -> None:
    base: str = town.base  # type: ignore[attr-defined]
    owner = f"Erika Mustermann {secrets.token_hex(4)}"  # the personal data to be erased
    with caplog.at_level(logging.DEBUG):
        created = town.client.post(
            base, json={"content": {"business_name": "Printen eK", "owner": owner}},
            headers=town.headers,
        )  # fmt: skip
        record_id = created.json()["record_id"]
        amended = town.client.post(
            f"{base}/{record_id}/amend",
            json={"content": {"business_name": "Printen eK", "owner": "Nachfolger GmbH"}},
            headers=town.headers,
        )
        town.anchored(created.json()["write_id"])
        town.anchored(amended.json()["write_id"])
        first = town.client.get(f"{base}/{record_id}", headers=town.headers).json()["versions"][0]
        backup = town.backup("before-erasure.db")

        # Before the erasure the backup holds v0 only sealed: no owner, no salt in its bytes,
        # and it opens (with the live key store) to content that hashes to the anchored hash.
        raw = backup.read_bytes()
        assert owner.encode() not in raw and bytes.fromhex(first["salt"][2:]) not in raw
        assert first["salt"][2:].encode() not in raw
        row = _backup_version(backup, record_id, 0)
        assert row["content"] in (None, "null") and row["salt"] is None
        opened = _opens(town.keys, row)
        assert opened is not None and opened.content["owner"] == owner
        assert _hash(opened.content, opened.salt) == row["content_hash"] == first["content_hash"]
        with town.keys.engine.connect() as connection:
            wrapped = connection.exec_driver_sql(
                "SELECT wrapped FROM data_key WHERE id = ?", (sealing.key_id_of(row["sealed"]),)
            ).scalar_one()

        erased = town.client.post(
            f"{base}/{record_id}/erase",
            json={"reason": "data-subject-request", "versions": [0]},
            headers=town.headers,
        )
        assert erased.status_code == 202, erased.text
        town.anchored(erased.json()["writes"][0]["write_id"])
    assert all(owner not in record.getMessage() for record in caplog.records)  # never logged

    # After it: the same backup row's key is gone from the key store (and its bytes from the
    # key store's file), no other key opens it, and without the salt nothing links it to the chain.
    assert _opens(town.keys, row) is None
    other = _backup_version(backup, record_id, 1)  # the surviving version's key
    [survivor] = town.keys.fetch([sealing.key_id_of(other["sealed"])]).values()
    with pytest.raises(sealing.SealError):
        sealing.open_sealed(survivor, row["sealed"], record_id=record_id, version_index=0)
    town.keys.close()  # the pool's connections hold no page of the deleted row either
    assert wrapped not in (town.data_dir / "record-keys.db").read_bytes()
    live = town.client.get(f"{base}/{record_id}", headers=town.headers).json()["versions"][0]
    assert (live["content"], live["salt"], live["status"]) == (None, None, "erased")
    assert live["on_chain"]["status"] == "erased"


def test_the_live_records_other_versions_still_verify(town: City) -> None:
    """After a partial erasure, the remaining version opens from the store, its content hash
    recomputes from content and salt, and the chain's anchor has that hash."""
    base: str = town.base  # type: ignore[attr-defined]
    created = town.client.post(
        base, json={"content": {"business_name": "Aachener Printen", "owner": "A. Person"}},
        headers=town.headers,
    )  # fmt: skip
    record_id = created.json()["record_id"]
    amended = town.client.post(
        f"{base}/{record_id}/amend",
        json={"content": {"business_name": "Aachener Printen", "owner": "B. Person"}},
        headers=town.headers,
    )
    town.anchored(amended.json()["write_id"])
    erased = town.client.post(
        f"{base}/{record_id}/erase",
        json={"reason": "data-subject-request", "versions": [0]},
        headers=town.headers,
    )
    town.anchored(erased.json()["writes"][0]["write_id"])
    record = town.client.get(f"{base}/{record_id}", headers=town.headers).json()
    gone, kept = record["versions"]
    assert gone["status"] == "erased" and gone["content"] is None
    assert kept["content"] == {"business_name": "Aachener Printen", "owner": "B. Person"}
    assert _hash(kept["content"], kept["salt"]) == kept["content_hash"]
    assert kept["on_chain"] == {"verified": True, "status": "active", "erasure_reason": None}
    assert record["latest"] == kept["content"] and record["status"] == "active"
    # the index holds the searchable name, never the owner
    found = town.client.get(base, params={"q": "aachener"}, headers=town.headers).json()
    assert record_id in [r["id"] for r in found["data"]]
    assert (
        town.client.get(base, params={"q": "B. Person"}, headers=town.headers).json()["count"] == 0
    )
