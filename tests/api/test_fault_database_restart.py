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

import httpx
import pytest
from eth_account import Account
from sqlmodel import Session, col, create_engine, func, select

from registry_api.core.db import make_engine, upgrade
from registry_api.models.tables import Write
from registry_core.did import make_did
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from tests.api.conftest import make_key
from tests.api.faults import (
    PERMIT,
    SCHEMA,
    FaultKeys,
    Load,
    PrivatePostgres,
    Request,
    api_env,
    credential_roots,
    fault_keys,
    register_batches,
)
from tests.api_process import ApiProcess, poll
from tests.credential_fixtures import CredentialCity

BULKS, ISSUES = 6, 60
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def keys(
    gateway_rpc: RpcClient,
    credential_city: CredentialCity,
    tmp_path_factory: pytest.TempPathFactory,
) -> FaultKeys:
    return fault_keys(
        rpc=gateway_rpc,
        manifest=credential_city.manifest,
        council=credential_city.council,
        keys_dir=tmp_path_factory.mktemp("db-restart-keys"),
    )


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
    upgrade(postgres.url)
    engine = make_engine(postgres.url)
    registers_key = make_key(engine, "FB33", ["*"])
    credentials_key = make_key(engine, "FB32", [], ["PARKING_PERMIT"])
    engine.dispose()
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
        with httpx.Client(base_url=api.url, headers={"X-API-Key": registers_key}, timeout=30) as c:
            created = c.post(
                "/registers", json={"id": register_id, "name": "Restart", "schema": SCHEMA}
            )
            poll(
                lambda: (
                    c.get(f"/writes/{created.json()['write_id']}").json()["status"] == "anchored"
                ),
                timeout=120,
                what="the register",
            )
        bulks = [
            Request(
                "POST",
                f"/registers/{register_id}/records/bulk",
                {"records": [{"n": f"{i}-{j}"} for j in range(100)]},
                f"pg-bulk-{i}",
            )
            for i in range(BULKS)
        ]
        issues = [
            Request(
                "POST",
                "/credentials",
                {
                    "type": "PARKING_PERMIT",
                    "holder_did": make_did(Account.create().address, 52062),
                    "claims": PERMIT,
                },
                f"pg-cred-{i}",
            )
            for i in range(ISSUES)
        ]
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

        probe = create_engine(postgres.url)

        def drained() -> bool:
            with Session(probe) as session:
                return not session.exec(
                    select(func.count())
                    .select_from(Write)
                    .where(col(Write.status).in_(("pending", "submitted", "held")))
                ).one()

        poll(drained, timeout=120, what="every accepted write to be settled")
        with Session(probe) as session:
            failed = session.exec(
                select(func.count()).select_from(Write).where(Write.status == "failed")
            ).one()
        probe.dispose()
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
