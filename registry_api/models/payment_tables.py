"""Tables of the payments domain: payment channels with their highest voucher, fee payments.

Amounts are cents, times unix seconds (integers compare the same on SQLite and PostgreSQL). The
highest voucher of a channel is moved up only by one conditional ``UPDATE … WHERE
accepted_amount < :new``, so API processes sharing the store never accept a lower voucher after
a higher one, and an acknowledged voucher is committed before the answer leaves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

CHANNEL_STATES = ("opening", "open", "closing", "closed", "expired", "failed")


def _int(*, nullable: bool = False, default: int | None = None) -> Any:
    return Field(default=default, sa_column=Column(BigInteger, nullable=nullable, default=default))


class PaymentChannelRow(SQLModel, table=True):
    __tablename__ = "payment_channel"
    __table_args__ = (Index("ix_payment_channel_state_expires", "state", "expires_at"),)

    channel_id: str = Field(primary_key=True, max_length=66)
    payer: str = Field(max_length=42, index=True)
    department: str = Field(max_length=32)
    tariff: str = Field(max_length=32)
    zone: str = Field(max_length=32)
    tariff_version: int
    rate_per_unit: int = _int()
    unit_seconds: int
    deposit: int = _int()
    starts_at: int = _int()
    expires_at: int = _int()
    terms: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # the wire form
    state: str = Field(max_length=16)  # one of CHANNEL_STATES
    open_write_id: str = Field(max_length=32)
    topup_write_id: str | None = Field(default=None, max_length=32)
    topup_amount: int | None = _int(nullable=True)
    topup_expires_at: int | None = _int(nullable=True)
    accepted_amount: int = _int(default=0)
    accepted_signature: str | None = Field(default=None, max_length=132)
    accepted_at: int | None = _int(nullable=True)
    settle_write_id: str | None = Field(default=None, max_length=32)
    settled_amount: int = _int(default=0)
    created_at: int = _int()
    updated_at: int = _int()


class FeePaymentRow(SQLModel, table=True):
    """A relayed fee payment; ``request_id`` links it to the credential request it pays for."""

    __tablename__ = "fee_payment"

    write_id: str = Field(primary_key=True, max_length=32)
    payer: str = Field(max_length=42, index=True)
    service: str = Field(max_length=32)
    amount: int = _int()
    request_ref: str = Field(max_length=66, index=True)
    request_id: str | None = Field(default=None, max_length=32, index=True)
    created_at: int = _int()
