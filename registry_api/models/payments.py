"""Request and response models of the payments domain (fees, channels, vouchers).

Hex fields are ``0x``-prefixed; amounts are cents; times unix seconds. The signed messages are the
EIP-712 structs of ``registry_core.payments.types`` (the wallet prints their typed data).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from registry_api.models.base import ExactNumbers

HEX32 = r"^0x[0-9a-fA-F]{64}$"
ADDRESS = r"^0x[0-9a-fA-F]{40}$"
SIGNATURE = r"^0x[0-9a-fA-F]{130}$"
# Cents fit the store's 64-bit integers (and far exceed any fee or deposit).
UINT = Field(ge=0, lt=2**63)


class PermitIn(ExactNumbers):
    """An EIP-2612 permit of the payer for the contract that pulls the amount."""

    value: int = UINT
    deadline: int = UINT
    signature: str = Field(pattern=SIGNATURE)


class FeeOrderIn(ExactNumbers):
    """The ``FeePayment`` message the payer signed."""

    payer: str = Field(pattern=ADDRESS)
    service: str = Field(min_length=1, max_length=32, examples=["RESIDENCE_CERT"])
    amount: int = UINT
    request_ref: str = Field(pattern=HEX32)
    nonce: str = Field(pattern=HEX32)
    deadline: int = UINT


class FeePaymentIn(ExactNumbers):
    order: FeeOrderIn
    signature: str = Field(pattern=SIGNATURE)
    permit: PermitIn | None = None
    # The credential request this fee is for (its receipt then releases the request).
    request_id: str | None = Field(None, max_length=32)


class FeePaymentOut(BaseModel):
    write_id: str
    status: str  # pending | paid
    status_url: str
    payer: str
    service: str
    amount: int
    request_ref: str
    request_id: str | None = None


class ChannelOpenIn(ExactNumbers):
    """The ``OpenChannel`` terms (``registry_core.payments.wire``), signed by the payer."""

    terms: dict[str, Any]
    signature: str = Field(pattern=SIGNATURE)
    permit: PermitIn | None = None


class TopUpIn(ExactNumbers):
    amount: int = UINT
    expires_at: int = Field(ge=0, lt=2**64)
    nonce: str = Field(pattern=HEX32)
    deadline: int = UINT
    signature: str = Field(pattern=SIGNATURE)
    permit: PermitIn | None = None


class ChannelOut(BaseModel):
    channel_id: str
    state: str  # opening | open | closing | closed | expired | failed
    payer: str
    department: str
    tariff: str
    zone: str
    rate_per_unit: int
    unit_seconds: int
    deposit: int
    starts_at: int
    expires_at: int
    accepted_amount: int
    paid_until: int
    settled_amount: int
    write_id: str  # the write that is waited on (opening, top-up or settlement)
    status_url: str


class VoucherIn(ExactNumbers):
    """``Voucher(bytes32 channelId,uint256 cumulativeAmount)`` signed by the payer."""

    channel_id: str = Field(pattern=HEX32)
    cumulative_amount: int = UINT
    signature: str = Field(pattern=SIGNATURE)
    # Optional: where the wallet believes the channel lives (refused if it is elsewhere).
    chain_id: int | None = Field(None, ge=0)
    verifying_contract: str | None = Field(None, pattern=ADDRESS)


class VoucherOut(BaseModel):
    channel_id: str
    accepted_amount: int
    paid_until: int
    repeated: bool = False


class VouchersIn(ExactNumbers):
    """Several vouchers (of one or many channels), checked in order and committed together."""

    vouchers: list[VoucherIn] = Field(min_length=1, max_length=100)


class VoucherResult(BaseModel):
    channel_id: str
    status: str  # accepted | repeated | refused
    accepted_amount: int | None = None
    paid_until: int | None = None
    problem: dict[str, Any] | None = None  # the refusal, as the single-voucher endpoint's problem


class VouchersOut(BaseModel):
    data: list[VoucherResult]
    accepted: int


class CloseIn(ExactNumbers):
    """``CloseChannel(bytes32 channelId,uint256 cumulativeAmount)`` signed by the payer, naming the
    highest voucher the API accepted."""

    cumulative_amount: int = UINT
    signature: str = Field(pattern=SIGNATURE)


class FeeServiceOut(BaseModel):
    service: str
    department: str
    amount: int
    active: bool
    name_de: str
    name_en: str
    version: int


class TariffOut(BaseModel):
    service: str
    department: str
    zone: str
    rate_per_unit: int
    unit_seconds: int
    version: int
    active: bool


class AccountOut(BaseModel):
    address: str
    balance: int
    permit_nonce: int
    chain_id: int
    token: str
    fee_schedule: str
    channels: str
    # A channel is settled this long before it expires; vouchers later than that are refused.
    channel_settle_margin_seconds: int
    chain_time: int  # the latest block's timestamp (a session may not start after it)
