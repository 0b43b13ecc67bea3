"""Fault: SIGKILL of the API (its worker child dies with it) in the middle of a load of 1,000
register writes and 200 credential issuances, then a restart on the same store (SQLite and
PostgreSQL).

Counts asserted: every request is answered in the end (retried with its Idempotency-Key as a
client would), every retry of an answered request gets the first answer, every accepted write
and credential is anchored exactly once (leaves on chain = writes accepted, no root twice, every
credential proves membership of its root), nothing failed.
"""

from __future__ import annotations

import secrets
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, create_engine, select

from registry_api.models.tables import Write
from registry_core.manifest import DeploymentManifest
from registry_core.merkle import leaf_hash, verify
from registry_core.rpc import RpcClient
from registry_core.vc import Envelope
from tests.api.faults import (
    FaultKeys,
    Load,
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

BULKS, BULK_SIZE, CREDENTIALS = 10, 100, 200
pytestmark = pytest.mark.timeout(300)
keys = keys_fixture()


def test_sigkill_mid_load_anchors_every_accepted_write_and_credential_exactly_once(
    keys: FaultKeys,
    database_url: str,
    gateway_url: str,
    gateway_rpc: RpcClient,
    deployments_dir: Path,
    city: DeploymentManifest,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    first_block = gateway_rpc.block_number() + 1  # the head may be the other backend's last root
    registers_key, credentials_key = prepare_store(database_url)
    env = api_env(
        gateway_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=tmp_path,
        database_url=database_url,
        keys=keys,
    )
    env["CITY_API_BULK_MAX_RECORDS"] = str(BULK_SIZE)
    api = ApiProcess(env=env, log_path=tmp_path / "api.log")
    api.start()
    register_id = "KILL" + secrets.token_hex(3).upper()
    try:
        create_register(api.url, registers_key, register_id)
        bulks = bulk_requests(register_id, BULKS, BULK_SIZE, "kill")
        issues = issuance_requests(CREDENTIALS, f"kill-{register_id}")
        register_load = Load(api.url, {"X-API-Key": registers_key}, threads=2)
        credential_load = Load(api.url, {"X-API-Key": credentials_key}, threads=16)
        half = threading.Event()

        def enough(count: int) -> None:
            if count >= CREDENTIALS // 2:
                half.set()

        loaders = [
            threading.Thread(target=register_load.run, args=(bulks,)),
            threading.Thread(
                target=credential_load.run, args=(issues,), kwargs={"on_answer": enough}
            ),
        ]
        for loader in loaders:
            loader.start()
        assert half.wait(120), "half the issuances were not answered"
        api.kill()
        for loader in loaders:
            loader.join(120)
        first = {**register_load.answers, **credential_load.answers}
        answered_before_kill = len(first)
        assert 0 < len(credential_load.answers) < CREDENTIALS, len(credential_load.answers)

        api.start()  # same store: the outbox resumes
        again = {**register_load.retry(bulks), **credential_load.retry(issues)}
        replayed_differently = [k for k in first if again[k] != first[k]]
        assert replayed_differently == [], f"{len(replayed_differently)} retries got another answer"
        statuses = [credential_load.answers[r.key][0] for r in issues]
        assert set(statuses) <= {201, 202}, statuses
        assert {register_load.answers[r.key][0] for r in bulks} == {202}

        failed = drain(database_url).get("failed", 0)
        credentials: list[dict[str, Any]] = []
        with httpx.Client(base_url=api.url, headers={"X-API-Key": credentials_key}) as client:
            for request in issues:
                status, body = credential_load.answers[request.key]
                if status == 202:
                    body = client.get(body["status_url"]).json()["credential"]
                credentials.append(body)

        batches = register_batches(gateway_rpc, city, register_id)
        roots = credential_roots(
            gateway_rpc, city, keys.credentials["FB32"].address, since=first_block
        )
        hashes = {c["credential_hash"] for c in credentials}
        for credential in credentials:
            envelope = Envelope.parse(credential["credential"])
            assert envelope.batch is not None and "0x" + envelope.batch.root.hex() in roots
            leaf = leaf_hash(["bytes32"], [envelope.credential_hash])
            assert verify(envelope.batch.root, leaf, list(envelope.batch.proof))
        counts = {
            "requests answered before the kill": answered_before_kill,
            "register writes accepted": BULKS * BULK_SIZE,
            "register leaves on chain": sum(batches.values()),
            "credentials accepted": len(hashes),
            "credential leaves on chain": sum(roots.values()),
            "credential roots": len(roots),
            "failed": failed,
            "seconds": round(time.monotonic() - started, 1),
        }
        print(f"\nSIGKILL fault test: {counts}")
        # The chain's roots are exactly the store's: each with the credentials it anchored.
        probe = create_engine(database_url)
        with Session(probe) as session:
            stored: dict[str | None, int] = {}
            for write in session.exec(select(Write).where(Write.planner == "credentials")).all():
                stored[write.merkle_root] = stored.get(write.merkle_root, 0) + 1
        probe.dispose()
        mismatched = {r: (n, stored.get(r)) for r, n in roots.items() if stored.get(r) != n}
        assert not mismatched, f"roots whose chain count differs from the store's: {mismatched}"
        assert sum(batches.values()) == BULKS * BULK_SIZE, counts
        assert len(hashes) == CREDENTIALS and sum(roots.values()) == CREDENTIALS, counts
        assert failed == 0, counts
    finally:
        api.stop()
