"""Fault: the council suspends a department while its writes wait in the outbox.

The department is the test's own (nobody else's writes are touched). Its senders are held back
(another live owner holds their leases) while register writes and credential issuances queue;
the council suspends the department; the senders go on. Counts asserted: every queued write
fails with the reason (the gateway refuses the department's transactions, the chain says the
department is suspended), a new write is refused at the API with 403 before anything is stored,
and after reactivation the next writes anchor: no signer stalls on the refused nonces.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, col, select

from registry_api.core.config import Settings
from registry_api.main import create_app
from registry_api.models.tables import Write
from registry_core.council import REACTIVATE_DEPARTMENT, SUSPEND_DEPARTMENT, Intent, decide
from registry_core.did import make_did
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from tests.api.conftest import PASSPHRASE, make_key, problem_of
from tests.api.faults import PERMIT, SCHEMA, FaultKeys, held_back, own_department
from tests.api_process import poll
from tests.credential_fixtures import CredentialCity

CODE = "FLT" + secrets.token_hex(2).upper()
RECORDS, BULK, ISSUES = 20, 30, 10
pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def department(
    gateway_rpc: RpcClient,
    credential_city: CredentialCity,
    tmp_path_factory: pytest.TempPathFactory,
) -> FaultKeys:
    return own_department(
        rpc=gateway_rpc,
        manifest=credential_city.manifest,
        council=credential_city.council,
        keys_dir=tmp_path_factory.mktemp("suspension-keys"),
        code=CODE,
    )


def _decide(credential_city: CredentialCity, rpc: RpcClient, intent: Intent) -> None:
    decide(
        rpc=rpc,
        manifest=credential_city.manifest,
        members=credential_city.council,
        decision=intent.decide(department=CODE),
    )


def test_writes_queued_when_the_department_is_suspended_fail_with_the_reason_and_none_stall(
    department: FaultKeys,
    credential_city: CredentialCity,
    gateway_rpc: RpcClient,
    gateway_url: str,
    deployments_dir: Path,
    city: DeploymentManifest,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=tmp_path,
        keys_dir=department.keys_dir,
        keystore_passphrase=PASSPHRASE,
        signers={CODE: f"dept-{CODE.lower()}"},
        credential_keys={CODE: f"vc-{CODE.lower()}"},
        workers="thread",
        indexer_poll_seconds=5.0,
        credential_wait_seconds=1.0,
        department_status_cache_seconds=0.5,
    )
    register_id = "SUS" + secrets.token_hex(3).upper()
    with TestClient(create_app(settings)) as client:
        state = client.app.state  # type: ignore[attr-defined]
        headers = {"X-API-Key": make_key(state.engine, CODE, ["*"], ["PARKING_PERMIT"])}

        def post(path: str, body: dict[str, Any]) -> Any:
            return client.post(path, json=body, headers=headers)

        def issue() -> Any:
            holder = make_did(Account.create().address, 52062)
            return post(
                "/credentials", {"type": "PARKING_PERMIT", "holder_did": holder, "claims": PERMIT}
            )

        def write(write_id: str) -> dict[str, Any]:
            body: dict[str, Any] = client.get(f"/writes/{write_id}", headers=headers).json()
            return body

        created = post("/registers", {"id": register_id, "name": "Suspension", "schema": SCHEMA})
        poll(lambda: write(created.json()["write_id"])["status"] == "anchored", what="the register")
        signers = [department.registers[CODE].address, department.credentials[CODE].address]
        with held_back(state.engine, signers):
            singles = [
                post(f"/registers/{register_id}/records", {"content": {"n": str(i)}})
                for i in range(RECORDS)
            ]
            bulk = post(
                f"/registers/{register_id}/records/bulk",
                {"records": [{"n": f"b{i}"} for i in range(BULK)]},
            )
            with ThreadPoolExecutor(ISSUES) as pool:
                issues = list(pool.map(lambda _: issue(), range(ISSUES)))
            assert {r.status_code for r in singles} | {bulk.status_code} == {202}
            assert {r.status_code for r in issues} == {202}, [r.text for r in issues]
            _decide(credential_city, gateway_rpc, SUSPEND_DEPARTMENT)
        queued = [r.json()["write_id"] for r in singles]
        queued += [w["write_id"] for w in bulk.json()["writes"]]
        queued += [r.json()["write_id"] for r in issues]

        def settled() -> list[dict[str, Any]] | None:
            bodies = [write(w) for w in queued]
            return bodies if all(b["status"] in ("anchored", "failed") for b in bodies) else None

        try:
            # Settling takes longer than the API's cache of the department's flag (0.5 s): the
            # refusals below see the suspension.
            bodies = poll(settled, timeout=60, what="the queued writes to settle")
            refused_early = issue()
            record_refused = post(f"/registers/{register_id}/records", {"content": {"n": "late"}})
            with Session(state.engine) as session:
                others = session.exec(
                    select(func.count()).select_from(Write).where(col(Write.id).not_in(queued))
                ).one()
        finally:
            _decide(credential_city, gateway_rpc, REACTIVATE_DEPARTMENT)
        reasons = {b["error"] for b in bodies}
        problem = problem_of(refused_early, 403)
        assert problem["type"].endswith("/department-suspended") and CODE in problem["detail"]
        assert problem_of(record_refused, 403)["type"].endswith("/department-suspended")

        # Reactivated: the same signers go on (their refused nonces were given back).
        after = poll(
            lambda: (r := issue()).status_code == 201 and r, timeout=30, what="an issuance"
        )
        late = post(f"/registers/{register_id}/records", {"content": {"n": "after"}})
        anchored = poll(
            lambda: write(late.json()["write_id"])["status"] == "anchored" and True,
            timeout=30,
            what="a record after reactivation",
        )
        counts = {
            "queued": len(queued),
            "failed with the reason": sum(1 for b in bodies if b["status"] == "failed"),
            "anchored while suspended": sum(1 for b in bodies if b["status"] == "anchored"),
            "stored by the refused requests": others - 1,  # besides the register's write
            "seconds": round(time.monotonic() - started, 1),
        }
        print(f"\nsuspension fault test: {counts}")
        assert counts["failed with the reason"] == len(queued), counts
        assert len(reasons) >= 1 and all(
            f"department {CODE} is suspended on chain" in r for r in reasons
        ), reasons
        assert others == 1, counts
        assert after.json()["credential"] and anchored
