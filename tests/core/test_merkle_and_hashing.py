"""Canonical hashing and OpenZeppelin-compatible Merkle trees (property tests)."""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak
from hypothesis import example, given
from hypothesis import strategies as st

from registry_core.hashing import canonical_json, content_hash, new_salt
from registry_core.merkle import MerkleTree, leaf_hash, verify

hashes = st.binary(min_size=32, max_size=32)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_canonical_json_ignores_key_order(document: dict) -> None:
    reordered = dict(reversed(list(document.items())))
    assert canonical_json(reordered) == canonical_json(document)


def test_canonical_json_follows_rfc8785() -> None:
    # RFC 8785 sorts keys by UTF-16 code units and writes numbers in ECMAScript form.
    assert canonical_json({"b": 1.0, "a": [True, None, "ü"], "€": 1e21}) == (
        '{"a":[true,null,"ü"],"b":1,"€":1e+21}'.encode()
    )


@given(json_values)
def test_content_hash_is_keccak_of_salt_and_canonical_json(document: object) -> None:
    salt = new_salt()
    assert content_hash(document, salt) == keccak(salt + canonical_json(document))
    assert content_hash(document, salt) != content_hash(document, new_salt())


def test_content_hash_refuses_short_salt() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        content_hash({}, b"short")


def test_matches_openzeppelin_standard_merkle_tree_vector() -> None:
    # StandardMerkleTree.of([["0x1111…", "5000000000000000000"], ["0x2222…", "2500000000000000000"]],
    # ["address", "uint256"]) from OpenZeppelin's merkle-tree README has this root.
    values = [
        ("0x1111111111111111111111111111111111111111", 5000000000000000000),
        ("0x2222222222222222222222222222222222222222", 2500000000000000000),
    ]
    tree = MerkleTree.of_leaves([leaf_hash(["address", "uint256"], v) for v in values])
    assert tree.root.hex() == "d4dee0beab2d53f2cc83e567171bd2820e49898130a22622b10ead383e90bd77"


@given(st.lists(hashes, min_size=1, max_size=40, unique=True), hashes)
@example([b"\x01" * 32], b"\x02" * 32)
def test_every_leaf_verifies_and_no_other_hash_does(leaves: list[bytes], other: bytes) -> None:
    tree = MerkleTree.of_leaves(leaves)
    for leaf in leaves:
        assert verify(tree.root, leaf, tree.proof(leaf))
    if other not in leaves:
        for leaf in leaves:
            assert not verify(tree.root, other, tree.proof(leaf))


def test_integers_beyond_ijson_range_are_refused() -> None:
    with pytest.raises(ValueError):
        canonical_json({"n": 2**53})
