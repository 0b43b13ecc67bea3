"""Encrypted key files (Web3 Secret Storage version 3, scrypt) for every key the city's software holds.

Keys are never written in clear: each sits in ``<directory>/<name>.json`` readable by the owner only,
and is decrypted in memory with a passphrase. A file that cannot be read as a key file
(:class:`KeystoreFormatError`) is told apart from a passphrase that does not open it
(:class:`KeystorePassphraseError`), so that tools can say which.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from registry_core.errors import (
    KeystoreError,
    KeystoreFormatError,
    KeystoreNotFoundError,
    KeystorePassphraseError,
)

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_HEX = re.compile(r"^(0x)?[0-9a-fA-F]+$")
# scrypt work factors a key file may ask for: eth-account's default is 2**18; more than 2**20 would
# let a crafted file make us spend gigabytes of memory.
MAX_SCRYPT_N = 2**20


def encrypt_key(
    private_key: bytes, passphrase: str, *, scrypt_n: int | None = None
) -> dict[str, Any]:
    """A Web3 Secret Storage v3 document (scrypt; eth-account's default work factor unless given)."""
    return dict(Account.encrypt(private_key, passphrase, kdf="scrypt", iterations=scrypt_n))


def check_key_file(document: object) -> dict[str, Any]:
    """The document if it has the shape of a v3 key file, else :class:`KeystoreFormatError`."""
    if not isinstance(document, dict) or document.get("version") != 3:
        raise KeystoreFormatError("not a Web3 Secret Storage (version 3) key file")
    if not _well_formed(document.get("crypto") or document.get("Crypto")):
        raise KeystoreFormatError("the key file is damaged or incomplete")
    try:
        if "address" in document:
            to_checksum_address(document["address"])
    except (TypeError, ValueError):
        raise KeystoreFormatError("the key file's address is not an address") from None
    return document


def _well_formed(crypto: object) -> bool:
    if not isinstance(crypto, dict):
        return False
    params = crypto.get("kdfparams")
    iv = (crypto.get("cipherparams") or {}).get("iv")
    if not isinstance(params, dict) or crypto.get("cipher") != "aes-128-ctr":
        return False
    fields = (crypto.get("ciphertext"), crypto.get("mac"), iv, params.get("salt"))
    if not all(isinstance(f, str) and _HEX.match(f) for f in fields):
        return False
    if crypto.get("kdf") == "scrypt":
        n = params.get("n")
        return isinstance(n, int) and 2 <= n <= MAX_SCRYPT_N
    return crypto.get("kdf") == "pbkdf2"


def decrypt_key(document: object, passphrase: str) -> LocalAccount:
    """The account inside a key file; a wrong passphrase and a damaged file raise different errors."""
    checked = check_key_file(document)
    try:
        key = Account.decrypt(checked, passphrase)
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise KeystorePassphraseError("wrong passphrase for this key file") from None
        raise KeystoreFormatError("the key file is damaged or incomplete") from None
    account: LocalAccount = Account.from_key(key)
    if "address" in checked and to_checksum_address(checked["address"]) != account.address:
        raise KeystoreFormatError("the key file's address does not match its key")
    return account


def read_key_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeystoreNotFoundError(f"no key file {path}") from None
    try:
        return check_key_file(json.loads(text))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise KeystoreFormatError(f"{path.name} is not a key file (not JSON)") from None


def write_new_file(path: Path, document: dict[str, Any]) -> None:
    """Write a JSON document readable by the owner only; an existing file is never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle)


class Keystore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise KeystoreError(f"invalid key name {name!r}: use 1-64 of a-z, 0-9, '-' and '_'")
        return self.directory / f"{name}.json"

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def _read(self, name: str) -> dict[str, Any]:
        try:
            return read_key_file(self.path(name))
        except KeystoreNotFoundError:
            raise KeystoreNotFoundError(f"no key named {name!r} in {self.directory}") from None

    def address(self, name: str) -> str:
        """The key's address, read from the key file without decrypting it."""
        document = self._read(name)
        if "address" not in document:
            raise KeystoreFormatError(f"key file {name!r} names no address")
        return str(to_checksum_address(document["address"]))

    def store(
        self, name: str, private_key: bytes, passphrase: str, *, scrypt_n: int | None = None
    ) -> dict[str, Any]:
        """Encrypt and write a key under a new name (never over an existing file)."""
        path = self.path(name)
        if path.exists():
            raise KeystoreError(f"key {name!r} exists already in {self.directory}")
        document = encrypt_key(private_key, passphrase, scrypt_n=scrypt_n)
        write_new_file(path, document)
        return document

    def create(self, name: str, passphrase: str, *, scrypt_n: int | None = None) -> LocalAccount:
        """A new random key, stored encrypted (``scrypt_n``: as for :meth:`store`)."""
        account: LocalAccount = Account.create()
        self.store(name, bytes(account.key), passphrase, scrypt_n=scrypt_n)
        return account

    def load(self, name: str, passphrase: str) -> LocalAccount:
        try:
            return decrypt_key(self._read(name), passphrase)
        except KeystorePassphraseError:
            raise KeystorePassphraseError(f"wrong passphrase for key {name!r}") from None

    def load_or_create(self, name: str, passphrase: str) -> LocalAccount:
        return self.load(name, passphrase) if self.exists(name) else self.create(name, passphrase)
