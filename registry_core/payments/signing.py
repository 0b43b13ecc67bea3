"""What a payer signs: EIP-2612 permits, fee payments, channel terms, top-ups and vouchers.

Each function returns the signature together with the EIP-712 typed data it covers, so that the
wallet can print both (``--json``) and any EIP-712 tool can check them. The relayer (the API)
turns them into contract call arguments with ``as_call``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry_core.eip712 import Domain, StructType, sign_digest
from registry_core.payments.channels import ChannelTerms, voucher_digest
from registry_core.payments.types import FEE_PAYMENT, OPEN_CHANNEL, PERMIT, TOP_UP
from registry_core.payments.vouchers import Voucher


@dataclass(frozen=True)
class Signed:
    """A signature and the typed data it covers."""

    typed_data: dict[str, Any]
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        return {"typed_data": self.typed_data, "signature": "0x" + self.signature.hex()}


@dataclass(frozen=True)
class SignedPermit(Signed):
    value: int
    deadline: int

    def as_call(self) -> tuple[int, int, int, bytes, bytes]:
        """``IPaymentAuthorizations.Permit``: (value, deadline, v, r, s)."""
        return (
            self.value,
            self.deadline,
            self.signature[64],
            self.signature[:32],
            self.signature[32:64],
        )


NO_PERMIT: tuple[int, int, int, bytes, bytes] = (0, 0, 0, b"\0" * 32, b"\0" * 32)


def _sign(key: bytes, domain: Domain, struct_type: StructType, message: dict[str, Any]) -> Signed:
    return Signed(
        domain.typed_data(struct_type, message),
        sign_digest(key, domain.digest_of(struct_type, message)),
    )


def sign_permit(
    *,
    key: bytes,
    token_domain: Domain,
    owner: str,
    spender: str,
    value: int,
    nonce: int,
    deadline: int,
) -> SignedPermit:
    message = {
        "owner": owner,
        "spender": spender,
        "value": value,
        "nonce": nonce,
        "deadline": deadline,
    }
    signed = _sign(key, token_domain, PERMIT, message)
    return SignedPermit(signed.typed_data, signed.signature, value, deadline)


@dataclass(frozen=True)
class FeePaymentOrder:
    """The ``FeePayment`` message: pay ``amount`` cents of fee ``service_id`` for ``request_ref``."""

    payer: str
    service_id: bytes
    amount: int
    request_ref: bytes
    nonce: bytes
    deadline: int

    def message(self) -> dict[str, Any]:
        return {
            "payer": self.payer,
            "serviceId": self.service_id,
            "amount": self.amount,
            "requestRef": self.request_ref,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }

    def as_call(self) -> tuple[Any, ...]:
        return tuple(self.message().values())


def sign_fee_payment(*, key: bytes, fee_domain: Domain, order: FeePaymentOrder) -> Signed:
    return _sign(key, fee_domain, FEE_PAYMENT, order.message())


def sign_channel_terms(*, key: bytes, channels_domain: Domain, terms: ChannelTerms) -> Signed:
    return _sign(key, channels_domain, OPEN_CHANNEL, terms.message())


def sign_top_up(
    *, key: bytes, channels_domain: Domain, channel_id: bytes, amount: int, expires_at: int,
    nonce: bytes, deadline: int,
) -> Signed:  # fmt: skip
    message = {
        "channelId": channel_id,
        "amount": amount,
        "expiresAt": expires_at,
        "nonce": nonce,
        "deadline": deadline,
    }
    return _sign(key, channels_domain, TOP_UP, message)


def sign_voucher(*, key: bytes, channels_domain: Domain, channel_id: bytes, amount: int) -> Voucher:
    return Voucher(
        channel_id, amount, sign_digest(key, voucher_digest(channels_domain, channel_id, amount))
    )
