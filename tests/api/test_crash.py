"""Crash test: SIGKILL the API (a uvicorn process) in the middle of a bulk load, restart it.

Every record the API acknowledged ends up on chain exactly once: the sum of the leaf counts of the
register's anchored batches equals the number of acknowledged records, and each acknowledged
record's leaf is proven in one of those batches. Requests whose answer the kill swallowed are sent
again with the same Idempotency-Key, as a client would.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, create_engine, select

from registry_api.chain import hub
from registry_api.core.db import session_scope
from registry_api.core.security import create_api_key
from registry_api.models.tables import Write
from registry_core.manifest import DeploymentManifest
from registry_core.merkle import verify
from registry_core.rpc import RpcClient
from tests.api.conftest import PASSPHRASE, Departments
from tests.api_process import ApiProcess, poll, running

N_RECORDS = 2400
CHUNK = 200
SCHEMA = {
    "type": "object",
    "required": ["parcel", "use"],
    "properties": {"parcel": {"type": "string"}, "use": {"type": "string"}},
}


@pytest.fixture
def api_env(
    database_url: str,
    gateway_url: str,
    deployments_dir: Path,
    departments: Departments,
    tmp_path: Path,
) -> Iterator[tuple[dict[str, str], str]]:
    from registry_api.core.db import make_engine, upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        _, token = create_api_key(
            session=session, department="FB33", registers=["*"], credential_types=[]
        )
    engine.dispose()
    env = {
        "CITY_API_RPC_URL": gateway_url,
        "CITY_API_DEPLOYMENTS_DIR": str(deployments_dir),
        "CITY_API_DATA_DIR": str(tmp_path),
        "CITY_API_DATABASE_URL": database_url,
        "CITY_API_KEYS_DIR": str(departments.keys_dir),
        "CITY_API_KEYSTORE_PASSPHRASE": PASSPHRASE,
        "CITY_API_SIGNERS": json.dumps({"FB33": "dept-fb33"}),
        "CITY_API_BULK_MAX_RECORDS": str(CHUNK),
    }
    yield env, token


def test_sigkill_mid_bulk_load_anchors_every_acknowledged_record_exactly_once(
    api_env: tuple[dict[str, str], str],
    database_url: str,
    gateway_url: str,
    city: DeploymentManifest,
    tmp_path: Path,
) -> None:
    env, token = api_env
    headers = {"X-API-Key": token}
    api = ApiProcess(env=env, log_path=tmp_path / "api.log")
    api.start()
    register_id = "PROP" + secrets.token_hex(3).upper()
    try:
        with httpx.Client(base_url=api.url, headers=headers, timeout=30) as client:
            created = client.post(
                "/registers", json={"id": register_id, "name": "Gewerbeflächen", "schema": SCHEMA}
            )
            assert created.status_code == 202, created.text
            write_id = created.json()["write_id"]
            poll(
                lambda: client.get(f"/writes/{write_id}").json()["status"] == "anchored",
                what="the register to be anchored",
            )

        requests = [
            (
                f"load-{register_id}-{i}",
                [{"parcel": f"{register_id}-{i}-{j}", "use": "Büro"} for j in range(CHUNK)],
            )
            for i in range(N_RECORDS // CHUNK)
        ]
        answers: dict[str, list[str]] = {}
        half = threading.Event()

        def load(base_url: str, todo: list[tuple[str, list[dict[str, Any]]]]) -> None:
            with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
                for key, records in todo:
                    try:
                        response = client.post(
                            f"/registers/{register_id}/records/bulk",
                            json={"records": records},
                            headers={"Idempotency-Key": key},
                        )
                    except httpx.HTTPError:
                        return  # the API died: this answer is lost
                    assert response.status_code == 202, response.text
                    answers[key] = [w["record_id"] for w in response.json()["writes"]]
                    if len(answers) * CHUNK >= N_RECORDS // 2:
                        half.set()

        loader = threading.Thread(target=load, args=(api.url, requests))
        loader.start()
        assert half.wait(120), "the first half of the load was not acknowledged"
        api.kill()
        loader.join(60)
        acknowledged_before_kill = len(answers)
        assert 0 < acknowledged_before_kill < len(requests)

        api.start()  # same database, same key: resumes from the outbox
        load(api.url, [(key, records) for key, records in requests if key not in answers])
        assert len(answers) == len(requests)
        acknowledged = [record for ids in answers.values() for record in ids]
        assert len(set(acknowledged)) == N_RECORDS

        hub_contract = city.contract(hub.HUB)
        with RpcClient(gateway_url) as rpc:

            def batches() -> dict[str, int] | None:
                found: dict[str, int] = {}
                for entry in rpc.get_logs(address=hub_contract.address, from_block=0):
                    event = hub_contract.interface.decode_log(entry)
                    if (
                        event
                        and event.name == "BatchAnchored"
                        and event.args["registerId"] == hub.id32(register_id)
                    ):
                        root = hub.hx(event.args["merkleRoot"])
                        assert root not in found, f"batch {root} anchored twice"
                        found[root] = int(event.args["leafCount"])
                return found if sum(found.values()) >= N_RECORDS else None

            roots = poll(batches, timeout=180, what=f"{N_RECORDS} anchored leaves")
        assert sum(roots.values()) == N_RECORDS, (
            f"{sum(roots.values())} leaves on chain, {N_RECORDS} acknowledged"
        )

        engine = create_engine(database_url)

        def recorded() -> list[Write] | None:
            # The sender marks writes anchored when it next polls receipts, which may come a
            # moment after the logs above are visible on chain.
            with Session(engine) as session:
                rows = session.exec(
                    select(Write)
                    .where(Write.register_id == register_id)
                    .where(Write.kind == "create")
                ).all()
            return list(rows) if all(w.status == "anchored" for w in rows) else None

        writes = poll(recorded, timeout=60, what="the API to record every write as anchored")
        engine.dispose()
        by_record = {w.record_id: w for w in writes}
        assert len(writes) == N_RECORDS and set(by_record) == set(acknowledged)
        for write in writes:
            assert write.status == "anchored" and write.merkle_root in roots, write
            assert write.leaf and write.proof is not None
            assert verify(
                hub.b32(write.merkle_root), hub.b32(write.leaf), [hub.b32(p) for p in write.proof]
            )
    finally:
        api.stop()


def test_a_dead_worker_process_is_replaced_and_the_outbox_resumes(
    api_env: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, token = api_env
    api = ApiProcess(env=env, log_path=tmp_path / "api.log")
    api.start()
    register_id = "WRK" + secrets.token_hex(3).upper()
    try:
        (worker,) = api.children()
        os.kill(worker, signal.SIGKILL)
        with httpx.Client(base_url=api.url, headers={"X-API-Key": token}, timeout=30) as client:
            # Accepted while no worker runs: the outbox keeps it until the new worker sends it.
            created = client.post(
                "/registers", json={"id": register_id, "name": "Neustart", "schema": SCHEMA}
            )
            assert created.status_code == 202, created.text
            replacement = poll(
                lambda: [pid for pid in api.children() if pid != worker and running(pid)],
                timeout=20,
                what="the API to start a new worker process",
            )
            write_id = created.json()["write_id"]
            poll(
                lambda: client.get(f"/writes/{write_id}").json()["status"] == "anchored",
                timeout=60,
                what="the new worker to anchor the write accepted meanwhile",
            )
        assert len(replacement) == 1
        assert "exited with -9; starting a new one" in (tmp_path / "api.log").read_text()
    finally:
        api.stop()
    # SIGTERM to the API stops its worker cleanly too (its pipe reader once made exit fatal).
    assert not running(replacement[0])
    log = (tmp_path / "api.log").read_text()
    assert "Fatal Python error" not in log and "Traceback" not in log, api.log_tail()
