"""The parking voucher QR payload ``CPV1:``: a channel's signed terms and its latest voucher.

An enforcement officer needs no network to read it: the terms say who pays, which tariff (id,
version, zone, rate, unit) and from when; their EIP-712 digest is the channel id, which the
voucher's signature covers, so the payer's signature vouches for every field. Layout (big-endian):

``0x01`` ‖ chain id u64 ‖ PaymentChannels address (20) ‖ payer (20) ‖ department, tariff id
(32 each) ‖ tariff version u32 ‖ zone (32) ‖ rate per unit u128 ‖ unit seconds u32 ‖ deposit u128
‖ starts at, expires at u64 ‖ nonce (32) ‖ deadline u64 ‖ cumulative amount u128 ‖ signature (65)

then zlib (level 9) and base45 (RFC 9285), as the credential QR does, so any QR reader returns it
as text. Decoding is bounded and says what is wrong.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import base45

from registry_core.eip712 import Domain
from registry_core.errors import RegistryCoreError
from registry_core.payments.channels import ChannelTerms
from registry_core.payments.types import channels_domain
from registry_core.payments.vouchers import Voucher
from registry_core.qr import b45decode

PREFIX = "CPV1:"
_VERSION = 1
_LAYOUT = struct.Struct(">BQ20s20s32s32sI32s16sI16sQQ32sQ16s65s")
MAX_PAYLOAD_CHARS = 1_000  # a valid payload has about 400


class VoucherQrError(RegistryCoreError):
    """The text is no parking voucher payload."""


@dataclass(frozen=True)
class ParkingVoucher:
    """What the car shows: where the channel lives, its terms, and the latest voucher."""

    chain_id: int
    channels_contract: str  # lower-case 0x address
    terms: ChannelTerms
    voucher: Voucher

    @property
    def domain(self) -> Domain:
        return channels_domain(self.chain_id, self.channels_contract)


def _u128(value: int) -> bytes:
    return value.to_bytes(16, "big")


def encode_voucher_payload(parking: ParkingVoucher) -> str:
    t, v = parking.terms, parking.voucher
    body = _LAYOUT.pack(
        _VERSION,
        parking.chain_id,
        bytes.fromhex(parking.channels_contract[2:]),
        bytes.fromhex(t.payer[2:]),
        t.department,
        t.tariff_id,
        t.tariff_version,
        t.zone,
        _u128(t.rate_per_unit),
        t.unit_seconds,
        _u128(t.deposit),
        t.starts_at,
        t.expires_at,
        t.nonce,
        t.deadline,
        _u128(v.cumulative_amount),
        v.signature,
    )
    return PREFIX + bytes(base45.b45encode(zlib.compress(body, 9))).decode("ascii")


def decode_voucher_payload(payload: str) -> ParkingVoucher:
    """The voucher inside ``CPV1:…``; VoucherQrError for anything else."""
    text = payload.strip() if isinstance(payload, str) else ""
    if not text.startswith(PREFIX):
        raise VoucherQrError(f"the payload does not start with {PREFIX!r}")
    if len(text) > MAX_PAYLOAD_CHARS:
        raise VoucherQrError(
            f"the payload has {len(text)} characters, more than {MAX_PAYLOAD_CHARS}"
        )
    try:
        compressed = b45decode(text[len(PREFIX) :])
    except ValueError:
        raise VoucherQrError("the payload is not valid base45 (RFC 9285)") from None
    decompressor = zlib.decompressobj()
    try:
        body = decompressor.decompress(compressed, _LAYOUT.size + 1)
    except zlib.error:
        raise VoucherQrError("the payload is not zlib-compressed data") from None
    if len(body) != _LAYOUT.size or decompressor.unconsumed_tail or not decompressor.eof:
        raise VoucherQrError(f"the voucher body must have {_LAYOUT.size} bytes")
    (
        version, chain_id, contract, payer, department, tariff_id, tariff_version, zone, rate,
        unit, deposit, starts_at, expires_at, nonce, deadline, cumulative, signature,
    ) = _LAYOUT.unpack(body)  # fmt: skip
    if version != _VERSION:
        raise VoucherQrError(f"unknown voucher payload version {version}")
    terms = ChannelTerms(
        payer="0x" + payer.hex(),
        department=department,
        tariff_id=tariff_id,
        tariff_version=tariff_version,
        zone=zone,
        rate_per_unit=int.from_bytes(rate, "big"),
        unit_seconds=unit,
        deposit=int.from_bytes(deposit, "big"),
        starts_at=starts_at,
        expires_at=expires_at,
        nonce=nonce,
        deadline=deadline,
    )
    if terms.rate_per_unit == 0 or terms.unit_seconds == 0:
        raise VoucherQrError("the tariff in the voucher has no rate or unit")
    channels_contract = "0x" + contract.hex()
    channel_id = terms.channel_id(channels_domain(chain_id, channels_contract))
    voucher = Voucher(channel_id, int.from_bytes(cumulative, "big"), signature)
    return ParkingVoucher(chain_id, channels_contract, terms, voucher)
