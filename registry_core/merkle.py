"""Merkle trees compatible with OpenZeppelin's StandardMerkleTree and ``MerkleProof``.

Leaves are ``keccak256(keccak256(abi.encode(types, values)))`` (double hashing prevents second
pre-image attacks with 64-byte leaves), pairs are hashed sorted, leaves are sorted by hash, and the
tree is laid out as in ``@openzeppelin/merkle-tree``, so roots and proofs made here verify with
``MerkleProof.verify`` on chain and with OpenZeppelin's JavaScript library off chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode

from registry_core.keccak import keccak256


def leaf_hash(types: Sequence[str], values: Sequence[Any]) -> bytes:
    return keccak256(keccak256(encode(list(types), list(values))))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak256(a + b if a < b else b + a)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    return process_proof(leaf, proof) == root


@dataclass(frozen=True)
class MerkleTree:
    """A tree over already-hashed leaves; ``tree[0]`` is the root, leaves sit at the end."""

    tree: tuple[bytes, ...]
    leaf_positions: dict[bytes, int]  # leaf hash -> index in ``tree``

    @classmethod
    def of_leaves(cls, leaves: Sequence[bytes]) -> MerkleTree:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        ordered = sorted(leaves)
        size = 2 * len(ordered) - 1
        tree: list[bytes] = [b""] * size
        for i, leaf in enumerate(ordered):
            tree[size - 1 - i] = leaf
        for i in range(size - 1 - len(ordered), -1, -1):
            tree[i] = hash_pair(tree[2 * i + 1], tree[2 * i + 2])
        positions = {leaf: size - 1 - i for i, leaf in enumerate(ordered)}
        return cls(tuple(tree), positions)

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def proof(self, leaf: bytes) -> list[bytes]:
        try:
            index = self.leaf_positions[leaf]
        except KeyError:
            raise KeyError(f"0x{leaf.hex()} is not a leaf of this tree") from None
        proof: list[bytes] = []
        while index > 0:
            sibling = index + 1 if index % 2 else index - 1
            proof.append(self.tree[sibling])
            index = (index - 1) // 2
        return proof
