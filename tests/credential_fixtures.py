"""Session fixtures of the credential tests: departments with credential keys, types, accreditations.

Imported by tests/conftest.py, so tests/core, tests/wallet, tests/api and tests/e2e share one
seeded city. Keys are throw-away keys of the local test chain.
"""

from __future__ import annotations

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
from registry_core.issuance import Issuer
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.verification import ChainSource
from scripts.credentials_seed import seed_credential_types
from scripts.demo_city import seed_demo_city
from tests.fixture_keys import TEST_SCRYPT_N

CREDENTIAL_PASSPHRASE = "test-only-credential-passphrase"


@dataclass(frozen=True)
class CredentialCity:
    manifest: DeploymentManifest
    council: list[LocalAccount]
    keys_dir: Path
    passphrase: str
    keys: dict[str, LocalAccount]  # department code -> credential key ("vc-<code>")
    rpc_url: str

    def issuer(self, rpc: RpcClient, code: str, *, identity: str | None = None) -> Issuer:
        return Issuer(
            rpc=rpc, manifest=self.manifest, signing_key=self.keys[code], identity=identity
        )


@pytest.fixture(scope="session")
def credential_city(
    gateway_url: str,
    city: DeploymentManifest,
    council_keys: list[LocalAccount],
    tmp_path_factory: pytest.TempPathFactory,
) -> CredentialCity:
    keys_dir = tmp_path_factory.mktemp("credential-keys")
    keystore = Keystore(keys_dir)
    keys = {
        code: keystore.create(f"vc-{code.lower()}", CREDENTIAL_PASSPHRASE, scrypt_n=TEST_SCRYPT_N)
        for code in ("FB02", "FB33", "FB32")
    }
    with RpcClient(gateway_url) as rpc:
        seed_demo_city(rpc=rpc, manifest=city, council=council_keys, accounts=keys)
        seed_credential_types(rpc=rpc, manifest=city, council=council_keys)
    return CredentialCity(city, council_keys, keys_dir, CREDENTIAL_PASSPHRASE, keys, gateway_url)


@pytest.fixture(scope="module")
def gateway_rpc(gateway_url: str) -> Iterator[RpcClient]:
    with RpcClient(gateway_url) as rpc:
        yield rpc


@pytest.fixture
def chain_source(gateway_rpc: RpcClient, credential_city: CredentialCity) -> ChainSource:
    """A fresh online source per test (status cache off, so status changes show at once)."""
    return ChainSource(rpc=gateway_rpc, manifest=credential_city.manifest, status_ttl=0)


@pytest.fixture
def holder() -> LocalAccount:
    account: LocalAccount = Account.create()
    return account


@dataclass(frozen=True)
class CredentialApi:
    client: TestClient
    tokens: dict[str, str]  # department code -> API key
    # department code -> the API's credential key: its own accounts of the departments, not
    # credential_city's (one key, one nonce stream, owned by the API's sender alone)
    keys: dict[str, LocalAccount]

    def headers(self, department: str) -> dict[str, str]:
        return {"X-API-Key": self.tokens[department]}


@pytest.fixture(scope="session")
def credential_api(
    credential_city: CredentialCity,
    gateway_url: str,
    deployments_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CredentialApi]:
    """The API with its senders as threads and credential keys of its own (test-only keys)."""
    data_dir = tmp_path_factory.mktemp("credential-api")
    keys_dir = tmp_path_factory.mktemp("credential-api-keys")
    keystore = Keystore(keys_dir)
    keys = {
        code: keystore.create(
            f"vc-{code.lower()}", credential_city.passphrase, scrypt_n=TEST_SCRYPT_N
        )
        for code in ("FB02", "FB33", "FB32")
    }
    with RpcClient(gateway_url) as rpc:
        seed_demo_city(
            rpc=rpc,
            manifest=credential_city.manifest,
            council=credential_city.council,
            accounts=keys,
        )
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'registry.db'}",
        keys_dir=keys_dir,
        keystore_passphrase=SecretStr(credential_city.passphrase),
        signers={},
        workers="thread",
        # A revocation shows within the status cache time; keep it short in tests.
        status_cache_seconds=0.2,
        indexer_poll_seconds=5.0,
        # Issuance here never waits for a fee (the payment tests seed fees on the same chain).
        fee_types=[],
    )
    app = create_app(settings)
    with TestClient(app) as client:
        tokens = {}
        for code in ("FB02", "FB33", "FB32"):
            with session_scope(app.state.engine) as session:
                # Every type: the chain's accreditations decide (some tests expect its refusal).
                _, tokens[code] = create_api_key(
                    session=session, department=code, registers=[], credential_types=["*"]
                )
        yield CredentialApi(client, tokens, keys)
