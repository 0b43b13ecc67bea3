"""Fault: the database restarts during a load (a private PostgreSQL cluster in a temporary folder
on a free port, via initdb/pg_ctl: never the shared server).

Counts asserted: the API process is the same before and after (it recovers by itself), requests
that met the restart got a 503 problem (or no answer) and were sent again with their
Idempotency-Key, every answered write is anchored once, and nothing failed.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from tests.api.faults import (
    FaultKeys,
    Load,
    PrivatePostgres,
    api_env,
    bulk_requests,
    create_register,
    credential_roots,
    drain,
    issuance_requests,
    keys_fixture,
    prepare_store,
    register_batches,
)
from tests.api_process import ApiProcess

BULKS, ISSUES = 6, 60
pytestmark = pytest.mark.timeout(300)
keys = keys_fixture()


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    cluster.start()
    yield cluster
    cluster.stop()


def test_the_api_recovers_from_a_database_restart_and_loses_nothing_accepted(
    keys: FaultKeys,
    postgres: PrivatePostgres,
    gateway_url: str,
    gateway_rpc: RpcClient,
    deployments_dir: Path,
    city: DeploymentManifest,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    registers_key, credentials_key = prepare_store(postgres.url)
    env = api_env(
        gateway_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=tmp_path,
        database_url=postgres.url,
        keys=keys,
    )
    api = ApiProcess(env=env, log_path=tmp_path / "api.log")
    api.start()
    register_id = "PGR" + secrets.token_hex(3).upper()
    try:
        assert api.process is not None
        pid = api.process.pid
        create_register(api.url, registers_key, register_id)
        bulks = bulk_requests(register_id, BULKS, 100, "pg")
        issues = issuance_requests(ISSUES, "pg")
        registers = Load(api.url, {"X-API-Key": registers_key}, threads=2)
        credentials = Load(api.url, {"X-API-Key": credentials_key}, threads=8)
        third = threading.Event()
        loaders = [
            threading.Thread(target=registers.run, args=(bulks,)),
            threading.Thread(
                target=credentials.run,
                args=(issues,),
                kwargs={"on_answer": lambda n: n >= ISSUES // 3 and third.set()},
            ),
        ]
        for loader in loaders:
            loader.start()
        assert third.wait(120), "a third of the issuances were not answered"
        restart_at = time.monotonic()
        postgres.restart()
        restart_seconds = time.monotonic() - restart_at
        for loader in loaders:
            loader.join(180)
        met_the_restart = len(registers.lost) + len(credentials.lost)
        registers.retry(bulks)
        credentials.retry(issues)
        assert api.process.poll() is None and api.process.pid == pid, "the API restarted"

        failed = drain(postgres.url).get("failed", 0)
        batches = register_batches(gateway_rpc, city, register_id)
        roots = credential_roots(gateway_rpc, city, keys.credentials["FB32"].address)
        counts = {
            "requests that met the restart": met_the_restart,
            "database restart (s)": round(restart_seconds, 1),
            "register writes accepted": 100 * BULKS,
            "register leaves on chain": sum(batches.values()),
            "credentials accepted": ISSUES,
            "credential leaves on chain": sum(roots.values()),
            "failed": failed,
            "seconds": round(time.monotonic() - started, 1),
        }
        print(f"\ndatabase restarted during a load: {counts}")
        assert sum(batches.values()) == 100 * BULKS, counts
        assert sum(roots.values()) == ISSUES and failed == 0, counts
    finally:
        api.stop()
