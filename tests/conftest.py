"""Shared fixtures: a real anvil, the deployed city contracts and council keys.

The contract tests in tests/contracts run under brownie in their own environment; this file must
stay importable there, so brownie-only tests are skipped from the application's pytest run.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

collect_ignore = [] if importlib.util.find_spec("brownie") else ["contracts"]

# The tests send hundreds of public requests a minute from one address (in process and through the
# uvicorn APIs they start, which inherit this): the per-client rate limits are off unless a test
# sets them (tests/api/test_public_limits.py).
os.environ.setdefault("CITY_API_RATE_LIMIT_PER_MINUTE", "0")
os.environ.setdefault("CITY_API_RATE_LIMIT_IMAGES_PER_MINUTE", "0")

if not importlib.util.find_spec("brownie"):
    from eth_account import Account
    from eth_account.signers.local import LocalAccount

    from registry_core.manifest import DeploymentManifest
    from registry_core.rpc import RpcClient
    from scripts.chain import EmbeddedChain
    from scripts.deploy import deploy_city
    from scripts.services import start_gateway, stop
    from scripts.settings import CitySettings
    from tests.browser import launch
    from tests.credential_fixtures import *  # noqa: F403  (the credential tests' shared fixtures)
    from tests.payment_fixtures import *  # noqa: F403  (the payment tests' shared fixtures)

    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    @pytest.fixture(scope="session")
    def browser() -> Iterator[Browser]:
        """The session's one headless chromium (tests/browser.py), started by the first test
        that needs it and shared by every page test."""
        with launch() as browser:
            yield browser

    @pytest.fixture(scope="session")
    def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedChain]:
        node = EmbeddedChain(data_dir=tmp_path_factory.mktemp("chain"), port=free_port())
        node.start()
        yield node
        node.stop()

    @pytest.fixture(scope="session")
    def node_rpc(chain: EmbeddedChain) -> Iterator[RpcClient]:
        with RpcClient(chain.url) as rpc:
            yield rpc

    @pytest.fixture(scope="session")
    def council_keys() -> list[LocalAccount]:
        """Three council members (threshold 2); throw-away keys for the local test chain."""
        return [Account.create() for _ in range(3)]

    @pytest.fixture(scope="session")
    def deployments_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return tmp_path_factory.mktemp("deployments")

    @pytest.fixture(scope="session")
    def city(
        node_rpc: RpcClient, council_keys: list[LocalAccount], deployments_dir: Path
    ) -> DeploymentManifest:
        return deploy_city(
            rpc=node_rpc,
            council_members=[key.address for key in council_keys],
            threshold=2,
            deployments_dir=deployments_dir,
        ).manifest

    @pytest.fixture(scope="session")
    def gateway_url(
        chain: EmbeddedChain,
        city: DeploymentManifest,
        deployments_dir: Path,
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Iterator[str]:
        """The permissioning gateway in front of the test chain, as its own process (real HTTP)."""
        settings = CitySettings(
            data_dir=tmp_path_factory.mktemp("gateway"),
            deployments_dir=deployments_dir,
            node_port=chain.port,
            gateway_port=free_port(),
        )
        process = start_gateway(settings)
        yield settings.gateway_url
        stop(process)
