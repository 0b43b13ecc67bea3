"""Fault: the chain stops during a load, then comes back (on its own anvil: the other modules'
chain is never stopped).

Counts asserted: writes accepted while the chain is away queue (register writes answer 202 at
once, credential issuances 202 after their wait), ``/ready`` says why it is not ready (the
chain; then the writes' lag), everything drains once the chain is back (the drain time is
printed), every accepted write is anchored once, and the API's log has no traceback.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.chain import EmbeddedChain
from scripts.credentials_seed import seed_credential_types
from scripts.deploy import deploy_city
from tests.api.faults import (
    FaultKeys,
    Load,
    Request,
    api_env,
    bulk_requests,
    create_register,
    credential_roots,
    drain,
    fault_keys,
    issuance_requests,
    prepare_store,
    register_batches,
    register_singles,
)
from tests.api_process import ApiProcess, poll
from tests.conftest import free_port
from tests.gateway.conftest import start_gateway

pytestmark = pytest.mark.timeout(300)


@dataclass(frozen=True)
class OwnCity:
    chain: EmbeddedChain
    gateway_url: str
    deployments_dir: Path
    manifest: DeploymentManifest
    keys: FaultKeys


@pytest.fixture(scope="module")
def own_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnCity]:
    """A chain, deployment, gateway and seeded departments of this module alone."""
    folder = tmp_path_factory.mktemp("own-city")
    chain = EmbeddedChain(data_dir=folder / "chain", port=free_port())
    chain.start()
    council: list[LocalAccount] = [Account.create() for _ in range(3)]
    deployments = folder / "deployments"
    with RpcClient(chain.url) as node:
        manifest = deploy_city(
            rpc=node,
            council_members=[m.address for m in council],
            threshold=2,
            deployments_dir=deployments,
        ).manifest
    gateway = start_gateway(
        log_path=folder / "gateway.log",
        settings={"upstream_url": chain.url, "deployments_dir": str(deployments)},
    )
    try:
        with RpcClient(gateway.url) as rpc:
            keys = fault_keys(rpc=rpc, manifest=manifest, council=council, keys_dir=folder / "keys")
            seed_credential_types(rpc=rpc, manifest=manifest, council=council)
        yield OwnCity(chain, gateway.url, deployments, manifest, keys)
    finally:
        gateway.stop()
        chain.stop()


def _requests(
    register_id: str, phase: str, singles: int, issues: int
) -> tuple[list[Request], list[Request]]:
    records = [
        Request(
            "POST",
            f"/registers/{register_id}/records",
            {"content": {"n": f"{phase}{i}"}},
            f"{phase}-r{i}",
        )
        for i in range(singles)
    ]
    return records + bulk_requests(register_id, 1, 100, phase), issuance_requests(issues, phase)


def test_writes_queue_while_the_chain_is_away_and_drain_when_it_is_back(
    own_city: OwnCity, tmp_path: Path
) -> None:
    started = time.monotonic()
    database_url = f"sqlite:///{tmp_path / 'registry.db'}"
    registers_key, credentials_key = prepare_store(database_url)
    env = api_env(
        gateway_url=own_city.gateway_url,
        deployments_dir=own_city.deployments_dir,
        data_dir=tmp_path,
        database_url=database_url,
        keys=own_city.keys,
    )
    env.update(
        {"CITY_API_CREDENTIAL_WAIT_SECONDS": "2", "CITY_API_READY_MAX_WRITE_LAG_SECONDS": "5"}
    )
    api = ApiProcess(env=env, log_path=tmp_path / "api.log")
    api.start()
    register_id = "AWAY" + secrets.token_hex(3).upper()
    try:
        client = httpx.Client(base_url=api.url, timeout=30)
        registers = Load(api.url, {"X-API-Key": registers_key}, threads=4)
        credentials = Load(api.url, {"X-API-Key": credentials_key}, threads=10)
        create_register(api.url, registers_key, register_id)
        before = _requests(register_id, "a", 20, 10)
        registers.run(before[0])
        credentials.run(before[1])

        own_city.chain.stop()
        stopped_at = time.monotonic()
        away = _requests(register_id, "b", 20, 20)
        registers.run(away[0])
        credentials.run(away[1])
        accepted_away = [registers.answers[r.key][0] for r in away[0]]
        accepted_away += [credentials.answers[r.key][0] for r in away[1]]
        assert set(accepted_away) == {202}, accepted_away
        not_ready = client.get("/ready")
        assert not_ready.status_code == 503 and "chain" in not_ready.json()["failing"], (
            not_ready.text
        )
        lagging = poll(
            lambda: "writes" in (r := client.get("/ready").json()).get("failing", []) and r,
            timeout=30,
            what="/ready to name the writes' lag",
        )
        assert "pending write(s)" in lagging["detail"] or "submitted write(s)" in lagging["detail"]

        own_city.chain.start()
        back_at = time.monotonic()
        failed = drain(database_url).get("failed", 0)
        drain_seconds = time.monotonic() - back_at
        poll(lambda: client.get("/ready").status_code == 200, timeout=30, what="/ready again")
        with RpcClient(own_city.gateway_url) as rpc:
            batches = register_batches(rpc, own_city.manifest, register_id)
            singles = register_singles(rpc, own_city.manifest, register_id)
            roots = credential_roots(
                rpc, own_city.manifest, own_city.keys.credentials["FB32"].address
            )
        issued = len(credentials.answers)
        counts: dict[str, Any] = {
            "accepted while the chain was away": len(accepted_away),
            "chain away (s)": round(back_at - stopped_at, 1),
            "drain after the chain was back (s)": round(drain_seconds, 1),
            "batch leaves on chain": sum(batches.values()),
            "single records on chain": len(singles),
            "credentials": issued,
            "credential leaves on chain": sum(roots.values()),
            "failed": failed,
            "seconds": round(time.monotonic() - started, 1),
        }
        print(f"\nchain stopped during a load: {counts}")
        assert sum(batches.values()) == 200 and len(singles) == len(set(singles)) == 40, counts
        assert issued == 30 and sum(roots.values()) == 30 and failed == 0, counts
        client.close()
    finally:
        api.stop()
    log = (tmp_path / "api.log").read_text()
    assert "Traceback" not in log, api.log_tail()
