"""PaymentChannels: opening for a tariff with a permit, cumulative vouchers, partial settlement,
top-up, closing, reclaim after expiry, the tariff cap, and every refusal with its exact error."""

from dataclasses import replace

import brownie
import pytest
from brownie import chain
from credential_fixtures import ZERO_ADDRESS, b32, plain
from payments_fixtures import (
    DEPT_PARKING,
    FAKE_NOW,
    MINUTE,
    NO_PERMIT,
    PARK_ZONE5,
    RATE,
    ZONE5,
    cash_citizens,
    cash_parking,
    channel_terms,
    channels,
    clerk,
    council,
    directory,
    err,
    fees,
    isolation,
    open_channel,
    other_payer,
    payer,
    permit_for,
    relayer,
    service_terms,
    sign_terms,
    sign_top_up,
    sign_voucher,
    stranger,
    token,
    top_up_message,
    treasury,
    warden,
    with_nonce,
)

from registry_core.payments.types import channels_domain

DEPOSIT = 60 * RATE  # one hour of parking


@pytest.fixture
def opened(channels, token, payer, relayer):
    """A channel opened at FAKE_NOW for one hour's deposit, expiring two hours later."""
    return open_channel(channels, token, payer, relayer, channel_terms(payer, FAKE_NOW))


def at_minute(channels, minute, council):
    channels.setTime(FAKE_NOW + minute * MINUTE, {"from": council})


def settle(channels, key, channel_id, amount, warden, close=False):
    return channels.settle(
        channel_id, amount, sign_voucher(channels, key, channel_id, amount), close, {"from": warden}
    )


# -- opening ----------------------------------------------------------------------------------


def test_zero_dependencies_revert(PaymentChannels, directory, token, fees, council):
    for args in (
        (ZERO_ADDRESS, token, fees),
        (directory, ZERO_ADDRESS, fees),
        (directory, token, ZERO_ADDRESS),
    ):
        with brownie.reverts(err("PaymentsInvalidDependency(address)", ZERO_ADDRESS)):
            PaymentChannels.deploy(*args, {"from": council})


def test_eip712_domain(channels):
    _, name, version, chain_id, contract, _, _ = channels.eip712Domain()
    assert (name, version, chain_id, contract) == (
        "City Payment Channels",
        "1",
        chain.id,
        channels.address,
    )


def test_open_locks_deposit_and_records_signed_terms(channels, token, payer, relayer):
    terms = channel_terms(
        payer, FAKE_NOW - 30
    )  # the session started half a minute before the block
    opened = open_channel(channels, token, payer, relayer, terms)

    assert channels.channelIdOf(terms.as_tuple()) == opened.channel_id, (
        "Python and Solidity agree on the id"
    )
    assert plain(opened.tx.events["ChannelOpened"].values()) == (
        opened.channel_id,
        payer.address,
        DEPT_PARKING,
        PARK_ZONE5,
        1,
        ZONE5,
        RATE,
        MINUTE,
        DEPOSIT,
        FAKE_NOW - 30,
        terms.expires_at,
    )
    assert plain(channels.channel(opened.channel_id)) == (
        payer.address,
        FAKE_NOW - 30,
        False,
        DEPT_PARKING,
        RATE,
        MINUTE,
        terms.expires_at,
        DEPOSIT,
        0,
    )
    assert token.balanceOf(channels) == DEPOSIT
    assert token.balanceOf(payer.address) == 10_000 - DEPOSIT
    assert brownie.web3.eth.get_balance(payer.address) == 0


def test_open_with_existing_allowance_and_front_run_permit(
    channels, token, payer, relayer, stranger
):
    terms = channel_terms(payer, FAKE_NOW)
    permit = permit_for(token, payer, channels, terms.deposit)
    value, deadline, v, r, s = permit
    token.permit(payer.address, channels, value, deadline, v, r, s, {"from": stranger})
    tx = channels.open(
        terms.as_tuple(), sign_terms(channels, payer, terms), permit, {"from": relayer}
    )
    assert "ChannelOpened" in tx.events


