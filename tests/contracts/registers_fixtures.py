"""Fixtures and helpers for the RegisterHub tests.

Kept apart from ``conftest.py`` (owned by the governance tests); test modules import what they use.
The directory here is the real ``DepartmentDirectory`` with a plain account as its council.
"""

from __future__ import annotations

import re

import pytest
from brownie.exceptions import decode_typed_error
from eth_abi import encode
from eth_utils import keccak


def b32(text: str) -> bytes:
    """A short code right-padded with zero bytes, as department and register ids are."""
    raw = text.encode()
    assert len(raw) <= 32, f"id {text!r} longer than 32 bytes"
    return raw.ljust(32, b"\0")


def h(text: str) -> bytes:
    """A deterministic stand-in for a content or schema hash."""
    return keccak(text=text)


# Status enum of IRegisterHub.
NONE, ACTIVE, AMENDED, CLOSED, ERASED = range(5)

# Erasure reason codes of RegisterHub.
ERASURE_DATA_SUBJECT_REQUEST = 1
ERASURE_ENTERED_IN_ERROR = 5

DEPT_TRADE = b32("FB02")  # trade office: owns the trade register
DEPT_LAND = b32("FB61")  # land registry office: owns the commercial property register
REGISTER_TRADE = b32("TRADE")
REGISTER_PROPERTY = b32("COMMERCIAL_PROPERTY")
SCHEMA_TRADE_V1 = h("schema:trade-register:v1")
SCHEMA_PROPERTY_V1 = h("schema:commercial-property-register:v1")

_SIGNATURE = re.compile(r"^(\w+)\((.*)\)$")


def custom_error(signature: str, *args: object) -> str:
    """The revert message brownie reports for custom error ``signature`` with ``args``.

    brownie 1.22 decodes typed errors as ``"Name: arg1, arg2"`` (``decode_typed_error``). Encoding
    the expected error and decoding it the same way compares the exact revert data, arguments
    included, and keeps the message readable when an assertion fails.
    """
    match = _SIGNATURE.match(signature)
    assert match, f"not an error signature: {signature!r}"
    name, types = match.group(1), [t for t in match.group(2).split(",") if t]
    data = keccak(text=signature)[:4] + encode(types, list(args))
    message = decode_typed_error("0x" + data.hex())
    assert message.startswith(f"{name}:"), f"brownie does not know error {signature}: {message}"
    return message


def plain(value: object) -> object:
    """A brownie ReturnValue as nested plain tuples.

    brownie 1.22's ReturnValue.__eq__ raises TypeError against tuples mixing strings and numbers;
    its elements (HexString, Wei, EthAddress) compare fine on their own.
    """
    if isinstance(value, (tuple, list)):
        return tuple(plain(item) for item in value)
    return value


@pytest.fixture(scope="module")
def council(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def trade_clerk(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def trade_clerk2(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def land_clerk(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def stranger(accounts):
    return accounts[9]


@pytest.fixture(scope="module")
def directory(DepartmentDirectory, council, trade_clerk, trade_clerk2, land_clerk):
    """The real directory, governed directly by the ``council`` account instead of the multisig."""
    directory = DepartmentDirectory.deploy(council, {"from": council})
    directory.addDepartment(DEPT_TRADE, "Trade Office", {"from": council})
    directory.addDepartment(DEPT_LAND, "Land Registry Office", {"from": council})
    directory.addAccount(DEPT_TRADE, trade_clerk, {"from": council})
    directory.addAccount(DEPT_TRADE, trade_clerk2, {"from": council})
    directory.addAccount(DEPT_LAND, land_clerk, {"from": council})
    return directory


@pytest.fixture(scope="module")
def hub(RegisterHub, directory, council):
    """RegisterHub with the trade register (owned by the trade office) created by the council."""
    hub = RegisterHub.deploy(directory, {"from": council})
    hub.createRegister(
        REGISTER_TRADE, "Trade register", SCHEMA_TRADE_V1, DEPT_TRADE, {"from": council}
    )
    return hub
