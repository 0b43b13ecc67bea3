"""The whole wallet as one encrypted file: identities and their key files, credentials, trust settings.

Format ``city-wallet-backup/1`` (JSON)::

    {"format": "city-wallet-backup/1", "created_at": …, "kdf": "scrypt",
     "kdfparams": {"n": 262144, "r": 1, "p": 8, "salt": "<hex>"}, "check": "<hex>",
     "cipher": "aes-256-gcm", "nonce": "<hex>", "ciphertext": "<base64>"}

scrypt turns the backup passphrase into 64 bytes: the first 32 are the AES-256-GCM key, the SHA-256
of the last 32 is ``check``. So a wrong passphrase is told apart (``check`` differs) from a damaged
file (``check`` matches but GCM's tag does not, or the content is not a wallet). The header is
GCM's associated data, so it cannot be changed unnoticed either. The plaintext is the wallet's files
as ``{"files": {relative path: text}}``; key files stay encrypted with their own passphrases inside.
Restoring writes into a new folder beside the target and renames it into place only when everything
checked out: a failed restore leaves nothing behind, and an existing wallet is never overwritten.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from wallet.errors import CorruptFileError, WalletError, WrongPassphraseError
from wallet.identities import TEST_FIXTURE_MARK, IdentityBook, KeyCost

FORMAT = "city-wallet-backup/1"
STANDARD_SCRYPT_N = 2**18
MAX_BACKUP_BYTES = 64 * 1024 * 1024
# What a backup holds (relative to the wallet folder); caches and session tokens stay out.
BACKED_UP = ("wallet.json", "keys/*.json", "credentials/*.json", "trust-bundle.json")


def _damaged(why: str) -> CorruptFileError:
    return CorruptFileError(
        f"the backup file is damaged or not a wallet backup ({why})",
        de="die Sicherungsdatei ist beschädigt oder keine Brieftaschen-Sicherung",
    )


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    derived = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return derived[:32], hashlib.sha256(derived[32:]).digest()


def _associated_data(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


def wallet_files(home: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for pattern in BACKED_UP:
        for path in sorted(home.glob(pattern)):
            if path.is_file():
                files[path.relative_to(home).as_posix()] = path.read_text(encoding="utf-8")
    return files


def create_backup(home: Path, passphrase: str, *, cost: KeyCost | None = None) -> bytes:
    """The wallet in ``home`` as one encrypted backup document."""
    IdentityBook(home).config()  # refuses a missing or damaged wallet before anything is written
    cost = cost if cost is not None else KeyCost.from_environment()
    n = cost.scrypt_n or STANDARD_SCRYPT_N
    salt = secrets.token_bytes(16)
    key, check = _derive(passphrase, salt, n, 1, 8)
    header: dict[str, Any] = {
        "format": FORMAT,
        "created_at": int(time.time()),
        "kdf": "scrypt",
        "kdfparams": {"n": n, "r": 1, "p": 8, "salt": salt.hex()},
        "check": check.hex(),
        "cipher": "aes-256-gcm",
    }
    if cost.test_fixture:
        header[TEST_FIXTURE_MARK] = f"cheap scrypt (n={n}): test fixture only"
    nonce = secrets.token_bytes(12)
    plaintext = json.dumps({"files": wallet_files(home)}).encode("utf-8")
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _associated_data(header))
    document = {**header, "nonce": nonce.hex(), "ciphertext": base64.b64encode(ciphertext).decode()}
    return (json.dumps(document, indent=1) + "\n").encode("utf-8")


@dataclass(frozen=True)
class _Sealed:
    header: dict[str, Any]  # GCM's associated data
    salt: bytes
    n: int
    r: int
    p: int
    check: bytes
    nonce: bytes
    ciphertext: bytes


def _parse(data: bytes) -> _Sealed:
    if len(data) > MAX_BACKUP_BYTES:
        raise _damaged("too large")
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _damaged("not JSON") from None
    if not isinstance(document, dict):
        raise _damaged("not a JSON object")
    header = {k: v for k, v in document.items() if k not in ("nonce", "ciphertext")}
    if header.get("format") != FORMAT or header.get("cipher") != "aes-256-gcm":
        raise _damaged("unknown format")
    try:
        params = header["kdfparams"]
        sealed = _Sealed(
            header=header,
            salt=bytes.fromhex(params["salt"]),
            n=int(params["n"]),
            r=int(params["r"]),
            p=int(params["p"]),
            check=bytes.fromhex(header["check"]),
            nonce=bytes.fromhex(document["nonce"]),
            ciphertext=base64.b64decode(document["ciphertext"], validate=True),
        )
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise _damaged(f"field {exc}") from None
    # Bounds keep a crafted file from making us spend unbounded memory or time.
    n, r, p = sealed.n, sealed.r, sealed.p
    if not (2 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 8 and 1 <= p <= 16):
        raise _damaged("scrypt parameters out of range")
    return sealed


def read_backup(data: bytes, passphrase: str) -> dict[str, str]:
    """The files inside a backup; :class:`WrongPassphraseError` or :class:`CorruptFileError` otherwise."""
    sealed = _parse(data)
    key, check = _derive(passphrase, sealed.salt, sealed.n, sealed.r, sealed.p)
    if not hmac.compare_digest(check, sealed.check):
        raise WrongPassphraseError(
            "wrong passphrase for this backup", de="falsche Passphrase für diese Sicherung"
        )
    try:
        plaintext = AESGCM(key).decrypt(
            sealed.nonce, sealed.ciphertext, _associated_data(sealed.header)
        )
        files = json.loads(plaintext)["files"]
    except (InvalidTag, ValueError, KeyError, TypeError):
        raise _damaged("content altered") from None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise _damaged("content is not a list of files")
    return files


def _allowed(relative: str) -> bool:
    path = Path(relative)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and any(
            path.match(pattern) and len(path.parts) == len(Path(pattern).parts)
            for pattern in BACKED_UP
        )
    )


def restore_backup(home: Path, data: bytes, passphrase: str) -> IdentityBook:
    """Recreate the wallet of a backup in ``home``, which must not hold a wallet yet."""
    if home.exists() and any(home.iterdir()):
        raise WalletError(
            f"{home} is not empty; restore into a new folder (nothing was changed)",
            de=f"{home} ist nicht leer; in einen neuen Ordner wiederherstellen (nichts geändert)",
        )
    files = read_backup(data, passphrase)
    if "wallet.json" not in files or not all(_allowed(name) for name in files):
        raise _damaged("unexpected file list")
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}.restore-", dir=home.parent))
    try:
        for relative, text in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        book = IdentityBook(staging)
        for identity in book.all():  # every identity has its key file, with its address
            if book.keystore.address(identity.name) != identity.address:
                raise _damaged(f"key of {identity.name!r} does not match")
        if home.exists():
            home.rmdir()  # empty, checked above
        os.rename(staging, home)
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, WalletError):
            raise
        raise _damaged(type(exc).__name__) from None
    return IdentityBook(home)
