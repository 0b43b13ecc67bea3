"""Several identities per wallet (e.g. the citizen and their company), each with its own key.

Layout of ``<home>``::

    wallet.json          format, chain id, default identity, identities (name, address, DID),
                         pinned trust-bundle signers: no secrets
    keys/<name>.json     each identity's key, Web3 Secret Storage v3 (scrypt), owner-only

Each identity's key comes from its own BIP-39 mnemonic (eth-account's HD wallet, path
``m/44'/60'/0'/0/0``), so that a company's identity can be handed over without the citizen's. The
mnemonic is shown once and never stored. A wallet of the first layout (one key ``keys/holder.json``
and its address in ``wallet.json``) reads as a wallet with one identity named ``holder``.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.did import DidError, make_did, parse_did
from registry_core.errors import KeystoreFormatError, KeystoreNotFoundError, KeystorePassphraseError
from registry_core.keystore import Keystore, decrypt_key, encrypt_key, write_new_file
from wallet.errors import CorruptFileError, UnknownItemError, WalletError, WrongPassphraseError
from wallet.files import read_json, write_json

FORMAT = "city-wallet/2"
DEFAULT_CHAIN_ID = 52062
DEFAULT_IDENTITY = "personal"
LEGACY_IDENTITY = "holder"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
Account.enable_unaudited_hdwallet_features()

# Keys made with cheap scrypt parameters carry this field, so that nobody mistakes one for a real key.
TEST_FIXTURE_MARK = "x-city-test-fixture"
TEST_FIXTURE_ENV = "CITY_WALLET_TEST_FIXTURE_KEYS"


@dataclass(frozen=True)
class KeyCost:
    """scrypt work factor for new key and backup files (``None``: eth-account's 2**18)."""

    scrypt_n: int | None = None

    @property
    def test_fixture(self) -> bool:
        return self.scrypt_n is not None

    @classmethod
    def from_environment(cls) -> KeyCost:
        """Standard cost, unless a test asks for throw-away keys (``…=cheap-scrypt``)."""
        return TEST_FIXTURE_COST if os.environ.get(TEST_FIXTURE_ENV) == "cheap-scrypt" else cls()

    def mark(self, document: dict[str, Any]) -> dict[str, Any]:
        if self.test_fixture:
            document[TEST_FIXTURE_MARK] = f"cheap scrypt (n={self.scrypt_n}): test fixture only"
        return document


TEST_FIXTURE_COST = KeyCost(scrypt_n=2**4)


def new_mnemonic(words: int = 12) -> str:
    if words not in (12, 24):
        raise WalletError(
            "a mnemonic has 12 or 24 words", de="eine Wortliste hat 12 oder 24 Wörter"
        )
    _, mnemonic = Account.create_with_mnemonic(num_words=words)
    return str(mnemonic)


def account_from_mnemonic(mnemonic: str) -> LocalAccount:
    try:
        account: LocalAccount = Account.from_mnemonic(" ".join(mnemonic.split()))
    except Exception:  # eth-account raises ValidationError/ValueError variants
        raise WalletError(
            "not a valid BIP-39 mnemonic (check the words and their order)",
            de="keine gültige BIP-39-Wortliste (Wörter und Reihenfolge prüfen)",
        ) from None
    return account


@dataclass(frozen=True)
class Identity:
    name: str
    address: str  # the key that currently controls the DID
    did: str  # did:ethr of the identity; stays the same when the key is rotated
    created_at: int

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "did": self.did, "created_at": self.created_at}


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise WalletError(
            f"invalid identity name {name!r}: 1-32 of a-z, 0-9, '-' and '_'",
            de=f"ungültiger Name {name!r}: 1-32 Zeichen aus a-z, 0-9, '-' und '_'",
        )
    return name


def _no_wallet(home: Path) -> WalletError:
    return WalletError(
        f"no wallet in {home}; create one with 'city-wallet init'",
        de=f"keine Brieftasche in {home}; anlegen mit 'city-wallet init'",
    )


