"""The signing keys the senders run for, unlocked from the encrypted keystore.

Each department's register key (``CITY_API_SIGNERS``) and credential key
(``CITY_API_CREDENTIAL_KEYS``), and the relay keys (``CITY_API_RELAY_KEYS``, ``CITY_API_PAYMENTS_RELAY_KEY``). Every key has one
nonce stream, owned by the one sender that holds its lease; no other code signs transactions
with it. Every key that cannot be loaded is logged (its name and why, never a secret). Outside
development a key file with a test-grade work factor (``tests/fixture_keys.py``, the fuzzing
city) stops the start: such files are made for throw-away chains only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from registry_api.core.config import Settings
from registry_core.errors import KeystoreError
from registry_core.keystore import Keystore, read_key_file

log = logging.getLogger(__name__)

# eth-account's default scrypt cost; the tests and the fuzzing city write cheaper key files.
PRODUCTION_SCRYPT_N = 2**18


class DemoKeyError(RuntimeError):
    """Outside development: a key file made for tests or the demo."""


def _refuse_test_key(keystore: Keystore, name: str) -> None:
    document = read_key_file(keystore.path(name))
    params = (document.get("crypto") or document.get("Crypto") or {}).get("kdfparams") or {}
    cost = params.get("n")
    if isinstance(cost, int) and cost < PRODUCTION_SCRYPT_N:
        raise DemoKeyError(
            f"key {name!r} is a test or demo key file (scrypt n={cost}, below "
            f"{PRODUCTION_SCRYPT_N}): production refuses to start with it"
        )


@dataclass(frozen=True)
class SigningKey:
    name: str  # keystore entry
    department: str | None  # None for a relay key
    account: LocalAccount


def key_names(settings: Settings) -> dict[str, str | None]:
    """Every keystore entry a sender runs for -> its department (None: a relay key)."""
    names: dict[str, str | None] = {}
    for department, name in (*settings.signers.items(), *settings.credential_keys.items()):
        names[name] = department
    for name in (*settings.relay_keys, settings.payments_relay_key):
        names.setdefault(name, None)
    return names


def unlock_keys(settings: Settings) -> list[SigningKey]:
    """The signing keys from the keystore; entries that do not exist or do not open are skipped
    (logged); outside development a test key file raises :class:`DemoKeyError`."""
    keystore = Keystore(settings.keystore_dir)
    passphrase = settings.keystore_passphrase.get_secret_value()
    keys: list[SigningKey] = []
    for name, department in key_names(settings).items():
        if not keystore.exists(name):
            log.warning("no key %r (department %s): its writes are refused", name, department)
            continue
        try:
            if settings.environment != "development":
                _refuse_test_key(keystore, name)
            keys.append(SigningKey(name, department, keystore.load(name, passphrase)))
        except KeystoreError as exc:
            log.error("key %r (department %s): %s", name, department, exc.detail)
    return keys