@pytest.mark.parametrize(
    "change",
    [
        {"tariff_version": 2},
        {"rate_per_unit": RATE - 1},
        {"unit_seconds": 1},
        {"zone": b32("ZONE6")[2:]},
        {"department": b32("FB33")[2:]},
        {"tariff_id": b32("NO_SUCH_TARIFF")[2:]},
    ],
)
def test_open_with_terms_other_than_the_tariff_reverts(channels, token, payer, relayer, change):
    change = {k: bytes.fromhex(v) if isinstance(v, str) else v for k, v in change.items()}
    terms = replace(channel_terms(payer, FAKE_NOW), **change)
    expected = (
        err("FeeScheduleUnknownService(bytes32)", "0x" + terms.tariff_id.hex())
        if "tariff_id" in change
        else err("ChannelTariffMismatch(bytes32)", PARK_ZONE5)
    )
    with brownie.reverts(expected):
        open_channel(channels, token, payer, relayer, terms)


def test_open_for_inactive_tariff_or_fee_reverts(channels, fees, token, payer, relayer, warden):
    fees.setService(
        PARK_ZONE5,
        service_terms(
            DEPT_PARKING, RATE, MINUTE, ZONE5, False, True, "Parken Zone 5", "Parking zone 5"
        ),
        {"from": warden},
    )
    with brownie.reverts(err("ChannelTariffMismatch(bytes32)", PARK_ZONE5)):
        open_channel(channels, token, payer, relayer, channel_terms(payer, FAKE_NOW, version=2))


def test_tariff_change_after_opening_does_not_touch_the_channel(
    channels, fees, token, payer, relayer, warden, council
):
    opened = open_channel(channels, token, payer, relayer, channel_terms(payer, FAKE_NOW))
    fees.setService(
        PARK_ZONE5,
        service_terms(DEPT_PARKING, 50, MINUTE, ZONE5, True, True, "Parken", "Parking"),
        {"from": warden},
    )
    at_minute(channels, 2, council)
    assert channels.tariffCap(opened.channel_id, FAKE_NOW + 2 * MINUTE) == 3 * RATE
    with brownie.reverts(err("ChannelTariffMismatch(bytes32)", PARK_ZONE5)):
        open_channel(channels, token, payer, relayer, channel_terms(payer, FAKE_NOW + 120))


@pytest.mark.parametrize("start_offset", [1, -601])
def test_open_with_start_in_future_or_too_old_reverts(
    channels, token, payer, relayer, start_offset
):
    terms = channel_terms(payer, FAKE_NOW + start_offset)
    terms = replace(terms, deadline=FAKE_NOW + 60)
    with brownie.reverts(
        err("ChannelInvalidStart(uint64,uint64,uint64)", FAKE_NOW + start_offset, FAKE_NOW, 600)
    ):
        open_channel(channels, token, payer, relayer, terms)


@pytest.mark.parametrize("duration", [0, 7 * 86_400 + 1])
def test_open_with_bad_expiry_reverts(channels, token, payer, relayer, duration):
    terms = channel_terms(payer, FAKE_NOW, duration=duration)
    with brownie.reverts(
        err(
            "ChannelInvalidExpiry(uint64,uint64,uint64,uint64)",
            FAKE_NOW + duration,
            FAKE_NOW,
            FAKE_NOW,
            7 * 86_400,
        )
    ):
        open_channel(channels, token, payer, relayer, terms)


def test_open_with_zero_deposit_reverts(channels, token, payer, relayer):
    with brownie.reverts(err("ChannelInvalidAmount(uint256)", 0)):
        open_channel(channels, token, payer, relayer, channel_terms(payer, FAKE_NOW, deposit=0))


def test_open_past_deadline_reverts(channels, token, payer, relayer):
    terms = replace(channel_terms(payer, FAKE_NOW - 10), deadline=FAKE_NOW - 1)
    with brownie.reverts(
        err("PaymentsAuthorizationExpired(uint256,uint64)", FAKE_NOW - 1, FAKE_NOW)
    ):
        open_channel(channels, token, payer, relayer, terms)


