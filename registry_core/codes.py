"""Short codes as the chain stores them: UTF-8, right-padded with zero bytes to ``bytes32``.

Department ids (``FB02``), register ids (``TRADE``), credential type ids (``RESIDENCE_CERT``) and
ERC-1056 attribute names all travel this way; this is the one codec for them.
"""

from __future__ import annotations


def code_to_bytes32(code: str) -> bytes:
    """``"FB02"`` -> ``b"FB02\\0…"`` (32 bytes); ValueError for an empty or too long code."""
    raw = code.encode("utf-8")
    if not 0 < len(raw) <= 32:
        raise ValueError(f"code {code!r} must be 1-32 bytes of UTF-8")
    return raw.ljust(32, b"\0")


def bytes32_to_code(value: bytes) -> str:
    """The code back from its ``bytes32`` form (invalid UTF-8 is replaced, never raised)."""
    return value.rstrip(b"\0").decode("utf-8", errors="replace")
