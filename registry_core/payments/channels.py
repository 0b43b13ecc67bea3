"""Payment-channel arithmetic as the contract does it: channel ids, tariff cap, "paid until".

``PaymentChannels`` charges every *started* unit in full: at time ``t`` a settlement may reach
``ratePerUnit * (floor((t - startsAt) / unitSeconds) + 1)``. A voucher for ``cumulative`` cents pays
``cumulative // ratePerUnit`` whole units from ``startsAt``, so it pays until
``startsAt + (cumulative // ratePerUnit) * unitSeconds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry_core.eip712 import Domain
from registry_core.keccak import keccak256
from registry_core.payments.types import OPEN_CHANNEL, VOUCHER

_VOUCHER_TYPEHASH = VOUCHER.typehash


def units_started(*, starts_at: int, unit_seconds: int, at: int) -> int:
    """Units begun by time ``at``: the unit running at ``starts_at`` counts as started."""
    return max(at - starts_at, 0) // unit_seconds + 1


def tariff_cap(*, rate_per_unit: int, unit_seconds: int, starts_at: int, at: int) -> int:
    """The most a settlement at time ``at`` may reach (the contract's ``tariffCap``)."""
    return rate_per_unit * units_started(starts_at=starts_at, unit_seconds=unit_seconds, at=at)


def paid_until(*, rate_per_unit: int, unit_seconds: int, starts_at: int, cumulative: int) -> int:
    """The end (unix seconds) of the last whole unit that ``cumulative`` cents pay for."""
    return starts_at + (cumulative // rate_per_unit) * unit_seconds


def voucher_digest(domain: Domain, channel_id: bytes, cumulative_amount: int) -> bytes:
    """The EIP-712 digest the payer signs for a voucher (the hot path: two keccak calls on
    precomputed prefixes instead of the generic struct encoding; the same bytes)."""
    if len(channel_id) != 32:
        raise ValueError(f"a channel id has 32 bytes, not {len(channel_id)}")
    struct_hash = keccak256(_VOUCHER_TYPEHASH + channel_id + cumulative_amount.to_bytes(32, "big"))
    return keccak256(b"\x19\x01" + domain.separator + struct_hash)


@dataclass(frozen=True)
class ChannelTerms:
    """What a payer signs to open a channel (the ``OpenChannel`` EIP-712 message)."""

    payer: str
    department: bytes
    tariff_id: bytes
    tariff_version: int
    zone: bytes
    rate_per_unit: int
    unit_seconds: int
    deposit: int
    starts_at: int
    expires_at: int
    nonce: bytes
    deadline: int

    def message(self) -> dict[str, Any]:
        return {
            "payer": self.payer,
            "department": self.department,
            "tariffId": self.tariff_id,
            "tariffVersion": self.tariff_version,
            "zone": self.zone,
            "ratePerUnit": self.rate_per_unit,
            "unitSeconds": self.unit_seconds,
            "deposit": self.deposit,
            "startsAt": self.starts_at,
            "expiresAt": self.expires_at,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }

    def as_tuple(self) -> tuple[Any, ...]:
        """The ``OpenChannel`` struct as a contract call argument, in field order."""
        return tuple(self.message().values())

    def channel_id(self, domain: Domain) -> bytes:
        """The channel's id: the EIP-712 digest of these terms in the channels' domain."""
        return domain.digest_of(OPEN_CHANNEL, self.message())

    def tariff_cap(self, at: int) -> int:
        return tariff_cap(
            rate_per_unit=self.rate_per_unit,
            unit_seconds=self.unit_seconds,
            starts_at=self.starts_at,
            at=at,
        )

    def paid_until(self, cumulative: int) -> int:
        return paid_until(
            rate_per_unit=self.rate_per_unit,
            unit_seconds=self.unit_seconds,
            starts_at=self.starts_at,
            cumulative=cumulative,
        )
