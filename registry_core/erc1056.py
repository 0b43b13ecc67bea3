"""ERC-1056 signed meta-transactions (``changeOwnerSigned`` and friends), made off chain.

The registry (``EthereumDIDRegistry``, as uPort's ethr-did-registry) accepts a change signed by the
identity's current owner over ``keccak256(0x19 ‖ 0x00 ‖ registry ‖ nonce[owner] ‖ identity ‖
function name ‖ arguments…)`` (EIP-191 version 0, "data with intended validator": the raw digest is
signed, without the personal-message prefix). Anyone may submit it, so a citizen changes their DID
without gas: the wallet signs, the city relays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coincurve import PrivateKey, PublicKey
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address

from registry_core.errors import RegistryCoreError
from registry_core.keccak import keccak256
from registry_core.vc import address_of


class SignedChangeError(RegistryCoreError):
    """A signed ERC-1056 change is malformed."""


def _address_bytes(address: str) -> bytes:
    if not is_address(address):
        raise SignedChangeError(f"{address!r:.50} is not an address")
    return bytes.fromhex(to_checksum_address(address)[2:])


def erc1056_digest(
    registry: str, nonce: int, identity: str, function: str, *packed: bytes
) -> bytes:
    """The digest ``<function>Signed`` checks, for packed (``abi.encodePacked``) arguments."""
    return keccak256(
        b"\x19\x00"
        + _address_bytes(registry)
        + nonce.to_bytes(32, "big")
        + _address_bytes(identity)
        + function.encode("ascii")
        + b"".join(packed)
    )


@dataclass(frozen=True)
class SignedChangeOwner:
    """``changeOwnerSigned(identity, v, r, s, newOwner)``'s arguments, for the relay."""

    identity: str
    new_owner: str
    nonce: int  # nonce[current owner] the signature was made for
    v: int
    r: bytes
    s: bytes

    def digest(self, registry: str) -> bytes:
        return erc1056_digest(
            registry, self.nonce, self.identity, "changeOwner", _address_bytes(self.new_owner)
        )

    def signer(self, registry: str) -> str:
        """The address that signed (checksummed); to be compared with the identity's owner."""
        if self.v not in (27, 28) or len(self.r) != 32 or len(self.s) != 32:
            raise SignedChangeError("the signature is not (v in 27/28, 32-byte r, 32-byte s)")
        signature = self.r + self.s + bytes([self.v - 27])
        try:
            key = PublicKey.from_signature_and_message(
                signature, self.digest(registry), hasher=None
            )
        except (ValueError, TypeError):
            raise SignedChangeError("the signature does not recover to a key") from None
        return to_checksum_address(address_of(key))

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "new_owner": self.new_owner,
            "nonce": self.nonce,
            "sig_v": self.v,
            "sig_r": "0x" + self.r.hex(),
            "sig_s": "0x" + self.s.hex(),
        }


def sign_change_owner(
    owner: LocalAccount, *, registry: str, nonce: int, identity: str, new_owner: str
) -> SignedChangeOwner:
    """The current owner's signature handing ``identity`` (its DID) to ``new_owner``."""
    unsigned = SignedChangeOwner(
        to_checksum_address(identity), to_checksum_address(new_owner), nonce, 0, b"", b""
    )
    signature = PrivateKey(bytes(owner.key)).sign_recoverable(
        unsigned.digest(registry), hasher=None
    )
    return SignedChangeOwner(
        unsigned.identity,
        unsigned.new_owner,
        nonce,
        27 + signature[64],
        signature[:32],
        signature[32:64],
    )
