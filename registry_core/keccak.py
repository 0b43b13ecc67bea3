"""keccak256, the one hash function of Ethereum, straight from pycryptodome.

eth-hash uses the same C code here, but ``eth_utils.keccak`` adds about a third in argument checks
and wrapper layers; content hashes, Merkle nodes and credential hashes sit on hot paths. This
module depends on nothing else of the project, so brownie's environment can import it too.
"""

from __future__ import annotations

from Crypto.Hash.keccak import new as _keccak_new


def keccak256(data: bytes) -> bytes:
    return bytes(_keccak_new(data=data, digest_bits=256).digest())
