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
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlmodel import Session, col, create_engine, func, select

from registry_api.core.db import make_engine, upgrade
from registry_api.models.tables import Write
from registry_core.did import make_did
from registry_core.manifest import DeploymentManifest
from registry_core.merkle import leaf_hash, verify
from registry_core.rpc import RpcClient
from registry_core.vc import Envelope
from tests.api.conftest import make_key
from tests.api.faults import (
    PERMIT,
    SCHEMA,
    FaultKeys,
    Load,
    Request,
    api_env,
    credential_roots,
    fault_keys,
    register_batches,
)
from tests.api_process import ApiProcess, poll
from tests.credential_fixtures import CredentialCity

BULKS, BULK_SIZE, CREDENTIALS = 10, 100, 200
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
        keys_dir=tmp_path_factory.mktemp("sigkill-keys"),
    )


def _holder() -> str:
    account: LocalAccount = Account.create()
    return make_did(account.address, 52062)


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
    upgrade(database_url)
    engine = make_engine(database_url)
    registers_key = make_key(engine, "FB33", ["*"])
    credentials_key = make_key(engine, "FB32", [], ["PARKING_PERMIT"])
    engine.dispose()
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
        with httpx.Client(base_url=api.url, headers={"X-API-Key": registers_key}, timeout=30) as c:
            created = c.post(
                "/registers", json={"id": register_id, "name": "Kill", "schema": SCHEMA}
            )
            assert created.status_code == 202, created.text
            poll(
                lambda: (
                    c.get(f"/writes/{created.json()['write_id']}").json()["status"] == "anchored"
                ),
                timeout=120,
                what="the register to be anchored",
            )
        bulks = [
            Request(
                "POST",
                f"/registers/{register_id}/records/bulk",
                {"records": [{"n": f"{i}-{j}"} for j in range(BULK_SIZE)]},
                f"bulk-{register_id}-{i}",
            )
            for i in range(BULKS)
        ]
        issues = [
            Request(
                "POST",
                "/credentials",
                {"type": "PARKING_PERMIT", "holder_did": _holder(), "claims": PERMIT},
                f"cred-{register_id}-{i}",
            )
            for i in range(CREDENTIALS)
        ]
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

        probe = create_engine(database_url)

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
