"""Fault: two API processes on one PostgreSQL issue credentials for the same department at once.

Both run their worker process; the lease gives one sender per signer, the other API's requests
wait on the same outbox. Counts asserted: every issuance answered and anchored, 0 nonce errors
(no transaction of the key replaced, its nonces consecutive, no "used elsewhere" in the logs),
0 duplicates (leaves on chain = credentials issued, no root twice).

Then the replica that holds the signer's lease is SIGKILLed mid-load (its worker child dies with
it): the other takes the lease over, requests lost with the dead replica are sent again to the
survivor with their Idempotency-Keys, and again nothing is lost or doubled. Takeover times are
printed: of this kill (a holder on this host that is gone is taken over at once) and of a holder
on another host that stops renewing (taken over when its lease expires,
``CITY_API_LEASE_SECONDS``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, create_engine, select

from registry_api.core.config import Settings
from registry_api.core.db import make_engine, session_scope, upgrade
from registry_api.models.tables import ChainTx, SenderLease, Write
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
from tests.api_process import ApiProcess, poll

PER_API = 100
KILL_AFTER = 40  # answers of the lease holder before it is killed
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
    token = _token(postgres_url)
    apis = _replicas(keys, postgres_url, gateway_url, deployments_dir, tmp_path)
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


def _token(database_url: str) -> str:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        return make_key(engine, "FB32", [], ["PARKING_PERMIT"])
    finally:
        engine.dispose()


def _replicas(
    keys: FaultKeys, database_url: str, gateway_url: str, deployments_dir: Path, tmp_path: Path
) -> list[ApiProcess]:
    apis = []
    for name in ("a", "b"):
        env = api_env(
            gateway_url=gateway_url,
            deployments_dir=deployments_dir,
            data_dir=tmp_path / name,
            database_url=database_url,
            keys=keys,
        )
        apis.append(ApiProcess(env=env, log_path=tmp_path / f"api-{name}.log"))
    for api in apis:
        api.start()
    return apis


def _owner(engine: Engine, signer: str) -> str | None:
    with Session(engine) as session:
        lease = session.get(SenderLease, signer)
        return None if lease is None else lease.owner


def _pid(owner: str) -> int:
    return int(owner.split(":")[1])


def test_lease_holder_killed_mid_load_is_taken_over_within_seconds(
    keys: FaultKeys,
    postgres_url: str,
    gateway_url: str,
    gateway_rpc: RpcClient,
    deployments_dir: Path,
    city: DeploymentManifest,
    tmp_path: Path,
) -> None:
    token = _token(postgres_url)
    signer = keys.credentials["FB32"].address
    engine = make_engine(postgres_url)
    with Session(engine) as session:
        before = len(session.exec(select(Write.id).where(Write.signer == signer)).all())
    first_block = gateway_rpc.block_number() + 1
    apis = _replicas(keys, postgres_url, gateway_url, deployments_dir, tmp_path)
    try:
        # Both workers run their senders (a child takes seconds to start on a busy machine).
        poll(
            lambda: all("sender(s), the indexer" in api.log_path.read_text() for api in apis),
            timeout=120,
            what="both replicas' workers to run",
        )
        owner = poll(lambda: _owner(engine, signer), timeout=30, what="a lease holder")
        holder = next(api for api in apis if _pid(owner) in api.children())
        survivor = next(api for api in apis if api is not holder)
        loads = {id(api): Load(api.url, {"X-API-Key": token}, threads=8) for api in apis}
        requests = {id(api): issuance_requests(PER_API, f"kill-{n}") for n, api in enumerate(apis)}
        half_way = threading.Event()

        def count(answers: int) -> None:
            if answers >= KILL_AFTER:
                half_way.set()

        threads = [
            threading.Thread(
                target=loads[id(api)].run,
                args=(requests[id(api)],),
                kwargs={"on_answer": count} if api is holder else {},
            )
            for api in apis
        ]
        for thread in threads:
            thread.start()
        assert half_way.wait(120), "the lease holder never answered"
        killed_at = time.monotonic()
        holder.kill()  # SIGKILL; returns once its worker child is gone too
        gone = time.monotonic() - killed_at
        new_owner = poll(
            lambda: (o := _owner(engine, signer)) != owner and o,
            timeout=60,
            what="the survivor to take the lease over",
        )
        takeover = time.monotonic() - killed_at
        assert _pid(new_owner) in survivor.children()
        for thread in threads:
            thread.join(240)
        # What the dead replica never answered goes to the survivor, with the same keys.
        answers = {key: a for load in loads.values() for key, a in load.answers.items()}
        todo = [r for api in apis for r in requests[id(api)] if r.key not in answers]
        resent = len(todo)
        answers.update(loads[id(survivor)].retry(todo))
        assert len(answers) == 2 * PER_API, len(answers)
        assert {status for status, _ in answers.values()} <= {201, 202}

        drain(postgres_url)
        with Session(engine) as session:
            writes = list(session.exec(select(Write).where(Write.signer == signer)).all())
            txs = list(session.exec(select(ChainTx).where(ChainTx.signer == signer)).all())
        new = len(writes) - before
        roots = credential_roots(gateway_rpc, city, signer, since=first_block)
        nonces = sorted(t.nonce for t in txs)
        expiry = _expiry_takeover(engine, signer)
        counts = {
            "accepted": new,
            "resent to the survivor": resent,
            "anchored": sum(1 for w in writes if w.status == "anchored") - before,
            "leaves on chain": sum(roots.values()),
            "replaced transactions": sum(1 for t in txs if t.status == "replaced"),
            "holder and its worker gone after (s)": round(gone, 2),
            "takeover after SIGKILL (s)": round(takeover, 2),
            "takeover of an expired lease (s)": round(expiry, 2),
        }
        print(f"\nlease holder killed mid-load: {counts}")
        assert new == 2 * PER_API and counts["anchored"] == new, counts  # none lost, none doubled
        assert counts["leaves on chain"] == new and counts["replaced transactions"] == 0, counts
        assert nonces == list(range(nonces[0], nonces[0] + len(nonces))), "nonces not consecutive"
        assert takeover < 5, counts
        assert expiry < Settings().lease_seconds + 3, counts
    finally:
        for api in apis:
            api.stop()
        engine.dispose()


def _expiry_takeover(engine: Engine, signer: str) -> float:
    """A holder on another host (its process cannot be looked up) renews one last time and stops:
    seconds until a live replica holds the lease."""
    lease_seconds = Settings().lease_seconds
    poll(lambda: _owner(engine, signer), timeout=30, what="a lease holder")
    with session_scope(engine) as session:
        session.merge(
            SenderLease(
                signer=signer,
                owner="elsewhere:1:test",
                expires_at=datetime.now(UTC) + timedelta(seconds=lease_seconds),
            )
        )
    renewed_at = time.monotonic()
    poll(
        lambda: _owner(engine, signer) not in (None, "elsewhere:1:test"),
        timeout=lease_seconds + 30,
        what="a live replica to take the expired lease",
    )
    return time.monotonic() - renewed_at
