"""The API as uvicorn serves it, for the browser tests of its pages (real HTTP, a real browser)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api_process import ApiProcess, credential_api_env, department_key
from tests.credential_fixtures import CredentialCity

ISSUER = "FB32"  # issues residents' parking permits
# Moves the session chain's clock an hour on (anvil's time only goes forward): it runs after the
# package's other modules, which pay and verify on wall-clock time.
CLOCK_MOVER = "test_payment_journey.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    package = [i for i, item in enumerate(items) if item.path.parent == here]
    if not package:
        return
    movers = [items[i] for i in package if items[i].path.name == CLOCK_MOVER]
    others = [items[i] for i in package if items[i].path.name != CLOCK_MOVER]
    first, last = package[0], package[-1]
    items[first : last + 1] = [
        *others,
        *movers,
        *(item for item in items[first : last + 1] if item.path.parent != here),
    ]


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
    token = department_key(data_dir, department=ISSUER, credential_types=["PARKING_PERMIT"])
    env = credential_api_env(
        gateway_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=data_dir,
        keys_dir=credential_city.keys_dir,
        passphrase=credential_city.passphrase,
    )
    # Every trust bundle fresh (no 30 s cache): an offline verifier's update right after an
    # issuance must reach it (tests/e2e/test_offline_verifier.py).
    env["CITY_API_TRUST_BUNDLE_MAX_AGE_SECONDS"] = "0"
    # The session chain's clock may run ahead of the wall clock (the parking test moves it about
    # an hour on), and a credential's iat is wall-clock time: a window wider than that keeps a
    # credential issued after the bundle "newer than the bundle".
    env["CITY_API_TRUST_ANCHOR_WINDOW_SECONDS"] = "10800"
    process = ApiProcess(env=env, log_path=data_dir / "api.log")
    process.start()
    try:
        with httpx.Client(
            base_url=process.url, headers={"X-API-Key": token}, timeout=30, trust_env=False
        ) as client:
            yield PagesApi(process, client)
    finally:
        process.stop()
