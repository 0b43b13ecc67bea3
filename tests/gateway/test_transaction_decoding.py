"""The gateway's raw-transaction decoder agrees with eth-account on every field and the sender."""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_utils.address import to_checksum_address
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.errors import INVALID_PARAMS
from gateway.transactions import (
    ZERO_ADDRESS,
    TransactionDecodeError,
    decode_raw_transaction,
)

KEY = Account.from_key(b"\x01" * 32)  # throw-away test key

uint = st.integers(min_value=0, max_value=2**256 - 1)
small = st.integers(min_value=0, max_value=2**64 - 1)
addresses = st.none() | st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


@st.composite
def transactions(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from([0, 1, 2]))
    tx: dict[str, Any] = {
        "chainId": draw(st.integers(min_value=1, max_value=2**32)),
        "nonce": draw(small),
        "gas": draw(st.integers(min_value=21_000, max_value=2**63)),
        "value": draw(uint),
        "data": draw(st.binary(max_size=200)),
    }
    to = draw(addresses)
    if to is not None:
        tx["to"] = to_checksum_address(to)
    fee = draw(small)
    if kind == 2:
        tx.update(type=2, maxFeePerGas=fee, maxPriorityFeePerGas=draw(st.integers(0, fee)))
    elif kind == 1:
        tx.update(type=1, gasPrice=fee, accessList=[])
    else:
        tx["gasPrice"] = fee
    return tx


@settings(max_examples=60, deadline=None)
@given(transactions())
@example({"chainId": 52062, "nonce": 0, "gas": 21000, "value": 0, "data": b"", "gasPrice": 0})
def test_decoder_matches_eth_account(tx: dict[str, Any]) -> None:
    raw = bytes(KEY.sign_transaction(tx).raw_transaction)
    decoded = decode_raw_transaction(raw)
    assert decoded.sender == KEY.address == Account.recover_transaction(raw)
    assert decoded.type == tx.get("type", 0)
    assert decoded.chain_id == tx["chainId"]
    assert decoded.nonce == tx["nonce"]
    assert decoded.gas_limit == tx["gas"]
    assert decoded.value == tx["value"]
    assert decoded.data == tx["data"]
    assert decoded.gas_price == tx.get("maxFeePerGas", tx.get("gasPrice"))
    expected_to = tx.get("to")
    assert decoded.to == (expected_to.lower() if expected_to else None)
    assert decoded.target == (expected_to.lower() if expected_to else ZERO_ADDRESS)


def test_unprotected_legacy_has_no_chain_id() -> None:
    raw = bytes(
        KEY.sign_transaction(
            {"nonce": 1, "gas": 21000, "gasPrice": 0, "to": KEY.address, "value": 0}
        ).raw_transaction
    )
    decoded = decode_raw_transaction(raw)
    assert decoded.chain_id is None and decoded.sender == KEY.address


def signed(tx: dict[str, Any]) -> bytes:
    return bytes(KEY.sign_transaction(tx).raw_transaction)


def _rewritten(index: int, value: object) -> bytes:
    items = rlp.decode(signed(BASE)[1:])
    items[index] = value
    return b"\x02" + bytes(rlp.encode(items))


def non_canonical_nonce() -> bytes:
    return _rewritten(1, b"\x00\x01")


def wrong_field_kind() -> bytes:
    return _rewritten(7, [b"x"])


BASE = {
    "type": 2,
    "chainId": 1,
    "nonce": 0,
    "gas": 21000,
    "maxFeePerGas": 0,
    "maxPriorityFeePerGas": 0,
    "to": "0x" + "11" * 20,
    "value": 0,
}


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "the transaction is empty"),
        (b"\x05\xc0", "transaction type 0x05 is not accepted"),
        (b"\x02\xc0", "expected 12 fields for a type 2 transaction"),
        (b"\x02\xc1", "malformed RLP"),
        (signed(BASE) + b"\x00", "malformed RLP"),
        (b"\x80", "not an RLP list or a typed transaction envelope"),
        (non_canonical_nonce(), "nonce is not canonical (leading zero byte)"),
        (wrong_field_kind(), "data field must be an RLP string, not a list"),
    ],
)
def test_malformed_transactions_are_invalid_params(raw: bytes, fragment: str) -> None:
    with pytest.raises(TransactionDecodeError) as info:
        decode_raw_transaction(raw)
    assert info.value.code == INVALID_PARAMS
    assert fragment in info.value.message
    assert info.value.message.startswith("cannot decode the signed transaction")
