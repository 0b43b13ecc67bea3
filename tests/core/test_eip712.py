"""EIP-712 digests and signatures of the payment types, against eth-account (the reference)."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak
from hypothesis import example, given
from hypothesis import strategies as st

from registry_core.eip712 import SECP256K1_N, SignatureError, recover_signer, sign_digest
from registry_core.payments.channels import ChannelTerms, paid_until, tariff_cap, voucher_digest
from registry_core.payments.types import (
    FEE_PAYMENT,
    OPEN_CHANNEL,
    VOUCHER,
    channels_domain,
    fee_schedule_domain,
)

CONTRACT = "0x" + "5a" * 20
DOMAIN = channels_domain(52062, CONTRACT)
KEY = Account.from_key(b"\x11" * 32)  # TEST KEY ONLY

keys = st.binary(min_size=32, max_size=32).filter(
    lambda k: 0 < int.from_bytes(k, "big") < SECP256K1_N
)
amounts = st.integers(min_value=0, max_value=2**128 - 1)


def reference_digest(typed_data: dict) -> bytes:
    signable = encode_typed_data(full_message=typed_data)
    return b"\x19" + signable.version + signable.header + signable.body


def test_type_strings_are_the_contracts() -> None:
    assert VOUCHER.encoded == "Voucher(bytes32 channelId,uint256 cumulativeAmount)"
    assert FEE_PAYMENT.encoded == (
        "FeePayment(address payer,bytes32 serviceId,uint256 amount,bytes32 requestRef,"
        "bytes32 nonce,uint256 deadline)"
    )


@given(channel_id=st.binary(min_size=32, max_size=32), amount=amounts)
def test_voucher_digest_matches_eth_account(channel_id: bytes, amount: int) -> None:
    message = {"channelId": channel_id, "cumulativeAmount": amount}
    typed = DOMAIN.typed_data(VOUCHER, message)
    assert voucher_digest(DOMAIN, channel_id, amount) == keccak(reference_digest(typed))


def test_channel_terms_digest_matches_eth_account() -> None:
    terms = ChannelTerms(
        payer=KEY.address,
        department=b"FB32".ljust(32, b"\0"),
        tariff_id=b"PARK_ZONE5".ljust(32, b"\0"),
        tariff_version=3,
        zone=b"ZONE5".ljust(32, b"\0"),
        rate_per_unit=5,
        unit_seconds=60,
        deposit=300,
        starts_at=1_800_000_000,
        expires_at=1_800_007_200,
        nonce=b"\x42" * 32,
        deadline=1_800_000_300,
    )
    typed = DOMAIN.typed_data(OPEN_CHANNEL, terms.message())
    assert terms.channel_id(DOMAIN) == keccak(reference_digest(typed))
    signed = Account.sign_typed_data(KEY.key, full_message=typed)
    assert sign_digest(KEY.key, terms.channel_id(DOMAIN)) == bytes(signed.signature)


@given(key=keys, channel_id=st.binary(min_size=32, max_size=32), amount=amounts)
@example(key=b"\x01".rjust(32, b"\0"), channel_id=b"\0" * 32, amount=0)
def test_a_signed_voucher_recovers_its_signer(key: bytes, channel_id: bytes, amount: int) -> None:
    digest = voucher_digest(DOMAIN, channel_id, amount)
    signature = sign_digest(key, digest)
    assert recover_signer(digest, signature) == Account.from_key(key).address.lower()
    other = voucher_digest(DOMAIN, channel_id, amount + 1)
    assert recover_signer(other, signature) != Account.from_key(key).address.lower()


def test_high_s_and_bad_v_are_refused_as_on_chain() -> None:
    digest = voucher_digest(DOMAIN, b"\x01" * 32, 5)
    signature = sign_digest(KEY.key, digest)
    s = int.from_bytes(signature[32:64], "big")
    flipped_v = 27 + (1 - (signature[64] - 27))
    malleable = signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([flipped_v])
    with pytest.raises(SignatureError, match="lower half"):
        recover_signer(digest, malleable)
    with pytest.raises(SignatureError, match="v must be 27 or 28"):
        recover_signer(digest, signature[:64] + b"\x01")
    with pytest.raises(SignatureError, match="65 bytes"):
        recover_signer(digest, signature[:64])


def test_domains_differ_by_chain_and_contract() -> None:
    assert channels_domain(1, CONTRACT).separator != DOMAIN.separator
    assert fee_schedule_domain(52062, CONTRACT).separator != DOMAIN.separator


@pytest.mark.parametrize(
    ("at", "cap"),
    [(1_000, 5), (1_059, 5), (1_060, 10), (1_599, 50), (999, 5)],
)
def test_tariff_cap_charges_every_started_minute(at: int, cap: int) -> None:
    assert tariff_cap(rate_per_unit=5, unit_seconds=60, starts_at=1_000, at=at) == cap


def test_paid_until_counts_whole_units() -> None:
    assert paid_until(rate_per_unit=5, unit_seconds=60, starts_at=1_000, cumulative=14) == 1_120
