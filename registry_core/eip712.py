"""EIP-712 typed structured data for flat structs of static fields, and secp256k1 signatures.

Payments sign small flat structs (permits, fee payments, channel parameters, vouchers), so the
encoding is done by hand: each field is one 32-byte word, the domain separator is computed once per
domain, and a digest costs two keccak calls. ``typed_data`` gives the same message as the JSON
that ``eth_signTypedData_v4`` and eth-account take, so other tools can check our signatures.

Signatures are 65 bytes ``r ‖ s ‖ v`` (v = 27 or 28) made and recovered with coincurve. Recovery
refuses what OpenZeppelin's ECDSA refuses on chain (s in the upper half of the curve order, v other
than 27/28), so an off-chain check never accepts a signature that the contract would reject.
This module depends on keccak and coincurve only, so brownie's environment imports it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coincurve import PrivateKey, PublicKey

from registry_core.keccak import keccak256

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_N = SECP256K1_N // 2
_DOMAIN_FIELDS = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
)
_DOMAIN_TYPEHASH = keccak256(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)


class SignatureError(ValueError):
    """A signature is malformed or does not recover a key."""


def _word(kind: str, value: Any) -> bytes:
    """One static field as its 32-byte ABI word."""
    if kind == "address":
        raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
        if len(raw) != 20:
            raise ValueError(f"an address has 20 bytes, not {len(raw)}")
        return raw.rjust(32, b"\0")
    if kind == "bytes32":
        raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
        if len(raw) != 32:
            raise ValueError(f"a bytes32 value has 32 bytes, not {len(raw)}")
        return raw
    if kind == "bool":
        return (1 if value else 0).to_bytes(32, "big")
    if kind.startswith("uint"):
        bits = int(kind[4:])
        number = int(value)
        if not 0 <= number < 1 << bits:
            raise ValueError(f"{number} does not fit {kind}")
        return number.to_bytes(32, "big")
    raise ValueError(f"unsupported EIP-712 field type {kind}")


def _json_value(kind: str, value: Any) -> Any:
    if kind in ("address", "bytes32") and not isinstance(value, str):
        return "0x" + bytes(value).hex()
    if kind.startswith("uint"):
        return int(value)
    return value


@dataclass(frozen=True)
class StructType:
    """A flat EIP-712 struct type: ``name(type1 field1,...)``, static fields only."""

    name: str
    fields: tuple[tuple[str, str], ...]
    encoded: str = field(init=False)
    typehash: bytes = field(init=False)

    def __post_init__(self) -> None:
        encoded = f"{self.name}({','.join(f'{kind} {name}' for name, kind in self.fields)})"
        object.__setattr__(self, "encoded", encoded)
        object.__setattr__(self, "typehash", keccak256(encoded.encode()))

    def hash(self, message: Mapping[str, Any]) -> bytes:
        """hashStruct(message)."""
        return keccak256(
            self.typehash + b"".join(_word(kind, message[name]) for name, kind in self.fields)
        )


@dataclass(frozen=True)
class Domain:
    """An EIP-712 domain with name, version, chain id and verifying contract (ERC-5267 fields 0x0f)."""

    name: str
    version: str
    chain_id: int
    verifying_contract: str
    separator: bytes = field(init=False)

    def __post_init__(self) -> None:
        separator = keccak256(
            _DOMAIN_TYPEHASH
            + keccak256(self.name.encode())
            + keccak256(self.version.encode())
            + _word("uint256", self.chain_id)
            + _word("address", self.verifying_contract)
        )
        object.__setattr__(self, "separator", separator)

    def digest(self, struct_hash: bytes) -> bytes:
        """keccak256(0x1901 ‖ domainSeparator ‖ hashStruct), what the payer signs."""
        return keccak256(b"\x19\x01" + self.separator + struct_hash)

    def digest_of(self, struct_type: StructType, message: Mapping[str, Any]) -> bytes:
        return self.digest(struct_type.hash(message))

    def typed_data(self, struct_type: StructType, message: Mapping[str, Any]) -> dict[str, Any]:
        """The message as ``eth_signTypedData_v4`` JSON."""
        return {
            "types": {
                "EIP712Domain": [{"name": n, "type": t} for n, t in _DOMAIN_FIELDS],
                struct_type.name: [{"name": n, "type": t} for n, t in struct_type.fields],
            },
            "primaryType": struct_type.name,
            "domain": {
                "name": self.name,
                "version": self.version,
                "chainId": self.chain_id,
                "verifyingContract": self.verifying_contract,
            },
            "message": {n: _json_value(t, message[n]) for n, t in struct_type.fields},
        }


def sign_digest(private_key: bytes, digest: bytes) -> bytes:
    """65-byte ``r ‖ s ‖ v`` signature (low s, v = 27/28) of a 32-byte digest."""
    recoverable = PrivateKey(private_key).sign_recoverable(digest, hasher=None)
    return recoverable[:64] + bytes([recoverable[64] + 27])


def recover_signer(digest: bytes, signature: bytes) -> str:
    """The lower-case 0x address whose key made ``signature`` over ``digest``.

    Raises SignatureError for what OpenZeppelin's ECDSA.recover refuses: a length other than 65,
    v other than 27/28, r or s zero or out of range, s in the upper half of the order.
    """
    if len(signature) != 65:
        raise SignatureError(f"a signature has 65 bytes, not {len(signature)}")
    v = signature[64]
    if v not in (27, 28):
        raise SignatureError(f"signature v must be 27 or 28, not {v}")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    if not (0 < r < SECP256K1_N and 0 < s <= _HALF_N):
        raise SignatureError("signature r or s out of range (s must be in the lower half)")
    try:
        public = PublicKey.from_signature_and_message(
            signature[:64] + bytes([v - 27]), digest, hasher=None
        )
    except Exception:  # coincurve raises plain Exception/ValueError for unrecoverable signatures
        raise SignatureError("the signature does not recover a public key") from None
    return "0x" + keccak256(public.format(compressed=False)[1:])[-20:].hex()
