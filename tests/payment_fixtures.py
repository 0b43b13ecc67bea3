"""Session fixtures of the payment tests: the demo fee schedule and tariffs, a treasury, citizens
with balances. Imported by tests/conftest.py; keys are throw-away keys of the local test chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.rpc import RpcClient
from scripts.payments_seed import mint_balances, seed_payments
from tests.credential_fixtures import CredentialCity


@dataclass(frozen=True)
class PaymentCity:
    city: CredentialCity
    treasury: LocalAccount
    citizens: list[LocalAccount]  # each holds CITIZEN_BALANCE cents, no ETH, not allow-listed


CITIZEN_BALANCE = 10_000  # 100.00 EUR


@pytest.fixture(scope="session")
def payment_city(credential_city: CredentialCity) -> PaymentCity:
    treasury: LocalAccount = Account.create()
    citizens: list[LocalAccount] = [Account.create() for _ in range(4)]
    payees = {code: key.address for code, key in credential_city.keys.items()}
    with RpcClient(credential_city.rpc_url) as rpc:
        seed_payments(
            rpc=rpc, manifest=credential_city.manifest, council=credential_city.council,
            payees=payees, treasury=treasury.address,
        )  # fmt: skip
        mint_balances(
            rpc=rpc, manifest=credential_city.manifest, treasury=treasury,
            balances={c.address: CITIZEN_BALANCE for c in citizens},
        )  # fmt: skip
    return PaymentCity(credential_city, treasury, citizens)