def test_open_signed_by_someone_else_reverts(channels, token, payer, other_payer, relayer):
    terms = channel_terms(payer, FAKE_NOW)
    with brownie.reverts(err("PaymentsInvalidSignature(address)", payer.address)):
        channels.open(
            terms.as_tuple(),
            sign_terms(channels, other_payer, terms),
            permit_for(token, payer, channels, terms.deposit),
            {"from": relayer},
        )


def test_open_replay_reverts(channels, token, payer, relayer, opened):
    with brownie.reverts(
        err("PaymentsAuthorizationUsed(address,bytes32)", payer.address, opened.terms.nonce)
    ):
        channels.open(
            opened.terms.as_tuple(),
            sign_terms(channels, payer, opened.terms),
            NO_PERMIT,
            {"from": relayer},
        )


def test_open_with_expired_permit_and_no_allowance_reverts(channels, token, payer, relayer):
    terms = channel_terms(payer, FAKE_NOW)
    deadline = chain[-1].timestamp - 1
    with brownie.reverts(err("ERC2612ExpiredSignature(uint256)", deadline)):
        channels.open(
            terms.as_tuple(),
            sign_terms(channels, payer, terms),
            permit_for(token, payer, channels, terms.deposit, deadline=deadline),
            {"from": relayer},
        )


# -- settling ---------------------------------------------------------------------------------


def test_partial_settlements_pay_the_increase(
    channels, token, payer, warden, council, cash_parking, opened
):
    at_minute(channels, 10, council)
    tx = settle(channels, payer, opened.channel_id, 11 * RATE, warden)
    assert plain(tx.events["ChannelSettled"].values()) == (
        opened.channel_id,
        DEPT_PARKING,
        warden.address,
        cash_parking.address,
        11 * RATE,
        11 * RATE,
    )
    at_minute(channels, 30, council)
    tx = settle(channels, payer, opened.channel_id, 31 * RATE, warden)
    assert tx.events["ChannelSettled"]["paid"] == 20 * RATE
    assert token.balanceOf(cash_parking) == 31 * RATE
    assert channels.channel(opened.channel_id)[-1] == 31 * RATE
    assert channels.channel(opened.channel_id)[2] is False, "a partial settlement keeps it open"


def test_closing_settles_and_refunds_the_rest(
    channels, token, payer, warden, council, cash_parking, opened
):
    at_minute(channels, 59, council)
    tx = settle(channels, payer, opened.channel_id, 60 * RATE - 5 * RATE, warden, close=True)
    assert plain(tx.events["ChannelClosed"].values()) == (
        opened.channel_id,
        payer.address,
        55 * RATE,
        5 * RATE,
    )
    assert token.balanceOf(payer.address) == 10_000 - 55 * RATE
    assert token.balanceOf(channels) == 0
    with brownie.reverts(err("ChannelAlreadyClosed(bytes32)", opened.channel_id)):
        settle(channels, payer, opened.channel_id, 56 * RATE, warden)


def test_close_at_the_settled_amount(channels, payer, warden, council, opened):
    at_minute(channels, 3, council)
    settle(channels, payer, opened.channel_id, 4 * RATE, warden)
    tx = settle(channels, payer, opened.channel_id, 4 * RATE, warden, close=True)
    assert tx.events["ChannelSettled"]["paid"] == 0
    assert tx.events["ChannelClosed"]["refunded"] == DEPOSIT - 4 * RATE


def test_voucher_with_lower_or_equal_amount_reverts(channels, payer, warden, council, opened):
    at_minute(channels, 5, council)
    settle(channels, payer, opened.channel_id, 6 * RATE, warden)
    for amount in (5 * RATE, 6 * RATE):
        with brownie.reverts(
            err(
                "ChannelVoucherNotAboveSettled(bytes32,uint256,uint256)",
                opened.channel_id,
                amount,
                6 * RATE,
            )
        ):
            settle(channels, payer, opened.channel_id, amount, warden)


