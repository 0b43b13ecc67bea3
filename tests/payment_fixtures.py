"""Session fixtures of the payment tests: the demo fee schedule and tariffs, a treasury, citizens
with balances, and the API with a payment relay and a simulated clock (``payment_api``).
Imported by tests/conftest.py; keys are throw-away keys of the local test chain.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pydantic import SecretStr

from registry_api.core.config import Settings
from registry_api.core.db import session_scope
from registry_api.core.security import create_api_key
from registry_api.main import create_app
from registry_core.council import ALLOW_ACCOUNT, decide_missing
from registry_core.keystore import Keystore
from registry_core.rpc import RpcClient
from scripts.demo_city import seed_demo_city
from scripts.payments_seed import mint_balances, seed_payments
from tests.credential_fixtures import CredentialCity
from tests.fixture_keys import TEST_SCRYPT_N


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


class FakeClock:
    """The API's and the wallet's clock in payment tests: ``sleep`` moves time, nothing waits."""

    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:  # app.state.clock
        return self.t

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.t += seconds


@dataclass(frozen=True)
class PaymentApi:
    client: TestClient
    city: PaymentCity
    clock: FakeClock
    relay: LocalAccount
    tokens: dict[str, str]  # department code -> API key (every credential type)
    keys: dict[str, LocalAccount]  # department code -> the API's credential/settlement key

    def headers(self, department: str) -> dict[str, str]:
        return {"X-API-Key": self.tokens[department]}


SETTLE_MARGIN = 60  # seconds before expiry the worker settles a channel


@pytest.fixture(scope="session")
def payment_api(
    payment_city: PaymentCity,
    gateway_url: str,
    deployments_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[PaymentApi]:
    """The API with its workers as threads, a payment relay key allowed by the council, keys of
    its own for FB02/FB33/FB32 (credentials, and FB32's settlements), and a simulated clock."""
    city = payment_city.city
    data_dir = tmp_path_factory.mktemp("payment-api")
    keys_dir = tmp_path_factory.mktemp("payment-api-keys")
    keystore = Keystore(keys_dir)
    keys = {
        code: keystore.create(f"vc-{code.lower()}", city.passphrase, scrypt_n=TEST_SCRYPT_N)
        for code in ("FB02", "FB33", "FB32")
    }
    relay = keystore.create("relay-payments", city.passphrase, scrypt_n=TEST_SCRYPT_N)
    with RpcClient(gateway_url) as rpc:
        seed_demo_city(rpc=rpc, manifest=city.manifest, council=city.council, accounts=keys)
        decide_missing(
            rpc=rpc, manifest=city.manifest, members=city.council,
            decisions=[ALLOW_ACCOUNT.decide(account=relay.address)],
        )  # fmt: skip
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'registry.db'}",
        keys_dir=keys_dir,
        keystore_passphrase=SecretStr(city.passphrase),
        signers={"FB32": "vc-fb32"},  # FB32 settles its parking channels with this key
        workers="thread",
        indexer_poll_seconds=5.0,
        fee_types=None,  # the chain's fee schedule decides which types wait for a fee
        channel_settle_margin_seconds=SETTLE_MARGIN,
        settler_poll_seconds=0.2,
        payment_wait_seconds=30.0,
    )
    clock = FakeClock()
    app = create_app(settings)
    app.state.clock = clock
    with TestClient(app) as client:
        tokens = {}
        for code in ("FB02", "FB33", "FB32"):
            with session_scope(app.state.engine) as session:
                _, tokens[code] = create_api_key(
                    session=session, department=code, registers=[], credential_types=["*"]
                )
        yield PaymentApi(client, payment_city, clock, relay, tokens, keys)
