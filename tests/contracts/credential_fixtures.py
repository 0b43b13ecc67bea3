"""Shared fixtures and helpers for the identity and credential contract tests.

Test modules import what they use: ``from credential_fixtures import ...`` (pytest puts this
directory on ``sys.path``). Fixtures are module-scoped deploys, as in brownie-mix; ``isolation``
wraps every test in brownie's ``fn_isolation`` snapshot. Deploy fixtures must not transact in
module scope after the module's first test has started (fn_isolation would not undo it).

TEST FIXTURES ONLY: the private keys below are derived from public strings; never give them value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from eth_abi import decode, encode
from eth_account import Account
from eth_keys import keys
from eth_utils import keccak, to_checksum_address

from registry_core.merkle import MerkleTree, leaf_hash

# --------------------------------------------------------------------------------------------------
# Identifiers


def b32(text: str) -> str:
    """A short code as bytes32, right-padded with zero bytes, as a 0x hex string."""
    raw = text.encode()
    assert len(raw) <= 32, f"{text!r} is longer than 32 bytes"
    return "0x" + raw.ljust(32, b"\0").hex()


def h32(data: bytes | str) -> str:
    """keccak256 of `data` (str is UTF-8 encoded) as a 0x hex string."""
    return "0x" + keccak(data.encode() if isinstance(data, str) else data).hex()


DEPT_A = b32("FB01")  # Bürgeramt (issues residence certificates)
DEPT_B = b32("FB02")  # Ordnungsamt (issues parking permits)
DEPT_UNKNOWN = b32("FB99")
TYPE_RESIDENCE = b32("RESIDENCE_CERT")
TYPE_PARKING = b32("PARKING_PERMIT")
TYPE_UNKNOWN = b32("NO_SUCH_TYPE")
SCHEMA_RESIDENCE = h32('{"$id":"https://city.example/schemas/residence-cert.json"}')
SCHEMA_PARKING = h32('{"$id":"https://city.example/schemas/parking-permit.json"}')

ZERO32 = "0x" + "00" * 32
ZERO_ADDRESS = "0x" + "00" * 20


def plain(value: object) -> object:
    """A brownie return value as plain Python: tuples of int, bool, str (0x hex for bytes,
    checksummed addresses). brownie's ReturnValue/Wei comparisons trip over structs and lists."""
    if isinstance(value, (list, tuple)):
        return tuple(plain(v) for v in value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


# --------------------------------------------------------------------------------------------------
# Custom errors as brownie reports them


_SIGNATURE = re.compile(r"^(\w+)\((.*)\)$")


def typed_error(signature: str, *args: object) -> str:
    """The revert message brownie 1.22 gives for custom error `signature` with `args`.

    brownie decodes known custom errors into ``"Name: arg1, arg2"`` with ``str()`` of each
    ABI-decoded value; encoding and decoding here gives the exact same text (checksummed addresses,
    ``bytes`` reprs, ints for enums).
    """
    match = _SIGNATURE.match(signature)
    assert match, f"not an error signature: {signature}"
    name, type_list = match.groups()
    types = [t for t in type_list.split(",") if t]
    assert len(types) == len(args), f"{signature} takes {len(types)} arguments, got {len(args)}"
    values = [
        bytes.fromhex(a[2:]) if t.startswith("bytes") and isinstance(a, str) else a
        for t, a in zip(types, args, strict=True)
    ]
    values = [str(v) if t == "address" else v for t, v in zip(types, values, strict=True)]
    decoded = decode(types, encode(types, values))
    return f"{name}: {', '.join(str(v) for v in decoded)}"


# --------------------------------------------------------------------------------------------------
# Keys and ERC-1056 signatures


@dataclass(frozen=True)
class LocalKey:
    """A local test key (never funded with anything of value)."""

    private_key: bytes

    @property
    def address(self) -> str:
        return Account.from_key(self.private_key).address

    def sign_digest(self, digest: bytes) -> tuple[int, str, str]:
        """Raw secp256k1 signature of a 32-byte digest, as ERC-1056's (sigV, sigR, sigS)."""
        sig = keys.PrivateKey(self.private_key).sign_msg_hash(digest)
        return (
            sig.v + 27,
            "0x" + sig.r.to_bytes(32, "big").hex(),
            "0x" + sig.s.to_bytes(32, "big").hex(),
        )


def local_key(label: str) -> LocalKey:
    """A deterministic TEST-ONLY key derived from `label`."""
    return LocalKey(keccak(f"city-registry test key: {label}".encode()))


def _address_bytes(address: str) -> bytes:
    return bytes.fromhex(to_checksum_address(address)[2:])


def erc1056_digest(
    registry: str, owner_nonce: int, identity: str, function: str, *packed: bytes
) -> bytes:
    """The reference registry's signed hash: keccak256(0x19 0x00 ‖ registry ‖ nonce ‖ identity ‖
    function name ‖ arguments, each packed as in `abi.encodePacked`)."""
    return keccak(
        b"\x19\x00"
        + _address_bytes(registry)
        + owner_nonce.to_bytes(32, "big")
        + _address_bytes(identity)
        + function.encode()
        + b"".join(packed)
    )


def pack_address(address: str) -> bytes:
    return _address_bytes(address)


def pack_bytes32(value: str) -> bytes:
    raw = bytes.fromhex(value[2:])
    assert len(raw) == 32
    return raw


def pack_uint(value: int) -> bytes:
    return value.to_bytes(32, "big")


# --------------------------------------------------------------------------------------------------
# OpenZeppelin StandardMerkleTree (leaf encoding ["bytes32"]) from the shared core


def merkle_leaf(credential_hash: str) -> bytes:
    """keccak256(bytes.concat(keccak256(abi.encode(credentialHash))))."""
    return leaf_hash(["bytes32"], [bytes.fromhex(credential_hash[2:])])


@dataclass(frozen=True)
class MerkleBatch:
    """A batch of credential hashes (hex strings, as brownie takes them) and its tree."""

    tree: MerkleTree

    @classmethod
    def of(cls, credential_hashes: Sequence[str]) -> MerkleBatch:
        return cls(MerkleTree.of_leaves([merkle_leaf(h) for h in credential_hashes]))

    @property
    def root(self) -> str:
        return "0x" + self.tree.root.hex()

    def proof(self, credential_hash: str) -> list[str]:
        return ["0x" + node.hex() for node in self.tree.proof(merkle_leaf(credential_hash))]


# --------------------------------------------------------------------------------------------------
# Deploy fixtures


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    """Every test starts from the module's deployed state."""


@pytest.fixture(scope="module")
def council(accounts):
    """An EOA standing in for the council contract (the directory takes any council address)."""
    return accounts[0]


@pytest.fixture(scope="module")
def clerk_a(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def clerk_a2(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def clerk_b(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def stranger(accounts):
    """An account that acts for no department."""
    return accounts[9]


@pytest.fixture(scope="module")
def directory(DepartmentDirectory, council, clerk_a, clerk_a2, clerk_b):
    """The real directory, governed directly by the ``council`` account instead of the multisig."""
    d = DepartmentDirectory.deploy(council, {"from": council})
    d.addDepartment(DEPT_A, "Buergeramt", {"from": council})
    d.addDepartment(DEPT_B, "Ordnungsamt", {"from": council})
    d.addAccount(DEPT_A, clerk_a, {"from": council})
    d.addAccount(DEPT_A, clerk_a2, {"from": council})
    d.addAccount(DEPT_B, clerk_b, {"from": council})
    return d


@pytest.fixture(scope="module")
def issuers(TrustedIssuerRegistry, directory, council):
    """Trusted-issuer registry with two types; no accreditations yet."""
    r = TrustedIssuerRegistry.deploy(directory, {"from": council})
    r.addCredentialType(
        TYPE_RESIDENCE, "Residence certificate", SCHEMA_RESIDENCE, {"from": council}
    )
    r.addCredentialType(
        TYPE_PARKING, "Residents' parking permit", SCHEMA_PARKING, {"from": council}
    )
    return r


STATUS_NOW = (
    4_000_000_000  # the status registry's clock in tests, after every real accreditation start
)


@pytest.fixture(scope="module")
def status_registry(TestCredentialStatusRegistry, directory, issuers, council):
    """Status registry at time STATUS_NOW; department A accredited (open-ended, from the real
    now) for residence certificates, B for parking permits."""
    issuers.accredit(DEPT_A, TYPE_RESIDENCE, 0, 0, {"from": council})
    issuers.accredit(DEPT_B, TYPE_PARKING, 0, 0, {"from": council})
    registry = TestCredentialStatusRegistry.deploy(directory, issuers, {"from": council})
    registry.setTime(STATUS_NOW, {"from": council})
    return registry
