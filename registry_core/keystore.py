"""Encrypted key files (Web3 Secret Storage, scrypt) for department, council and operator keys.

Keys are never written in clear: each sits in ``<directory>/<name>.json`` readable by the owner only,
and is decrypted in memory with a passphrase taken from the environment.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from registry_core.errors import KeystoreError

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Keystore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise KeystoreError(f"invalid key name {name!r}: use 1-64 of a-z, 0-9, '-' and '_'")
        return self.directory / f"{name}.json"

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def address(self, name: str) -> str:
        """The key's address, read from the key file without decrypting it."""
        try:
            data = json.loads(self._path(name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise KeystoreError(f"no key named {name!r} in {self.directory}") from None
        return str(to_checksum_address(data["address"]))

    def create(self, name: str, passphrase: str) -> LocalAccount:
        path = self._path(name)
        if path.exists():
            raise KeystoreError(f"key {name!r} exists already in {self.directory}")
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        account: LocalAccount = Account.create()
        encrypted = Account.encrypt(account.key, passphrase, kdf="scrypt")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(encrypted, handle)
        return account

    def load(self, name: str, passphrase: str) -> LocalAccount:
        path = self._path(name)
        try:
            encrypted = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise KeystoreError(f"no key named {name!r} in {self.directory}") from None
        try:
            key = Account.decrypt(encrypted, passphrase)
        except ValueError:
            raise KeystoreError(f"wrong passphrase for key {name!r}") from None
        account: LocalAccount = Account.from_key(key)
        return account

    def load_or_create(self, name: str, passphrase: str) -> LocalAccount:
        return self.load(name, passphrase) if self.exists(name) else self.create(name, passphrase)
