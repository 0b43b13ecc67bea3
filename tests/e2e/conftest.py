"""The API as uvicorn serves it, for the browser tests of its pages (real HTTP, a real browser)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from registry_api.core.db import make_engine, session_scope, upgrade
from registry_api.core.security import create_api_key
from tests.api_process import ApiProcess
from tests.credential_fixtures import CredentialCity

ISSUER = "FB32"  # issues residents' parking permits


@dataclass(frozen=True)
class PagesApi:
    """The running API, with an HTTP client that holds the issuing department's key."""

    process: ApiProcess
    client: httpx.Client

    @property
    def url(self) -> str:
        return self.process.url


@pytest.fixture(scope="package")
def pages_api(
    credential_city: CredentialCity,
    gateway_url: str,
    deployments_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[PagesApi]:
    """``uvicorn registry_api.main:app`` with the credential city's keys and its own database."""
    data_dir = tmp_path_factory.mktemp("pages-api")
    database_url = f"sqlite:///{data_dir / 'registry.db'}"
    upgrade(database_url)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        _, token = create_api_key(
            session=session, department=ISSUER, registers=[], credential_types=["PARKING_PERMIT"]
        )
    engine.dispose()
    env = {
        "CITY_API_RPC_URL": gateway_url,
        "CITY_API_DEPLOYMENTS_DIR": str(deployments_dir),
        "CITY_API_DATA_DIR": str(data_dir),
        "CITY_API_DATABASE_URL": database_url,
        "CITY_API_KEYS_DIR": str(credential_city.keys_dir),
        "CITY_API_KEYSTORE_PASSPHRASE": credential_city.passphrase,
        # Credentials only: no register signers; its worker process anchors the credentials.
        "CITY_API_SIGNERS": "{}",
    }
    process = ApiProcess(env=env, log_path=data_dir / "api.log")
    process.start()
    try:
        with httpx.Client(
            base_url=process.url, headers={"X-API-Key": token}, timeout=30, trust_env=False
        ) as client:
            yield PagesApi(process, client)
    finally:
        process.stop()
