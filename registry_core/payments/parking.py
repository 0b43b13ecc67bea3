"""The enforcement officer's check of a parking voucher QR: "paid until 14:32 in zone 5".

Everything the QR carries is checked without a network: the payer's signature over the voucher,
which names the channel id, which is the EIP-712 digest of the channel terms in the QR (payer,
tariff and version, zone, rate, unit, start). What only the chain knows (the channel was opened,
is not closed, has not expired, holds enough deposit) comes from a :class:`ChannelLookup`: the
chain itself, or a signed trust bundle (a channel younger than the bundle cannot be confirmed
offline yet), or :class:`RpcChannels` (the chain, for a checker without a deployment manifest).
Outcomes:

- ``paid``: valid and the voucher pays past now;
- ``not-paid``: valid, but the paid time is over (the answer says until when it was paid);
- ``invalid``: a check failed (forged or altered voucher, closed or expired channel, ...);
- ``unconfirmed``: nothing failed, but the channel could not be found where we looked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from registry_core.codes import bytes32_to_code
from registry_core.eip712 import SignatureError, recover_signer
from registry_core.keccak import keccak256
from registry_core.manifest import DeploymentManifest
from registry_core.payments.channels import voucher_digest
from registry_core.payments.types import CHANNELS_CONTRACT
from registry_core.payments.voucher_qr import ParkingVoucher
from registry_core.rpc import RpcClient

Outcome = Literal["paid", "not-paid", "invalid", "unconfirmed"]
CITY_TIME = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class OnChainChannel:
    """``IPaymentChannels.Channel`` as the chain (or a bundle) has it."""

    payer: str  # lower-case 0x address
    starts_at: int
    closed: bool
    department: bytes
    rate_per_unit: int
    unit_seconds: int
    expires_at: int
    deposit: int
    settled: int


class ChannelLookup(Protocol):
    """Where the officer's check learns a channel's state."""

    knowledge: Literal["chain", "bundle"]
    chain_id: int
    channels_contract: str  # lower-case 0x address of the city's PaymentChannels

    def channel(self, channel_id: bytes) -> OnChainChannel | None:
        """The channel, or None if it is unknown there."""
        ...


class ChainChannels:
    """Channels read from the chain (one ``eth_call`` per check)."""

    knowledge: Literal["chain", "bundle"] = "chain"

    def __init__(self, *, rpc: RpcClient, manifest: DeploymentManifest) -> None:
        self._rpc = rpc
        self._contract = manifest.contract(CHANNELS_CONTRACT)
        self.chain_id = manifest.chain_id
        self.channels_contract = self._contract.address.lower()

    def channel(self, channel_id: bytes) -> OnChainChannel | None:
        interface = self._contract.interface
        raw = self._rpc.call(self._contract.address, interface.encode_call("channel", channel_id))
        payer, starts_at, closed, department, rate, unit, expires_at, deposit, settled = (
            interface.decode_output("channel", raw)
        )
        if int(payer, 16) == 0:
            return None
        return OnChainChannel(
            payer.lower(), int(starts_at), bool(closed), bytes(department), int(rate), int(unit),
            int(expires_at), int(deposit), int(settled),
        )  # fmt: skip


_CHANNEL_SELECTOR = keccak256(b"channel(bytes32)")[:4]


class RpcChannels:
    """Channels read over JSON-RPC without a deployment manifest (the wallet's check): the city's
    chain id and PaymentChannels address come from a trusted source (the city's API), and the
    ``channel(bytes32)`` answer, nine static words, is decoded here."""

    knowledge: Literal["chain", "bundle"] = "chain"

    def __init__(self, *, rpc: RpcClient, chain_id: int, channels_contract: str) -> None:
        self._rpc = rpc
        self.chain_id = chain_id
        self.channels_contract = channels_contract.lower()

    def channel(self, channel_id: bytes) -> OnChainChannel | None:
        raw = self._rpc.call(self.channels_contract, _CHANNEL_SELECTOR + channel_id)
        if len(raw) < 9 * 32:
            return None
        words = [raw[i * 32 : (i + 1) * 32] for i in range(9)]
        payer = "0x" + words[0][12:].hex()
        if int(payer, 16) == 0:
            return None
        number = [int.from_bytes(word, "big") for word in words]
        return OnChainChannel(
            payer, number[1], bool(number[2]), words[3], number[4], number[5], number[6],
            number[7], number[8],
        )  # fmt: skip


@dataclass(frozen=True)
class ParkingCheck:
    outcome: Outcome
    code: str  # why: "paid", "time-up", "signature", "channel-unknown", ...
    message_de: str
    message_en: str
    zone: str
    tariff: str
    tariff_version: int
    paid_until: int  # unix seconds
    cumulative_amount: int  # cents
    payer: str
    checked_at: int
    knowledge: str  # "chain" or "bundle"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["paid_until_local"] = _local(self.paid_until, "%Y-%m-%d %H:%M")
        return data


def _local(timestamp: int, pattern: str = "%H:%M") -> str:
    return datetime.fromtimestamp(timestamp, UTC).astimezone(CITY_TIME).strftime(pattern)


_INVALID_TEXTS = {
    "foreign": (
        "Der Parkschein gilt für eine andere Blockchain oder einen anderen Vertrag als den der Stadt.",
        "The voucher is for another chain or contract than the city's.",
    ),
    "signature": (
        "Der Parkschein ist nicht vom Zahler der Parksitzung unterschrieben.",
        "The voucher is not signed by the parking session's payer.",
    ),
    "terms": (
        "Die Angaben im Parkschein passen nicht zur Parksitzung auf der Blockchain.",
        "The voucher's terms do not match the parking session on chain.",
    ),
    "channel-closed": ("Die Parksitzung ist beendet.", "The parking session has ended."),
    "channel-expired": ("Die Parksitzung ist abgelaufen.", "The parking session has expired."),
    "above-deposit": (
        "Der Parkschein übersteigt die hinterlegte Kaution.",
        "The voucher exceeds the deposit held for it.",
    ),
}


def check_parking(parking: ParkingVoucher, *, lookup: ChannelLookup, now: int) -> ParkingCheck:
    """Check a decoded voucher QR at time ``now`` (unix seconds)."""
    terms, voucher = parking.terms, parking.voucher
    paid_until = terms.paid_until(voucher.cumulative_amount)
    zone = bytes32_to_code(terms.zone)

    def result(outcome: Outcome, code: str, de: str, en: str) -> ParkingCheck:
        return ParkingCheck(
            outcome, code, de, en, zone, bytes32_to_code(terms.tariff_id), terms.tariff_version,
            paid_until, voucher.cumulative_amount, terms.payer.lower(), now, lookup.knowledge,
        )  # fmt: skip

    def invalid(code: str) -> ParkingCheck:
        de, en = _INVALID_TEXTS[code]
        return result("invalid", code, de, en)

    if (parking.chain_id, parking.channels_contract.lower()) != (
        lookup.chain_id,
        lookup.channels_contract,
    ):
        return invalid("foreign")
    # The id is recomputed from the terms: the voucher's signature must cover these very terms.
    channel_id = terms.channel_id(parking.domain)
    try:
        signer = recover_signer(
            voucher_digest(parking.domain, channel_id, voucher.cumulative_amount),
            voucher.signature,
        )
    except SignatureError:
        return invalid("signature")
    if signer != terms.payer.lower():
        return invalid("signature")
    channel = lookup.channel(channel_id)
    until = _local(paid_until)
    if channel is None:
        where_de, where_en = (
            ("im Vertrauenspaket", "in the trust bundle")
            if lookup.knowledge == "bundle"
            else ("auf der Blockchain", "on chain")
        )
        return result(
            "unconfirmed", "channel-unknown",
            f"Bezahlt bis {until} in {zone} laut Parkschein; die Parksitzung ist {where_de} noch "
            "nicht zu finden und kann nicht bestätigt werden.",
            f"Paid until {until} in {zone} by the voucher; the parking session is not {where_en} "
            "yet and cannot be confirmed.",
        )  # fmt: skip
    if (
        channel.payer != terms.payer.lower()
        or channel.starts_at != terms.starts_at
        or channel.department != terms.department
        or channel.rate_per_unit != terms.rate_per_unit
        or channel.unit_seconds != terms.unit_seconds
    ):
        return invalid("terms")
    if channel.closed:
        return invalid("channel-closed")
    if now >= channel.expires_at:
        return invalid("channel-expired")
    if voucher.cumulative_amount > channel.deposit:
        return invalid("above-deposit")
    if now < paid_until:
        return result(
            "paid", "paid", f"Bezahlt bis {until} in {zone}.", f"Paid until {until} in {zone}."
        )
    return result(
        "not-paid", "time-up",
        f"Nicht bezahlt: die bezahlte Parkzeit in {zone} endete um {until}.",
        f"Not paid: the paid parking time in {zone} ended at {until}.",
    )  # fmt: skip
