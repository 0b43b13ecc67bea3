"""Fixtures of the register API tests: department keys on chain, a database per backend, API keys.

The API's own data (SQLite file, keystores) goes to temporary directories, never to .city-data.
Every database-backed fixture runs once on SQLite and once on a real PostgreSQL
(``DATABASE_URL_POSTGRES``, default the CI server at 127.0.0.1:5432, database ``test``).
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from registry_api.core.db import session_scope
from registry_api.core.security import create_api_key
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.demo_city import seed_demo_city
from scripts.demo_registers import allow_register_creators
from tests.fixture_keys import TEST_SCRYPT_N

# Keep the API's default data directory out of the project for every test in this folder.
if "CITY_API_DATA_DIR" not in os.environ:
    os.environ["CITY_API_DATA_DIR"] = tempfile.mkdtemp(prefix="city-api-")
    atexit.register(shutil.rmtree, os.environ["CITY_API_DATA_DIR"], ignore_errors=True)

PASSPHRASE = "test-only-passphrase"
POSTGRES_URL = os.environ.get(
    "DATABASE_URL_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass(frozen=True)
class Departments:
    keys_dir: Path
    accounts: dict[str, LocalAccount]


@pytest.fixture(scope="session")
def departments(
    gateway_url: str,
    city: DeploymentManifest,
    council_keys: list[LocalAccount],
    tmp_path_factory: pytest.TempPathFactory,
) -> Departments:
    """FB02, FB33 and FB32 with keystore keys and accounts; FB02 and FB33 may create registers."""
    keys_dir = tmp_path_factory.mktemp("keys")
    keystore = Keystore(keys_dir)
    accounts = {
        code: keystore.create(f"dept-{code.lower()}", PASSPHRASE, scrypt_n=TEST_SCRYPT_N)
        for code in ("FB02", "FB33", "FB32")
    }
    with RpcClient(gateway_url) as rpc:
        seed_demo_city(rpc=rpc, manifest=city, council=council_keys, accounts=accounts)
        allow_register_creators(
            rpc=rpc, manifest=city, council=council_keys, codes=["FB02", "FB33"]
        )
    return Departments(keys_dir=keys_dir, accounts=accounts)


def _postgres_database() -> Iterator[str]:
    url = make_url(POSTGRES_URL)
    name = f"registers_{secrets.token_hex(4)}"
    conninfo = f"host={url.host} port={url.port or 5432} user={url.username} dbname={url.database}"
    try:
        admin = psycopg.connect(conninfo, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {url.host}:{url.port}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield str(url.set(database=name).render_as_string(hide_password=False))
    finally:
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'registry.db'}"
    else:
        yield from _postgres_database()


def make_key(
    engine: Engine,
    department: str,
    registers: list[str],
    credential_types: Sequence[str] = (),
) -> str:
    """A new API key's token (register scope; credential types: none unless given)."""
    with session_scope(engine) as session:
        _, token = create_api_key(
            session=session,
            department=department,
            registers=registers,
            credential_types=list(credential_types),
        )
    return token


def problem_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.text}"
    )
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"], body
    return body
