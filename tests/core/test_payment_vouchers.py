"""The off-chain voucher check (the contract's rules, in its order) and the CPV1 voucher QR."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account
from hypothesis import given
from hypothesis import strategies as st

from registry_core.eip712 import sign_digest
from registry_core.payments.channels import ChannelTerms, voucher_digest
from registry_core.payments.types import channels_domain
from registry_core.payments.voucher_qr import (
    ParkingVoucher,
    VoucherQrError,
    decode_voucher_payload,
    encode_voucher_payload,
)
from registry_core.payments.vouchers import ChannelState, Voucher, VoucherError, check_voucher
from registry_core.qr import qr_info

PAYER = Account.from_key(b"\x21" * 32)  # TEST KEYS ONLY
OTHER = Account.from_key(b"\x22" * 32)
CONTRACT = "0x" + "5a" * 20
DOMAIN = channels_domain(52062, CONTRACT)
START = 1_800_000_000
TERMS = ChannelTerms(
    payer=PAYER.address.lower(),
    department=b"FB32".ljust(32, b"\0"),
    tariff_id=b"PARK_ZONE5".ljust(32, b"\0"),
    tariff_version=1,
    zone=b"ZONE5".ljust(32, b"\0"),
    rate_per_unit=5,
    unit_seconds=60,
    deposit=300,
    starts_at=START,
    expires_at=START + 7_200,
    nonce=b"\x09" * 32,
    deadline=START + 300,
)
CHANNEL_ID = TERMS.channel_id(DOMAIN)
CHANNEL = ChannelState(
    channel_id=CHANNEL_ID,
    payer=TERMS.payer,
    starts_at=START,
    expires_at=TERMS.expires_at,
    rate_per_unit=5,
    unit_seconds=60,
    deposit=300,
)


def voucher(amount: int, key: bytes = PAYER.key, domain=DOMAIN, channel_id=CHANNEL_ID) -> Voucher:
    return Voucher(channel_id, amount, sign_digest(key, voucher_digest(domain, channel_id, amount)))


def refusal(v: Voucher, *, settled: int = 0, now: int = START + 600, channel=CHANNEL) -> str:
    with pytest.raises(VoucherError) as caught:
        check_voucher(domain=DOMAIN, channel=channel, voucher=v, settled=settled, now=now)
    return caught.value.code


def test_a_valid_voucher_passes() -> None:
    check_voucher(domain=DOMAIN, channel=CHANNEL, voucher=voucher(55), settled=50, now=START + 600)


@pytest.mark.parametrize(
    ("case", "code"),
    [
        (lambda: refusal(voucher(50), settled=50), "voucher-not-increasing"),
        (lambda: refusal(voucher(40), settled=50), "voucher-not-increasing"),
        (lambda: refusal(voucher(301), now=START + 7_000), "voucher-above-deposit"),
        (lambda: refusal(voucher(56), now=START + 599), "voucher-above-tariff-cap"),
        (lambda: refusal(voucher(5), now=START + 7_200), "channel-expired"),
        (lambda: refusal(voucher(5, key=OTHER.key)), "voucher-signature-invalid"),
        (
            lambda: refusal(voucher(5, domain=channels_domain(1, CONTRACT))),
            "voucher-signature-invalid",
        ),
        (
            lambda: refusal(voucher(5, domain=channels_domain(52062, "0x" + "11" * 20))),
            "voucher-signature-invalid",
        ),
        (lambda: refusal(voucher(5, channel_id=b"\x01" * 32)), "voucher-wrong-channel"),
        (lambda: refusal(voucher(5), channel=replace(CHANNEL, closed=True)), "channel-closed"),
    ],
)
def test_each_rule_refuses_with_its_code(case, code: str) -> None:
    assert case() == code


def test_expiry_margin_refuses_vouchers_too_late_to_settle() -> None:
    with pytest.raises(VoucherError, match="expires before"):
        check_voucher(
            domain=DOMAIN, channel=CHANNEL, voucher=voucher(5), settled=0,
            now=START + 7_200 - 60, expiry_margin=120,
        )  # fmt: skip


@given(
    amount=st.integers(min_value=1, max_value=300), minutes=st.integers(min_value=0, max_value=119)
)
def test_check_agrees_with_the_tariff_cap(amount: int, minutes: int) -> None:
    now = START + minutes * 60
    allowed = amount <= 5 * (minutes + 1)
    try:
        check_voucher(domain=DOMAIN, channel=CHANNEL, voucher=voucher(amount), settled=0, now=now)
        assert allowed
    except VoucherError as refused:
        assert not allowed and refused.code == "voucher-above-tariff-cap"


def test_qr_round_trip_keeps_terms_and_voucher_and_fits_a_small_code() -> None:
    parking = ParkingVoucher(52062, CONTRACT, TERMS, voucher(60))
    payload = encode_voucher_payload(parking)
    assert payload.startswith("CPV1:") and len(payload) < 500
    decoded = decode_voucher_payload(payload)
    assert decoded == parking
    assert decoded.voucher.channel_id == CHANNEL_ID, "the channel id is recomputed from the terms"
    assert qr_info(payload).version <= 10


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("CRV1:ABC", "does not start with"),
        ("CPV1:!!!", "not valid base45"),
        ("CPV1:" + "0" * 1_200, "more than"),
        ("CPV1:+8D VDL2", "not zlib"),
    ],
)
def test_garbage_payloads_are_refused(payload: str, message: str) -> None:
    with pytest.raises(VoucherQrError, match=message):
        decode_voucher_payload(payload)