def test_voucher_for_another_channel_reverts(channels, token, payer, relayer, warden, opened):
    other = open_channel(channels, token, payer, relayer, channel_terms(payer, FAKE_NOW))
    signature = sign_voucher(channels, payer, other.channel_id, RATE)
    with brownie.reverts(
        err("ChannelInvalidVoucherSignature(bytes32,address)", opened.channel_id, payer.address)
    ):
        channels.settle(opened.channel_id, RATE, signature, False, {"from": warden})


@pytest.mark.parametrize("where", ["chain", "contract"])
def test_voucher_for_another_chain_or_contract_reverts(channels, payer, warden, opened, where):
    domain = (
        channels_domain(chain.id + 1, channels.address)
        if where == "chain"
        else channels_domain(chain.id, "0x" + "42" * 20)
    )
    signature = sign_voucher(channels, payer, opened.channel_id, RATE, domain=domain)
    with brownie.reverts(
        err("ChannelInvalidVoucherSignature(bytes32,address)", opened.channel_id, payer.address)
    ):
        channels.settle(opened.channel_id, RATE, signature, False, {"from": warden})


def test_voucher_signed_by_someone_else_reverts(channels, other_payer, warden, opened):
    with brownie.reverts(
        err(
            "ChannelInvalidVoucherSignature(bytes32,address)", opened.channel_id, opened.terms.payer
        )
    ):
        settle(channels, other_payer, opened.channel_id, RATE, warden)


def test_overdrawn_voucher_reverts(channels, payer, warden, council, opened):
    at_minute(channels, 90, council)  # the cap would allow more: the deposit stops it
    with brownie.reverts(
        err(
            "ChannelVoucherAboveDeposit(bytes32,uint256,uint256)",
            opened.channel_id,
            DEPOSIT + 1,
            DEPOSIT,
        )
    ):
        settle(channels, payer, opened.channel_id, DEPOSIT + 1, warden)


def test_voucher_above_the_tariff_cap_reverts(channels, payer, warden, council, opened):
    # minute 10 (seconds 540..599) has started: 10 units may be charged, not 11
    channels.setTime(FAKE_NOW + 599, {"from": council})
    assert channels.tariffCap(opened.channel_id, FAKE_NOW + 599) == 10 * RATE
    with brownie.reverts(
        err(
            "ChannelVoucherAboveTariffCap(bytes32,uint256,uint256)",
            opened.channel_id,
            10 * RATE + 1,
            10 * RATE,
        )
    ):
        settle(channels, payer, opened.channel_id, 10 * RATE + 1, warden)
    settle(channels, payer, opened.channel_id, 10 * RATE, warden)


def test_first_minute_may_be_charged_at_once(channels, payer, warden, opened):
    """Per started minute: at the opening second the first minute has started."""
    assert channels.tariffCap(opened.channel_id, FAKE_NOW) == RATE
    settle(channels, payer, opened.channel_id, RATE, warden)


def test_settlement_after_expiry_reverts(channels, payer, warden, council, opened):
    channels.setTime(opened.terms.expires_at, {"from": council})
    with brownie.reverts(
        err(
            "ChannelExpired(bytes32,uint64,uint64)",
            opened.channel_id,
            opened.terms.expires_at,
            opened.terms.expires_at,
        )
    ):
        settle(channels, payer, opened.channel_id, RATE, warden)


def test_settlement_by_other_department_or_stranger_reverts(
    channels, payer, clerk, stranger, opened
):
    for caller in (clerk, stranger):
        with brownie.reverts(
            err(
                "ChannelCallerNotPayee(bytes32,bytes32,address)",
                opened.channel_id,
                DEPT_PARKING,
                caller.address,
            )
        ):
            settle(channels, payer, opened.channel_id, RATE, caller)


def test_settling_unknown_channel_reverts(channels, payer, warden):
    unknown = "0x" + "ab" * 32
    with brownie.reverts(err("ChannelUnknown(bytes32)", unknown)):
        settle(channels, payer, unknown, RATE, warden)


# -- top-up and reclaim -----------------------------------------------------------------------


