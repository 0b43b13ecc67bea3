"""Content hashes of register records: keccak256(salt ‖ RFC 8785 canonical JSON).

The salt is random per version and stays off chain. Erasing a record (GDPR) deletes its content
and salt, after which the on-chain hash can no longer be linked to a person: without the salt,
guessing the content does not reproduce the hash.
"""

from __future__ import annotations

import secrets
from typing import Any

import rfc8785

from registry_core.keccak import keccak256

SALT_BYTES = 32


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def canonical_json(document: Any) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme) bytes of a JSON value.

    Raises ``ValueError`` (rfc8785.CanonicalizationError) for values JSON cannot carry exactly:
    integers beyond ±(2**53 - 1), NaN and infinities.
    """
    return bytes(rfc8785.dumps(document))


def content_hash(document: Any, salt: bytes) -> bytes:
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a salt has {SALT_BYTES} bytes, not {len(salt)}")
    return keccak256(salt + canonical_json(document))
