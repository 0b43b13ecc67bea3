"""The API's worker process: killed on its own, it is replaced and the outbox resumes.

(SIGKILL of the API itself in the middle of a load: ``test_fault_sigkill.py``.)
"""

from __future__ import annotations

import json
import os
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry_api.core.db import session_scope
from registry_api.core.security import create_api_key
from tests.api.conftest import PASSPHRASE, Departments
from tests.api_process import ApiProcess, poll, running

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
    }
    yield env, token


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