def test_top_up_adds_deposit_and_extends(channels, token, payer, relayer, opened):
    later = opened.terms.expires_at + 3_600
    message = top_up_message(bytes.fromhex(opened.channel_id[2:]), 120, later, FAKE_NOW + 60)
    tx = channels.topUp(
        tuple(message.values()),
        sign_top_up(channels, payer, message),
        permit_for(token, payer, channels, 120),
        {"from": relayer},
    )
    assert plain(tx.events["ChannelToppedUp"].values()) == (
        opened.channel_id,
        120,
        DEPOSIT + 120,
        later,
    )
    assert token.balanceOf(channels) == DEPOSIT + 120


def test_top_up_signed_by_someone_else_reverts(
    channels, token, payer, other_payer, relayer, opened
):
    message = top_up_message(
        bytes.fromhex(opened.channel_id[2:]), 120, opened.terms.expires_at, FAKE_NOW + 60
    )
    with brownie.reverts(err("PaymentsInvalidSignature(address)", payer.address)):
        channels.topUp(
            tuple(message.values()),
            sign_top_up(channels, other_payer, message),
            NO_PERMIT,
            {"from": relayer},
        )


def test_top_up_that_shortens_or_changes_nothing_reverts(channels, payer, relayer, opened):
    expiry = opened.terms.expires_at
    short = top_up_message(bytes.fromhex(opened.channel_id[2:]), 10, expiry - 1, FAKE_NOW + 60)
    with brownie.reverts(
        err(
            "ChannelInvalidExpiry(uint64,uint64,uint64,uint64)",
            expiry - 1,
            FAKE_NOW,
            FAKE_NOW,
            7 * 86_400,
        )
    ):
        channels.topUp(
            tuple(short.values()), sign_top_up(channels, payer, short), NO_PERMIT, {"from": relayer}
        )
    empty = top_up_message(bytes.fromhex(opened.channel_id[2:]), 0, expiry, FAKE_NOW + 60)
    with brownie.reverts(err("ChannelInvalidAmount(uint256)", 0)):
        channels.topUp(
            tuple(empty.values()), sign_top_up(channels, payer, empty), NO_PERMIT, {"from": relayer}
        )


def test_reclaim_after_expiry_refunds_the_payer_without_the_city(
    channels, token, payer, warden, stranger, council, opened
):
    at_minute(channels, 20, council)
    settle(channels, payer, opened.channel_id, 21 * RATE, warden)
    channels.setTime(opened.terms.expires_at, {"from": council})
    tx = channels.reclaim(
        opened.channel_id, {"from": stranger}
    )  # any account: the refund goes to the payer
    assert plain(tx.events["ChannelClosed"].values()) == (
        opened.channel_id,
        payer.address,
        21 * RATE,
        DEPOSIT - 21 * RATE,
    )
    assert token.balanceOf(payer.address) == 10_000 - 21 * RATE
    with brownie.reverts(err("ChannelAlreadyClosed(bytes32)", opened.channel_id)):
        channels.reclaim(opened.channel_id, {"from": stranger})


def test_reclaim_before_expiry_reverts(channels, stranger, council, opened):
    channels.setTime(opened.terms.expires_at - 1, {"from": council})
    with brownie.reverts(
        err(
            "ChannelNotExpired(bytes32,uint64,uint64)",
            opened.channel_id,
            opened.terms.expires_at,
            opened.terms.expires_at - 1,
        )
    ):
        channels.reclaim(opened.channel_id, {"from": stranger})


def test_reclaim_of_unknown_channel_reverts(channels, stranger):
    with brownie.reverts(err("ChannelUnknown(bytes32)", "0x" + "cd" * 32)):
        channels.reclaim("0x" + "cd" * 32, {"from": stranger})


def test_voucher_digest_matches_python(channels, opened):
    from registry_core.payments.channels import voucher_digest

    expected = voucher_digest(
        channels_domain(chain.id, channels.address), bytes.fromhex(opened.channel_id[2:]), 42
    )
    assert channels.voucherDigest(opened.channel_id, 42) == "0x" + expected.hex()


def test_new_nonce_opens_a_second_channel(channels, token, payer, relayer, opened):
    second = open_channel(channels, token, payer, relayer, with_nonce(opened.terms))
    assert second.channel_id != opened.channel_id
