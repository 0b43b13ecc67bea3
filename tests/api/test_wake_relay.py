"""Two API replicas on one PostgreSQL: a write accepted by the replica whose sender does not hold
the signer's lease wakes the holder at once (``registry_api/chain/wake_relay.py``), instead of
waiting for the holder's idle poll.

Both replicas run their workers as threads of their own app (``CITY_API_WORKERS=thread``), in
this process, on one data folder. The idle poll ceiling is 30 s and the holder has been idle long
enough that its current wait has more than 5 s to run, so without the relay the write would wait
that long; with it, it is anchored within a round.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from registry_api.core.config import Settings
from registry_api.main import create_app
from registry_api.models.tables import SenderLease
from tests.api.conftest import PASSPHRASE, Departments, _postgres_database, make_key
from tests.api_process import poll

SCHEMA = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
# Idle waits double from 50 ms: after 7.5 s idle the current wait (6.35 s to 12.75 s) has over
# 5 s to run.
IDLE_BEFORE_WRITE = 7.5


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


def test_a_write_on_the_replica_without_the_lease_wakes_the_holder(
    postgres_url: str,
    gateway_url: str,
    deployments_dir: Path,
    departments: Departments,
    tmp_path: Path,
) -> None:
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=tmp_path,
        keys_dir=departments.keys_dir,
        keystore_passphrase=PASSPHRASE,
        database_url=postgres_url,
        signers={"FB33": "dept-fb33"},
        workers="thread",
        idle_poll_seconds=30,
    )
    register_id = "WAKE" + secrets.token_hex(3).upper()
    with ExitStack() as stack:
        first = stack.enter_context(TestClient(create_app(settings)))
        engine = first.app.state.engine  # type: ignore[attr-defined]
        headers = {"X-API-Key": make_key(engine, "FB33", ["*"])}
        signer = first.app.state.signers["FB33"]  # type: ignore[attr-defined]

        def holder() -> str | None:
            with Session(engine) as session:
                lease = session.get(SenderLease, signer)
                return lease.owner if lease is not None else None

        first_owner = first.app.state.workers.senders[signer].owner  # type: ignore[attr-defined]
        poll(lambda: holder() == first_owner, what="the first replica's lease")
        second = stack.enter_context(TestClient(create_app(settings)))

        def anchored(client: TestClient, write_id: str) -> bool:
            return bool(
                client.get(f"/writes/{write_id}", headers=headers).json()["status"] == "anchored"
            )

        created = first.post(
            "/registers",
            json={"id": register_id, "name": "Weckruf", "schema": SCHEMA},
            headers=headers,
        ).json()
        poll(lambda: anchored(first, created["write_id"]), what="the register")
        time.sleep(IDLE_BEFORE_WRITE)
        assert holder() == first_owner

        started = time.monotonic()
        written = second.post(
            f"/registers/{register_id}/records", json={"content": {"name": "A"}}, headers=headers
        ).json()
        poll(lambda: anchored(second, written["write_id"]), timeout=30, what="the record")
        took = time.monotonic() - started
        print(f"write on the replica without the lease: anchored after {took * 1000:.0f} ms")
        assert took < 3.0, f"the holder found the write only after {took:.1f} s"
