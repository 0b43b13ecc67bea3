"""AES-256-GCM for record versions: a data key per version seals its content and salt, a
key-encryption key (KEK) wraps the data key.

Pure functions, no store: :mod:`registry_api.store.data_keys` keeps the wrapped keys under
random key ids. Every ciphertext is bound to its place by the associated data (a sealed version
to its record id and version index, a wrapped key to its key id and the KEK's id), so a
ciphertext copied onto another row does not open there. A sealed version is key id (16 bytes) ‖
nonce (12, random) ‖ ciphertext ‖ tag (16); a wrapped key is nonce ‖ ciphertext ‖ tag.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32  # AES-256
KEY_ID_BYTES = 16
NONCE_BYTES = 12


class SealError(Exception):
    """A blob that does not open under the key given (wrong key, other row, or damaged)."""


@dataclass(frozen=True)
class Opened:
    """A version's content and salt as the API returns them (salt as 0x hex)."""

    content: dict[str, Any]
    salt: str


def new_data_key() -> tuple[bytes, bytes]:
    """A random key id and a fresh AES-256 key."""
    return os.urandom(KEY_ID_BYTES), AESGCM.generate_key(bit_length=256)


def _place(record_id: str, version_index: int) -> bytes:
    return f"{record_id}:{version_index}".encode()


def _encrypt(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def _decrypt(key: bytes, blob: bytes, associated: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated)
    except (InvalidTag, ValueError):
        raise SealError("the ciphertext does not open under this key") from None


def seal(
    key_id: bytes, data_key: bytes, *, record_id: str, version_index: int,
    content: dict[str, Any], salt: str,
) -> bytes:  # fmt: skip
    """Content and salt in one ciphertext: without the data key neither is left to hash."""
    plaintext = orjson.dumps({"content": content, "salt": salt})
    return key_id + _encrypt(data_key, plaintext, _place(record_id, version_index))


def key_id_of(blob: bytes) -> bytes:
    return blob[:KEY_ID_BYTES]


def open_sealed(data_key: bytes, blob: bytes, *, record_id: str, version_index: int) -> Opened:
    value = orjson.loads(_decrypt(data_key, blob[KEY_ID_BYTES:], _place(record_id, version_index)))
    return Opened(content=value["content"], salt=value["salt"])


def wrap(kek: bytes, kek_id: str, key_id: bytes, data_key: bytes) -> bytes:
    return _encrypt(kek, data_key, key_id + kek_id.encode())


def unwrap(kek: bytes, kek_id: str, key_id: bytes, wrapped: bytes) -> bytes:
    return _decrypt(kek, wrapped, key_id + kek_id.encode())
