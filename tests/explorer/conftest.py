"""The explorer tests' one seeded history (tests/explorer/explorer_seed.py: direct contract calls,
the registry API never runs) and an in-process explorer over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from explorer.app import create_app
from explorer.chain import Explorer
from explorer.config import ExplorerSettings
from registry_core.rpc import RpcClient
from tests.explorer.explorer_seed import Seeded, seed_history
from tests.payment_fixtures import PaymentCity


@pytest.fixture(scope="session")
def explorer_history(gateway_url: str, payment_city: PaymentCity) -> Seeded:
    with RpcClient(gateway_url) as rpc:
        return seed_history(rpc, payment_city)


@pytest.fixture(scope="session")
def explorer_settings(
    gateway_url: str, deployments_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> ExplorerSettings:
    return ExplorerSettings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=tmp_path_factory.mktemp("explorer"),
        poll_seconds=0,
        max_upload_bytes=64_000,
        head_cache_seconds=0,
    )


@pytest.fixture(scope="session")
def explorer_client(
    explorer_settings: ExplorerSettings, explorer_history: Seeded
) -> Iterator[TestClient]:
    app = create_app(explorer_settings, index=False)
    explorer: Explorer = app.state.explorer
    explorer.indexer.run_once()
    with TestClient(app) as client:
        yield client
