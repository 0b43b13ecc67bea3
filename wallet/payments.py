"""Paying the city from the wallet: fees for credential requests and pay-per-minute parking.

The wallet signs, the city relays (the citizen holds no gas): a fee is an EIP-2612 permit plus a
signed ``FeePayment`` order; parking opens a tariff-bound channel (permit for the deposit plus the
signed ``OpenChannel`` terms) and then hands over one cumulative ``Voucher`` per started unit of
the tariff (per minute), each with its EIP-712 typed data for anyone to check; closing is a signed
``CloseChannel`` request. Time comes from a :class:`Clock`, so tests run an hour of parking in
seconds. Sessions are kept in ``<home>/parking/<channel id>.json`` (terms and latest voucher).

Paths of the API's payments domain::

    GET  /payments/accounts/{address}         balance, permit nonce, contracts, settle margin
    GET  /payments/fees/{service}             a fee's amount and department
    GET  /payments/tariffs/{zone or tariff}   a parking tariff
    POST /payments/fees                       relay a fee payment (Idempotency-Key)
    POST /payments/channels                   relay a channel opening (Idempotency-Key)
    POST /payments/channels/{id}/vouchers     a voucher, answered once it is stored
    POST /payments/channels/{id}/close        settle with the highest voucher and close
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount

from registry_core.codes import code_to_bytes32
from registry_core.eip712 import sign_digest
from registry_core.payments.channels import ChannelTerms
from registry_core.payments.signing import (
    FeePaymentOrder,
    Signed,
    sign_channel_terms,
    sign_fee_payment,
    sign_permit,
    sign_voucher,
)
from registry_core.payments.types import (
    CLOSE_CHANNEL,
    channels_domain,
    fee_schedule_domain,
    token_domain,
)
from registry_core.payments.voucher_qr import ParkingVoucher, encode_voucher_payload
from registry_core.payments.vouchers import Voucher
from registry_core.payments.wire import (
    hex0x,
    permit_to_json,
    request_ref,
    terms_from_json,
    terms_to_json,
)
from wallet.city import CityClient
from wallet.errors import UnknownItemError, WalletError

AUTHORIZATION_SECONDS = 3600  # how long a signed permit/order stays valid
EXPIRY_SLACK_SECONDS = 120  # a channel outlives the paid time by the settle margin and this


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


def _key(account: LocalAccount) -> bytes:
    return bytes(account.key)


def _post(
    city: CityClient, path: str, body: dict[str, Any], key: str | None = None
) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    return city.answer(city.request("POST", city.api_url + path, json=body, headers=headers))


def account_info(city: CityClient, address: str) -> dict[str, Any]:
    return city.get(f"/payments/accounts/{address}")


def pay_fee(
    city: CityClient, *, account: LocalAccount, request_id: str, service: str, now: float
) -> dict[str, Any]:
    """Pay the fee of credential request ``request_id`` (of type ``service``)."""
    info = account_info(city, account.address)
    fee = city.get(f"/payments/fees/{service}")
    deadline = int(now) + AUTHORIZATION_SECONDS
    permit = sign_permit(
        key=_key(account), token_domain=token_domain(info["chain_id"], info["token"]),
        owner=account.address, spender=info["fee_schedule"], value=int(fee["amount"]),
        nonce=int(info["permit_nonce"]), deadline=deadline,
    )  # fmt: skip
    order = FeePaymentOrder(
        account.address, code_to_bytes32(service), int(fee["amount"]), request_ref(request_id),
        os.urandom(32), deadline,
    )  # fmt: skip
    signed = sign_fee_payment(
        key=_key(account), fee_domain=fee_schedule_domain(info["chain_id"], info["fee_schedule"]),
        order=order,
    )  # fmt: skip
    body = {
        "order": {
            "payer": account.address, "service": service, "amount": order.amount,
            "request_ref": hex0x(order.request_ref), "nonce": hex0x(order.nonce),
            "deadline": deadline,
        },
        "signature": hex0x(signed.signature),
        "permit": permit_to_json(permit),
        "request_id": request_id,
    }  # fmt: skip
    answer = _post(city, "/payments/fees", body, key=uuid.uuid4().hex)
    return {"payment": answer, "order": signed.to_json(), "permit": permit.to_json()}


@dataclass
class ParkingSession:
    """A channel the wallet opened: its terms, where it lives, and the latest voucher."""

    chain_id: int
    channels: str
    terms: ChannelTerms
    latest: Voucher | None = None

    @property
    def domain(self) -> Any:
        return channels_domain(self.chain_id, self.channels)

    @property
    def channel_id(self) -> str:
        return hex0x(self.terms.channel_id(self.domain))

    def qr_payload(self) -> str:
        """The ``CPV1:`` payload an officer checks (``city-wallet check-parking``)."""
        if self.latest is None:
            raise WalletError("no voucher yet", de="noch kein Parkschein")
        return encode_voucher_payload(
            ParkingVoucher(self.chain_id, self.channels.lower(), self.terms, self.latest)
        )

    def to_json(self) -> dict[str, Any]:
        latest = self.latest
        return {
            "chain_id": self.chain_id,
            "channels": self.channels,
            "terms": terms_to_json(self.terms),
            "latest": None
            if latest is None
            else {"amount": latest.cumulative_amount, "signature": hex0x(latest.signature)},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ParkingSession:
        terms = terms_from_json(data["terms"])
        found = cls(int(data["chain_id"]), str(data["channels"]), terms)
        if data.get("latest"):
            found.latest = Voucher(
                terms.channel_id(found.domain),
                int(data["latest"]["amount"]),
                bytes.fromhex(str(data["latest"]["signature"])[2:]),
            )
        return found


def _sessions_dir(home: Path) -> Path:
    path = home / "parking"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def save_session(home: Path, parking: ParkingSession) -> None:
    path = _sessions_dir(home) / f"{parking.channel_id}.json"
    path.write_text(json.dumps(parking.to_json(), indent=2))


def load_session(home: Path, channel_id: str | None = None) -> ParkingSession:
    """The session ``channel_id`` (a prefix will do), else the latest one."""
    files = sorted(_sessions_dir(home).glob("0x*.json"), key=lambda p: p.stat().st_mtime)
    if channel_id:
        files = [p for p in files if p.stem.startswith(channel_id.lower())]
    if not files:
        raise UnknownItemError("no such parking session", de="keine solche Parksitzung")
    return ParkingSession.from_json(json.loads(files[-1].read_text()))


def open_parking(
    city: CityClient, *, account: LocalAccount, zone: str, minutes: int, clock: Clock
) -> tuple[ParkingSession, dict[str, Any], Signed]:
    """Open a channel for ``minutes`` of parking in ``zone``; deposit = the whole time's price."""
    info = account_info(city, account.address)
    tariff = city.get(f"/payments/tariffs/{zone}")
    unit, rate = int(tariff["unit_seconds"]), int(tariff["rate_per_unit"])
    units = max(1, math.ceil(minutes * 60 / unit))
    # Not after the chain's latest block: the contract refuses a start in its future.
    start = min(int(clock.now()), int(info["chain_time"]))
    margin = int(info["channel_settle_margin_seconds"])
    terms = ChannelTerms(
        payer=account.address, department=code_to_bytes32(tariff["department"]),
        tariff_id=code_to_bytes32(tariff["service"]), tariff_version=int(tariff["version"]),
        zone=code_to_bytes32(tariff["zone"]), rate_per_unit=rate, unit_seconds=unit,
        deposit=rate * units, starts_at=start,
        expires_at=start + units * unit + margin + EXPIRY_SLACK_SECONDS, nonce=os.urandom(32),
        deadline=start + AUTHORIZATION_SECONDS,
    )  # fmt: skip
    parking = ParkingSession(int(info["chain_id"]), str(info["channels"]), terms)
    signed = sign_channel_terms(key=_key(account), channels_domain=parking.domain, terms=terms)
    permit = sign_permit(
        key=_key(account), token_domain=token_domain(info["chain_id"], info["token"]),
        owner=account.address, spender=info["channels"], value=terms.deposit,
        nonce=int(info["permit_nonce"]), deadline=terms.deadline,
    )  # fmt: skip
    body = {
        "terms": terms_to_json(terms),
        "signature": hex0x(signed.signature),
        "permit": permit_to_json(permit),
    }
    answer = _post(city, "/payments/channels", body, key=uuid.uuid4().hex)
    return parking, answer, signed


