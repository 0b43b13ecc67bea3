"""The officer's parking check, online against a channel opened on the real chain (relayed for a
citizen without ETH), and offline facts from the QR alone."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from registry_core.codes import code_to_bytes32
from registry_core.council import chain_view
from registry_core.payments.channels import ChannelTerms
from registry_core.payments.parking import ChainChannels, check_parking
from registry_core.payments.signing import sign_channel_terms, sign_permit, sign_voucher
from registry_core.payments.types import (
    CHANNELS_CONTRACT,
    TOKEN_CONTRACT,
    channels_domain,
    token_domain,
)
from registry_core.payments.voucher_qr import (
    ParkingVoucher,
    decode_voucher_payload,
    encode_voucher_payload,
)
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from tests.payment_fixtures import PaymentCity

RATE = 2  # PARK_ZONE5: 2 cents per started minute


@pytest.fixture(scope="module")
def opened(payment_city: PaymentCity) -> tuple[ChannelTerms, ParkingVoucher]:
    """A zone-5 channel of the first citizen, opened by FB32's account; a voucher for 15 minutes."""
    city, payer = payment_city.city, payment_city.citizens[0]
    manifest = city.manifest
    channels, token = manifest.contract(CHANNELS_CONTRACT), manifest.contract(TOKEN_CONTRACT)
    domain = channels_domain(manifest.chain_id, channels.address)
    with RpcClient(city.rpc_url) as rpc:
        view = chain_view(rpc, manifest)
        now = int(rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        department, zone, rate, unit, version, _ = view(
            "FeeSchedule", "tariff", code_to_bytes32("PARK_ZONE5")
        )
        terms = ChannelTerms(
            payer=payer.address, department=bytes(department), tariff_id=code_to_bytes32("PARK_ZONE5"),
            tariff_version=int(version), zone=bytes(zone), rate_per_unit=int(rate),
            unit_seconds=int(unit), deposit=120 * RATE, starts_at=now - 5, expires_at=now + 4 * 3_600,
            nonce=os.urandom(32), deadline=now + 300,
        )  # fmt: skip
        permit = sign_permit(
            key=payer.key, token_domain=token_domain(manifest.chain_id, token.address),
            owner=payer.address, spender=channels.address, value=terms.deposit,
            nonce=int(view(TOKEN_CONTRACT, "nonces", payer.address)), deadline=now + 3_600,
        )  # fmt: skip
        signed = sign_channel_terms(key=payer.key, channels_domain=domain, terms=terms)
        Signer(city.keys["FB32"], rpc).transact(
            to=channels.address,
            data=channels.interface.encode_call(
                "open", terms.as_tuple(), signed.signature, permit.as_call()
            ),
            interface=channels.interface,
        )
    voucher = sign_voucher(
        key=payer.key, channels_domain=domain, channel_id=terms.channel_id(domain), amount=15 * RATE
    )
    return terms, ParkingVoucher(manifest.chain_id, channels.address.lower(), terms, voucher)


@pytest.fixture(scope="module")
def lookup(payment_city: PaymentCity) -> ChainChannels:
    return ChainChannels(
        rpc=RpcClient(payment_city.city.rpc_url), manifest=payment_city.city.manifest
    )


def test_voucher_pays_until_the_end_of_its_last_minute(opened, lookup) -> None:
    terms, parking = opened
    scanned = decode_voucher_payload(encode_voucher_payload(parking))
    result = check_parking(scanned, lookup=lookup, now=terms.starts_at + 14 * 60 + 59)
    assert (result.outcome, result.code, result.zone) == ("paid", "paid", "ZONE5")
    assert result.paid_until == terms.starts_at + 15 * 60
    assert result.message_en.startswith("Paid until ") and "ZONE5" in result.message_de


def test_after_the_paid_minutes_it_is_not_paid(opened, lookup) -> None:
    terms, parking = opened
    result = check_parking(parking, lookup=lookup, now=terms.starts_at + 15 * 60)
    assert (result.outcome, result.code) == ("not-paid", "time-up")


def test_a_voucher_with_altered_terms_is_invalid(opened, lookup) -> None:
    terms, parking = opened
    cheaper = replace(parking, terms=replace(terms, rate_per_unit=1))  # "pays" twice as long
    assert check_parking(cheaper, lookup=lookup, now=terms.starts_at).code == "signature"


def test_a_forged_voucher_is_invalid(opened, lookup, payment_city: PaymentCity) -> None:
    terms, parking = opened
    forged = sign_voucher(
        key=payment_city.citizens[1].key, channels_domain=parking.domain,
        channel_id=parking.voucher.channel_id, amount=100 * RATE,
    )  # fmt: skip
    result = check_parking(replace(parking, voucher=forged), lookup=lookup, now=terms.starts_at)
    assert (result.outcome, result.code) == ("invalid", "signature")


def test_a_channel_never_opened_cannot_be_confirmed(opened, lookup, payment_city) -> None:
    terms, parking = opened
    unopened = replace(terms, nonce=os.urandom(32))
    channel_id = unopened.channel_id(parking.domain)
    voucher = sign_voucher(
        key=payment_city.citizens[0].key, channels_domain=parking.domain, channel_id=channel_id,
        amount=RATE,
    )  # fmt: skip
    result = check_parking(
        ParkingVoucher(parking.chain_id, parking.channels_contract, unopened, voucher),
        lookup=lookup, now=terms.starts_at,
    )  # fmt: skip
    assert (result.outcome, result.code) == ("unconfirmed", "channel-unknown")


def test_after_the_channel_expired_the_voucher_is_invalid(opened, lookup) -> None:
    terms, parking = opened
    assert check_parking(parking, lookup=lookup, now=terms.expires_at).code == "channel-expired"


def test_a_voucher_for_another_contract_or_chain_is_invalid(opened, lookup) -> None:
    terms, parking = opened
    for other in (
        replace(parking, chain_id=1),
        replace(parking, channels_contract="0x" + "42" * 20),
    ):
        assert check_parking(other, lookup=lookup, now=terms.starts_at).code == "foreign"
