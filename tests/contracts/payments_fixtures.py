"""Shared fixtures and signing helpers for the payment contract tests.

Test modules import what they use (``from payments_fixtures import ...``). The council is a plain
account here (the directory, token and fee schedule take any council address); payers are local
keys that never hold ETH and never send a transaction: a relayer account sends everything they sign,
as the API does. Signatures are made with the shared core's EIP-712 types, so the tests also show
that the Python side and the contracts agree on every type string and domain.

TEST FIXTURES ONLY: the private keys are derived from public strings; never give them value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

import pytest
from brownie import chain
from credential_fixtures import (
    LocalKey,
    b32,
    council,
    isolation,
    local_key,
    stranger,
    typed_error,
)

from registry_core.eip712 import Domain, sign_digest
from registry_core.keccak import keccak256
from registry_core.payments.channels import ChannelTerms, voucher_digest
from registry_core.payments.types import (
    CANCEL_AUTHORIZATION,
    FEE_PAYMENT,
    PERMIT,
    TOP_UP,
    channels_domain,
    fee_schedule_domain,
    token_domain,
)

DEPT_CITIZENS = b32("FB33")  # Bürgeramt: certificates
DEPT_PARKING = b32("FB32")  # Ordnungsamt: parking
RESIDENCE_FEE = b32("RESIDENCE_CERT")
PARK_ZONE5 = b32("PARK_ZONE5")
ZONE5 = b32("ZONE5")
FEE_AMOUNT = 1_200  # 12.00 EUR
RATE = 5  # cents per started minute
MINUTE = 60
NO_PERMIT = (0, 0, 0, "0x" + "00" * 32, "0x" + "00" * 32)
FAKE_NOW = 2_000_000_000  # the channels' test clock
TREASURY_ROLE = "0x" + keccak256(b"TREASURY_ROLE").hex()

err = typed_error


def random32() -> bytes:
    return os.urandom(32)


def service_terms(
    department: str = DEPT_CITIZENS,
    amount: int = FEE_AMOUNT,
    unit_seconds: int = 0,
    zone: str = "0x" + "00" * 32,
    active: bool = True,
    managed: bool = False,
    name_de: str = "Meldebescheinigung",
    name_en: str = "Residence certificate",
) -> tuple[Any, ...]:
    """An ``IFeeSchedule.ServiceTerms`` tuple."""
    return (department, amount, unit_seconds, zone, active, managed, name_de, name_en)


PARKING_TERMS = service_terms(
    DEPT_PARKING, RATE, MINUTE, ZONE5, True, True, "Parken Zone 5", "Parking zone 5"
)


# --------------------------------------------------------------------------------------------------
# Signing


def sign(key: LocalKey, domain: Domain, struct_type: Any, message: dict[str, Any]) -> str:
    return "0x" + sign_digest(key.private_key, domain.digest_of(struct_type, message)).hex()


def permit_for(
    token: Any,
    key: LocalKey,
    spender: Any,
    value: int,
    deadline: int | None = None,
    signer: LocalKey | None = None,
    nonce: int | None = None,
) -> tuple[Any, ...]:
    """An ``IPaymentAuthorizations.Permit`` tuple: ``key``'s EIP-2612 permit (signed by
    ``signer``, default ``key``)."""
    deadline = chain.time() + 3_600 if deadline is None else deadline
    message = {
        "owner": key.address,
        "spender": spender.address,
        "value": value,
        "nonce": token.nonces(key.address) if nonce is None else nonce,
        "deadline": deadline,
    }
    digest = token_domain(chain.id, token.address).digest_of(PERMIT, message)
    signature = sign_digest((signer or key).private_key, digest)
    v, r, s = signature[64], signature[:32], signature[32:64]
    return (value, deadline, v, "0x" + r.hex(), "0x" + s.hex())


def fee_payment(
    key: LocalKey,
    service_id: str = RESIDENCE_FEE,
    amount: int = FEE_AMOUNT,
    request_ref: bytes | None = None,
    deadline: int | None = None,
) -> dict[str, Any]:
    return {
        "payer": key.address,
        "serviceId": bytes.fromhex(service_id[2:]),
        "amount": amount,
        "requestRef": request_ref or random32(),
        "nonce": random32(),
        "deadline": chain.time() + 3_600 if deadline is None else deadline,
    }


def as_fee_tuple(payment: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(payment[name] for name, _ in FEE_PAYMENT.fields)


def sign_fee(fees: Any, key: LocalKey, payment: dict[str, Any]) -> str:
    return sign(key, fee_schedule_domain(chain.id, fees.address), FEE_PAYMENT, payment)


def sign_cancel(contract: Any, domain_fn: Any, key: LocalKey, nonce: bytes) -> str:
    domain = domain_fn(chain.id, contract.address)
    return sign(key, domain, CANCEL_AUTHORIZATION, {"payer": key.address, "nonce": nonce})


def channel_terms(
    key: LocalKey,
    start: int,
    deposit: int = 60 * RATE,
    duration: int = 2 * 3_600,
    version: int = 1,
    rate: int = RATE,
) -> ChannelTerms:
    return ChannelTerms(
        payer=key.address,
        department=bytes.fromhex(DEPT_PARKING[2:]),
        tariff_id=bytes.fromhex(PARK_ZONE5[2:]),
        tariff_version=version,
        zone=bytes.fromhex(ZONE5[2:]),
        rate_per_unit=rate,
        unit_seconds=MINUTE,
        deposit=deposit,
        starts_at=start,
        expires_at=start + duration,
        nonce=random32(),
        deadline=start + 300,
    )


def sign_terms(channels: Any, key: LocalKey, terms: ChannelTerms) -> str:
    digest = terms.channel_id(channels_domain(chain.id, channels.address))
    return "0x" + sign_digest(key.private_key, digest).hex()


def sign_voucher(
    channels: Any, key: LocalKey, channel_id: bytes | str, amount: int, domain: Domain | None = None
) -> str:
    raw_id = bytes.fromhex(channel_id[2:]) if isinstance(channel_id, str) else channel_id
    domain = domain or channels_domain(chain.id, channels.address)
    return "0x" + sign_digest(key.private_key, voucher_digest(domain, raw_id, amount)).hex()


def top_up_message(channel_id: bytes, amount: int, expires_at: int, deadline: int) -> dict:
    return {
        "channelId": channel_id,
        "amount": amount,
        "expiresAt": expires_at,
        "nonce": random32(),
        "deadline": deadline,
    }


def sign_top_up(channels: Any, key: LocalKey, message: dict[str, Any]) -> str:
    return sign(key, channels_domain(chain.id, channels.address), TOP_UP, message)


@dataclass(frozen=True)
class OpenedChannel:
    channel_id: str
    terms: ChannelTerms
    tx: Any


def open_channel(
    channels: Any, token: Any, key: LocalKey, relayer: Any, terms: ChannelTerms
) -> OpenedChannel:
    """Opens ``terms`` with a permit for the deposit, relayed by ``relayer``."""
    tx = channels.open(
        terms.as_tuple(),
        sign_terms(channels, key, terms),
        permit_for(token, key, channels, terms.deposit),
        {"from": relayer},
    )
    return OpenedChannel(
        "0x" + terms.channel_id(channels_domain(chain.id, channels.address)).hex(), terms, tx
    )


def with_nonce(terms: ChannelTerms) -> ChannelTerms:
    return replace(terms, nonce=random32())


# --------------------------------------------------------------------------------------------------
# Accounts and deployments


# ``isolation`` (fn_isolation around every test), ``council`` (an EOA standing in for the council
# contract, accounts[0]) and ``stranger`` (accounts[9]) are the credential tests' fixtures.


@pytest.fixture(scope="module")
def treasury(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def clerk(accounts):
    """An account of the Bürgeramt (FB33)."""
    return accounts[2]


@pytest.fixture(scope="module")
def warden(accounts):
    """An account of the Ordnungsamt (FB32): settles parking channels."""
    return accounts[3]


@pytest.fixture(scope="module")
def relayer(accounts):
    """Sends what payers sign (the API's role); holds no role."""
    return accounts[8]


@pytest.fixture(scope="module")
def payer() -> LocalKey:
    return local_key("payments: citizen")


@pytest.fixture(scope="module")
def other_payer() -> LocalKey:
    return local_key("payments: another citizen")


@pytest.fixture(scope="module")
def cash_citizens(accounts):
    """The Bürgeramt's payee account."""
    return accounts[6]


@pytest.fixture(scope="module")
def cash_parking(accounts):
    """The Ordnungsamt's payee account."""
    return accounts[7]


@pytest.fixture(scope="module")
def directory(DepartmentDirectory, council, clerk, warden):
    d = DepartmentDirectory.deploy(council, {"from": council})
    d.addDepartment(DEPT_CITIZENS, "Buergeramt", {"from": council})
    d.addDepartment(DEPT_PARKING, "Ordnungsamt", {"from": council})
    d.addAccount(DEPT_CITIZENS, clerk, {"from": council})
    d.addAccount(DEPT_PARKING, warden, {"from": council})
    return d


@pytest.fixture(scope="module")
def token(CityToken, council, treasury, payer, other_payer):
    """The token; the council granted the treasury role; both payers hold 100.00 EUR."""
    t = CityToken.deploy(council, {"from": council})
    t.grantRole(TREASURY_ROLE, treasury, {"from": council})
    t.mint(payer.address, 10_000, {"from": treasury})
    t.mint(other_payer.address, 10_000, {"from": treasury})
    return t


@pytest.fixture(scope="module")
def fees(FeeSchedule, directory, token, council, cash_citizens, cash_parking):
    """The schedule with the residence-certificate fee and the zone-5 parking tariff, and payees."""
    f = FeeSchedule.deploy(directory, token, {"from": council})
    f.setService(RESIDENCE_FEE, service_terms(), {"from": council})
    f.setService(PARK_ZONE5, PARKING_TERMS, {"from": council})
    f.setPayee(DEPT_CITIZENS, cash_citizens, {"from": council})
    f.setPayee(DEPT_PARKING, cash_parking, {"from": council})
    return f


@pytest.fixture(scope="module")
def channels(TestPaymentChannels, directory, token, fees, council):
    """Payment channels on a test clock at FAKE_NOW."""
    c = TestPaymentChannels.deploy(directory, token, fees, {"from": council})
    c.setTime(FAKE_NOW, {"from": council})
    return c