def wait_open(city: CityClient, parking: ParkingSession, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        state = city.get(f"/payments/channels/{parking.channel_id}")["state"]
        if state == "open":
            return
        if state != "opening" or time.monotonic() > deadline:
            raise WalletError(
                f"the parking channel is {state}, not open", de=f"der Kanal ist {state}"
            )
        time.sleep(0.2)


def park(
    city: CityClient, *, account: LocalAccount, parking: ParkingSession, units: int, clock: Clock,
    on_voucher: Callable[[int, Voucher, dict[str, Any]], None] = lambda *_: None,
) -> Voucher:  # fmt: skip
    """One voucher per started unit: at ``startsAt + k·unit`` the voucher for ``k + 1`` units."""
    terms = parking.terms
    latest: Voucher | None = None
    for k in range(units):
        clock.sleep(terms.starts_at + k * terms.unit_seconds - clock.now())
        latest = sign_voucher(
            key=_key(account), channels_domain=parking.domain,
            channel_id=terms.channel_id(parking.domain), amount=terms.rate_per_unit * (k + 1),
        )  # fmt: skip
        answer = _post(
            city,
            f"/payments/channels/{parking.channel_id}/vouchers",
            {
                "channel_id": hex0x(latest.channel_id),
                "cumulative_amount": latest.cumulative_amount,
                "signature": hex0x(latest.signature),
                "chain_id": parking.chain_id,
                "verifying_contract": parking.channels,
            },
        )
        parking.latest = latest
        on_voucher(k, latest, answer)
    if latest is None:
        raise WalletError("nothing to pay", de="nichts zu zahlen")
    return latest


def close_parking(
    city: CityClient, *, account: LocalAccount, parking: ParkingSession
) -> dict[str, Any]:
    """Ask the city to settle with the highest voucher and close (the rest comes back)."""
    amount = parking.latest.cumulative_amount if parking.latest else 0
    message = {"channelId": parking.terms.channel_id(parking.domain), "cumulativeAmount": amount}
    signature = sign_digest(_key(account), parking.domain.digest_of(CLOSE_CHANNEL, message))
    return _post(
        city,
        f"/payments/channels/{parking.channel_id}/close",
        {"cumulative_amount": amount, "signature": hex0x(signature)},
    )
