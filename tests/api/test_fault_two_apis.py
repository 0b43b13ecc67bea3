"""Fault: two API processes on one PostgreSQL issue credentials for the same department at once.

Both run their worker process; the lease gives one sender per signer, the other API's requests
wait on the same outbox. Counts asserted: every issuance answered and anchored, 0 nonce errors
(no transaction of the key replaced, its nonces consecutive, no "used elsewhere" in the logs),
0 duplicates (leaves on chain = credentials issued, no root twice).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, create_engine, select

from registry_api.core.db import make_engine, upgrade
from registry_api.models.tables import ChainTx, Write
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from tests.api.conftest import _postgres_database, make_key
from tests.api.faults import (
    FaultKeys,
    Load,
    api_env,
    credential_roots,
    drain,
    issuance_requests,
    keys_fixture,
)
from tests.api_process import ApiProcess

PER_API = 100
pytestmark = pytest.mark.timeout(300)
keys = keys_fixture()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


def test_two_apis_on_one_postgresql_issue_without_nonce_errors_or_duplicates(
    keys: FaultKeys,
    postgres_url: str,
    gateway_url: str,
    gateway_rpc: RpcClient,
    deployments_dir: Path,
    city: DeploymentManifest,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    token = make_key(engine, "FB32", [], ["PARKING_PERMIT"])
    engine.dispose()
    apis = []
    for name in ("a", "b"):
        env = api_env(
            gateway_url=gateway_url,
            deployments_dir=deployments_dir,
            data_dir=tmp_path / name,
            database_url=postgres_url,
            keys=keys,
        )
        apis.append(ApiProcess(env=env, log_path=tmp_path / f"api-{name}.log"))
    for api in apis:
        api.start()
    try:
        loads = [Load(api.url, {"X-API-Key": token}, threads=8) for api in apis]
        requests = [issuance_requests(PER_API, name) for name in ("a", "b")]
        threads = [
            threading.Thread(target=load.run, args=(todo,))
            for load, todo in zip(loads, requests, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(240)
        for load, todo in zip(loads, requests, strict=True):
            load.retry([r for r in todo if r.key not in load.answers])
        answers = [a for load in loads for a in load.answers.values()]
        assert len(answers) == 2 * PER_API and {s for s, _ in answers} <= {201, 202}

        signer = keys.credentials["FB32"].address
        drain(postgres_url)
        probe = create_engine(postgres_url)
        with Session(probe) as session:
            writes = list(session.exec(select(Write).where(Write.signer == signer)).all())
            txs = list(session.exec(select(ChainTx).where(ChainTx.signer == signer)).all())
        probe.dispose()
        roots = credential_roots(gateway_rpc, city, signer)
        nonces = sorted(t.nonce for t in txs)
        logs = "".join((tmp_path / f"api-{n}.log").read_text() for n in ("a", "b"))
        counts = {
            "issued": len(writes),
            "anchored": sum(1 for w in writes if w.status == "anchored"),
            "roots": len(roots),
            "leaves on chain": sum(roots.values()),
            "replaced transactions": sum(1 for t in txs if t.status == "replaced"),
            "nonce errors logged": logs.count("was used elsewhere") + logs.count("nonce too low"),
            "seconds": round(time.monotonic() - started, 1),
        }
        print(f"\ntwo APIs on one PostgreSQL: {counts}")
        assert counts["anchored"] == 2 * PER_API, counts
        assert counts["leaves on chain"] == 2 * PER_API and counts["roots"] == len(txs), counts
        assert counts["replaced transactions"] == 0 and counts["nonce errors logged"] == 0, counts
        assert nonces == list(range(nonces[0], nonces[0] + len(nonces))), "nonces not consecutive"
        assert gateway_rpc.nonce(signer, "latest") == nonces[-1] + 1
        assert len({w.merkle_root for w in writes}) == len(roots)
        assert all(w.merkle_root for w in writes)
    finally:
        for api in apis:
            api.stop()