class IdentityBook:
    """The identities of one wallet folder and their key files."""

    def __init__(self, home: Path, cost: KeyCost | None = None) -> None:
        self.home = home
        self.cost = cost if cost is not None else KeyCost.from_environment()
        self.keystore = Keystore(home / "keys")
        self.config_path = home / "wallet.json"

    @property
    def exists(self) -> bool:
        return self.config_path.exists()

    def config(self) -> dict[str, Any]:
        try:
            data = read_json(self.config_path)
        except FileNotFoundError:
            raise _no_wallet(self.home) from None
        if "format" not in data and "address" in data:  # the first layout: one key named holder
            data = {
                "format": FORMAT,
                "chain_id": data.get("chain_id", DEFAULT_CHAIN_ID),
                "default_identity": LEGACY_IDENTITY,
                "identities": {
                    LEGACY_IDENTITY: {
                        "address": data["address"],
                        "did": data["did"],
                        "created_at": 0,
                    }
                },
                "trusted_bundle_signers": data.get("trusted_bundle_signers", []),
            }
        if data.get("format") != FORMAT or not isinstance(data.get("identities"), dict):
            raise CorruptFileError(
                f"{self.config_path} is not a city wallet file",
                de=f"{self.config_path} ist keine Brieftaschen-Datei",
            )
        return data

    def save_config(self, data: dict[str, Any]) -> None:
        write_json(self.config_path, data)

    @property
    def chain_id(self) -> int:
        return int(self.config()["chain_id"])

    def all(self) -> list[Identity]:
        config = self.config()
        return [
            Identity(name, str(v["address"]), str(v["did"]), int(v.get("created_at", 0)))
            for name, v in sorted(config["identities"].items())
        ]

    @property
    def default_name(self) -> str:
        return str(self.config()["default_identity"])

    def get(self, name: str | None = None) -> Identity:
        wanted = name or self.default_name
        for identity in self.all():
            if identity.name == wanted:
                return identity
        known = ", ".join(i.name for i in self.all())
        raise UnknownItemError(
            f"no identity named {wanted!r} in this wallet (known: {known})",
            de=f"keine Identität namens {wanted!r} in dieser Brieftasche (vorhanden: {known})",
        )

    def set_default(self, name: str) -> Identity:
        identity = self.get(name)
        config = self.config()
        config["default_identity"] = identity.name
        self.save_config(config)
        return identity

    def add(
        self,
        account: LocalAccount,
        passphrase: str,
        *,
        name: str,
        chain_id: int = DEFAULT_CHAIN_ID,
        did: str | None = None,
    ) -> Identity:
        """Store ``account`` as a new identity (the first one becomes the default)."""
        check_name(name)
        config = self.config() if self.exists else None
        if config is not None and name in config["identities"]:
            raise WalletError(
                f"an identity named {name!r} exists already",
                de=f"die Identität {name!r} gibt es schon",
            )
        if config is not None:
            chain_id = int(config["chain_id"])  # one city per wallet
            for other, known in config["identities"].items():
                if str(known["address"]).lower() == account.address.lower():
                    raise WalletError(
                        f"this key is already the identity {other!r}",
                        de=f"dieser Schlüssel ist schon die Identität {other!r}",
                    )
        if self.keystore.exists(name):
            raise WalletError(
                f"a key file for {name!r} exists already in {self.keystore.directory}",
                de=f"für {name!r} liegt schon eine Schlüsseldatei in {self.keystore.directory}",
            )
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        document = self.cost.mark(
            encrypt_key(bytes(account.key), passphrase, scrypt_n=self.cost.scrypt_n)
        )
        write_new_file(self.keystore.path(name), document)
        if did is not None:
            try:
                parsed = parse_did(did)
            except DidError:
                raise WalletError(f"{did!r:.80} is not a did:ethr", de="keine did:ethr") from None
            if parsed.chain_id != chain_id:
                raise WalletError(
                    f"{did} is of another chain than {chain_id}", de="DID einer anderen Kette"
                )
            did = str(parsed)
        identity = Identity(
            name, account.address, did or make_did(account.address, chain_id), int(time.time())
        )
        if config is None:
            config = {
                "format": FORMAT,
                "chain_id": chain_id,
                "default_identity": name,
                "identities": {},
                "trusted_bundle_signers": [],
            }
        config["identities"][name] = identity.to_json()
        self.save_config(config)
        return identity

    def key_document(self, name: str | None = None) -> dict[str, Any]:
        """The identity's key file as stored (encrypted), e.g. for export."""
        identity = self.get(name)
        try:
            return read_json(self.keystore.path(identity.name))
        except FileNotFoundError:
            raise CorruptFileError(
                f"the key file of {identity.name!r} is missing",
                de=f"die Schlüsseldatei von {identity.name!r} fehlt",
            ) from None

    def unlock(self, passphrase: str, name: str | None = None) -> LocalAccount:
        identity = self.get(name)
        account = open_key(self.key_document(identity.name), passphrase, what=identity.name)
        if account.address != identity.address:
            raise CorruptFileError(
                f"the key file of {identity.name!r} holds another key than the wallet names",
                de=f"die Schlüsseldatei von {identity.name!r} enthält einen anderen Schlüssel",
            )
        return account

    # -- key rotation: the next key waits in keys/next/ until the chain names it the owner --------

    def _next_path(self, name: str) -> Path:
        return self.keystore.directory / "next" / f"{check_name(name)}.json"

    def store_next_key(self, account: LocalAccount, passphrase: str, name: str) -> None:
        document = self.cost.mark(
            encrypt_key(bytes(account.key), passphrase, scrypt_n=self.cost.scrypt_n)
        )
        write_new_file(self._next_path(name), document)

    def next_key(self, passphrase: str, name: str) -> LocalAccount | None:
        """The identity's next key if a rotation is under way."""
        path = self._next_path(name)
        if not path.exists():
            return None
        return open_key(read_json(path), passphrase, what=f"{name} (next key)")

    def complete_rotation(self, name: str, new_address: str) -> Identity:
        """The next key becomes the identity's key (the chain already says so); the old one goes."""
        identity = self.get(name)
        os.replace(self._next_path(name), self.keystore.path(identity.name))
        config = self.config()
        config["identities"][identity.name]["address"] = new_address
        self.save_config(config)
        return self.get(name)


def open_key(document: object, passphrase: str, *, what: str) -> LocalAccount:
    """Decrypt a key file, telling a wrong passphrase from a damaged file."""
    try:
        return decrypt_key(document, passphrase)
    except KeystorePassphraseError:
        raise WrongPassphraseError(
            f"wrong passphrase for {what!r}", de=f"falsche Passphrase für {what!r}"
        ) from None
    except (KeystoreFormatError, KeystoreNotFoundError) as exc:
        raise CorruptFileError(
            f"the key file of {what!r} is unusable: {exc.detail}",
            de=f"die Schlüsseldatei von {what!r} ist unbrauchbar",
        ) from None
