"""The JSON shapes in which the wallet hands signed payment messages to the API (and back).

One home for both sides: the wallet builds these dicts, the API's models carry them and the API
turns them back into :class:`ChannelTerms` and permit tuples. Byte fields are ``0x`` hex.
"""

from __future__ import annotations

from typing import Any

from registry_core.keccak import keccak256
from registry_core.payments.channels import ChannelTerms
from registry_core.payments.signing import SignedPermit

TERMS_FIELDS = (
    "payer", "department", "tariff_id", "tariff_version", "zone", "rate_per_unit",
    "unit_seconds", "deposit", "starts_at", "expires_at", "nonce", "deadline",
)  # fmt: skip
_BYTES_FIELDS = ("department", "tariff_id", "zone", "nonce")


def request_ref(request_id: str) -> bytes:
    """What a fee receipt names for a credential request: keccak256 of its id (no meaning)."""
    return keccak256(request_id.encode())


def hex0x(value: bytes) -> str:
    return "0x" + value.hex()


def unhex(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def terms_to_json(terms: ChannelTerms) -> dict[str, Any]:
    data = {name: getattr(terms, name) for name in TERMS_FIELDS}
    for name in _BYTES_FIELDS:
        data[name] = hex0x(data[name])
    return data


def terms_from_json(data: dict[str, Any]) -> ChannelTerms:
    """Raises ValueError/KeyError for a malformed object."""
    values = {name: data[name] for name in TERMS_FIELDS}
    for name in _BYTES_FIELDS:
        raw = unhex(str(values[name]))
        if len(raw) != 32:
            raise ValueError(f"{name} must be 32 bytes")
        values[name] = raw
    for name in TERMS_FIELDS:
        if name not in _BYTES_FIELDS and name != "payer":
            values[name] = int(values[name])
    return ChannelTerms(**values)


def permit_to_json(permit: SignedPermit | None) -> dict[str, Any] | None:
    if permit is None:
        return None
    return {
        "value": permit.value,
        "deadline": permit.deadline,
        "signature": hex0x(permit.signature),
    }


def permit_call(value: int, deadline: int, signature: bytes) -> tuple[int, int, int, bytes, bytes]:
    """``IPaymentAuthorizations.Permit`` from its JSON parts."""
    if len(signature) != 65:
        raise ValueError("a permit signature has 65 bytes")
    return (value, deadline, signature[64], signature[:32], signature[32:64])
