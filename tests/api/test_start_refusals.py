"""Issue 12 item 7: outside development the API refuses to start with demo secrets or without its
key-encryption key, and every key that cannot be loaded is logged without a secret. In-process:
no chain is needed to refuse."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from registry_api.chain.keys import DemoKeyError, unlock_keys
from registry_api.core.config import Settings
from registry_api.main import create_app
from registry_api.store.data_keys import KeyRingError
from registry_core.demo import DEMO_PASSPHRASE, DEMO_RECORD_KEK
from registry_core.keystore import Keystore
from tests.fixture_keys import TEST_SCRYPT_N

PASSPHRASE = "a-real-passphrase-of-the-city"
KEK = base64.b64encode(os.urandom(32)).decode()


def _production(tmp_path: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "production",
        "data_dir": tmp_path,
        "keystore_passphrase": PASSPHRASE,
        "record_keks": {"city-2026": SecretStr(KEK)},
        "record_kek_id": "city-2026",
        "key_database_url": f"sqlite:///{tmp_path / 'keys-elsewhere.db'}",
    }
    values.update(changes)
    return Settings(**{name: value for name, value in values.items() if value is not None})


def test_production_starts_with_its_own_secrets(tmp_path: Path) -> None:
    assert _production(tmp_path).key_database.endswith("keys-elsewhere.db")


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"keystore_passphrase": DEMO_PASSPHRASE}, "the demo passphrase is for development"),
        ({"record_keks": {"demo": SecretStr(DEMO_RECORD_KEK)}, "record_kek_id": "demo"},
         "holds the demo key-encryption key"),
        ({"record_keks": {}}, "set CITY_API_RECORD_KEKS with the key-encryption key 'city-2026'"),
        ({"record_keks": None}, "production has no key-encryption key for record contents"),
        ({"record_kek_id": "city-2027"}, "key-encryption key 'city-2027'"),
        ({"key_database_url": ""}, "set CITY_API_KEY_DATABASE_URL to a database of its own"),
        ({"database_url": "sqlite:///same.db", "key_database_url": "sqlite:///same.db"},
         "not the registry's"),
    ],
)  # fmt: skip
def test_production_refuses_demo_secrets_and_a_missing_kek(
    tmp_path: Path, changes: dict[str, Any], refusal: str
) -> None:
    with pytest.raises(ValidationError, match=refusal) as refused:
        _production(tmp_path, **changes)
    text = str(refused.value)
    assert KEK not in text and DEMO_RECORD_KEK not in text and PASSPHRASE not in text


def test_a_malformed_kek_stops_the_start_before_anything_opens(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, record_keks={"k": SecretStr("dG9vIHNob3J0")}, record_kek_id="k"
    )
    with pytest.raises(KeyRingError, match="'k' has 9 bytes"), TestClient(create_app(settings)):
        pass
    assert not (tmp_path / "registry.db").exists()  # refused before the store was opened


def test_every_key_that_cannot_be_loaded_is_logged_without_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keystore = Keystore(tmp_path / "keys")
    keystore.create("dept-fb02", "another-passphrase", scrypt_n=TEST_SCRYPT_N)
    (tmp_path / "keys" / "vc-fb02.json").write_text("{not a key file")
    settings = Settings(
        data_dir=tmp_path, keystore_passphrase=PASSPHRASE,
        signers={"FB02": "dept-fb02"}, credential_keys={"FB02": "vc-fb02"},
        relay_keys=[], payments_relay_key="relay-payments",
    )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="registry_api.chain.keys"):
        assert unlock_keys(settings) == []
    logged = {record.getMessage() for record in caplog.records}
    assert logged == {
        "key 'dept-fb02' (department FB02): wrong passphrase for key 'dept-fb02'",
        "key 'vc-fb02' (department FB02): vc-fb02.json is not a key file (not JSON)",
        "no key 'relay-payments' (department None): its writes are refused",
    }
    assert all(PASSPHRASE not in line for line in logged)


def test_production_refuses_a_test_key_file(tmp_path: Path) -> None:
    Keystore(tmp_path / "keys").create("dept-fb02", PASSPHRASE, scrypt_n=TEST_SCRYPT_N)
    settings = _production(tmp_path, signers={"FB02": "dept-fb02"}, credential_keys={})
    with pytest.raises(DemoKeyError, match="'dept-fb02' is a test or demo key file"):
        unlock_keys(settings)
