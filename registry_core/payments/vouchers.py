"""Checking a payment-channel voucher off chain, with the contract's rules in the contract's order.

The API runs this on every voucher it accepts (hot path: one struct hash with the precomputed
domain separator, one coincurve recovery, a few comparisons); the officer's check and the wallet
run it too. A voucher that passes here settles on chain if it is presented before the channel
expires, because ``PaymentChannels.settle`` checks the same things (its tariff cap only grows with
time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry_core.eip712 import Domain, SignatureError, recover_signer
from registry_core.errors import RegistryCoreError
from registry_core.payments.channels import tariff_cap, voucher_digest
from registry_core.payments.types import VOUCHER


@dataclass(frozen=True)
class ChannelState:
    """What a voucher is checked against: the channel as the chain (or a trust bundle) has it."""

    channel_id: bytes
    payer: str  # lower-case 0x address
    starts_at: int
    expires_at: int
    rate_per_unit: int
    unit_seconds: int
    deposit: int
    closed: bool = False


@dataclass(frozen=True)
class Voucher:
    """A payer's signature over ``Voucher(channelId, cumulativeAmount)`` in the channels' domain."""

    channel_id: bytes
    cumulative_amount: int
    signature: bytes

    def typed_data(self, domain: Domain) -> dict[str, Any]:
        return domain.typed_data(
            VOUCHER, {"channelId": self.channel_id, "cumulativeAmount": self.cumulative_amount}
        )


class VoucherError(RegistryCoreError):
    """A voucher the contract would not settle (or that the API cannot settle in time).

    ``code`` names the rule (stable, for clients); ``values`` carries the numbers that broke it.
    """

    def __init__(self, code: str, detail: str, **values: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.values = values


def check_voucher(
    *,
    domain: Domain,
    channel: ChannelState,
    voucher: Voucher,
    settled: int,
    now: int,
    expiry_margin: int = 0,
) -> None:
    """Raises VoucherError unless ``voucher`` would settle ``channel`` now, above ``settled``.

    ``expiry_margin``: seconds before expiry from which a voucher is refused as too late to settle.
    """
    if voucher.channel_id != channel.channel_id:
        raise VoucherError("voucher-wrong-channel", "the voucher names another channel")
    if channel.closed:
        raise VoucherError("channel-closed", "the channel is closed")
    if now >= channel.expires_at - expiry_margin:
        raise VoucherError(
            "channel-expired",
            "the channel has expired (or expires before it could be settled)",
            expires_at=channel.expires_at,
            now=now,
        )
    amount = voucher.cumulative_amount
    if amount <= settled:
        raise VoucherError(
            "voucher-not-increasing",
            f"the cumulative amount {amount} is not above the {settled} already accepted",
            cumulative_amount=amount,
            accepted=settled,
        )
    if amount > channel.deposit:
        raise VoucherError(
            "voucher-above-deposit",
            f"the cumulative amount {amount} exceeds the deposit {channel.deposit}",
            cumulative_amount=amount,
            deposit=channel.deposit,
        )
    cap = tariff_cap(
        rate_per_unit=channel.rate_per_unit,
        unit_seconds=channel.unit_seconds,
        starts_at=channel.starts_at,
        at=now,
    )
    if amount > cap:
        raise VoucherError(
            "voucher-above-tariff-cap",
            f"the cumulative amount {amount} exceeds the tariff cap {cap} at this time",
            cumulative_amount=amount,
            cap=cap,
        )
    try:
        signer = recover_signer(
            voucher_digest(domain, channel.channel_id, amount), voucher.signature
        )
    except SignatureError as exc:
        raise VoucherError("voucher-signature-invalid", str(exc)) from None
    if signer != channel.payer:
        raise VoucherError(
            "voucher-signature-invalid",
            "the voucher is not signed by the channel's payer for this channel, chain and contract",
        )
