"""GET /health, /ready and the deployment endpoints, against the real chain behind the real
gateway (the API runs its default worker process)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import col

from registry_api.core.config import Settings
from registry_api.core.db import session_scope
from registry_api.main import create_app
from registry_api.models.tables import Write
from registry_core.manifest import DeploymentManifest


@pytest.fixture(scope="module")
def client(gateway_url: str, deployments_dir: Path) -> Iterator[TestClient]:
    app = create_app(Settings(rpc_url=gateway_url, deployments_dir=deployments_dir))
    with TestClient(app) as test_client:
        yield test_client


def test_health_says_only_that_the_process_answers(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok" and response.json()["uptime_seconds"] >= 0


def test_ready_reports_chain_store_worker_and_writes(
    client: TestClient, city: DeploymentManifest
) -> None:
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert {name: check["ok"] for name, check in checks.items()} == {
        "chain": True, "store": True, "worker": True, "writes": True,
    }  # fmt: skip
    chain = checks["chain"]["facts"]
    assert chain["chain_id"] == 52062 and chain["council"] == city.address("CityCouncil")
    assert chain["block_number"] >= city.contract("AccountPermissioning").deploy_block
    assert checks["worker"]["facts"] == {"mode": "process"}


def test_ready_names_a_signer_whose_write_waits_too_long(client: TestClient) -> None:
    signer = "0x" + secrets.token_hex(20)
    old = datetime.now(UTC) - timedelta(minutes=10)
    with session_scope(client.app.state.engine) as session:  # type: ignore[attr-defined]
        session.add(
            Write(
                id=secrets.token_hex(16), department="FB99", signer=signer, planner="call",
                kind="test", target="RegisterHub", status="pending", created_at=old,
            )
        )  # fmt: skip
    try:
        response = client.get("/ready")
        assert response.status_code == 503, response.text
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["failing"] == ["writes"], problem
        assert f"signer {signer} has 1 pending write(s)" in problem["detail"], problem
        assert problem["checks"]["writes"]["facts"][signer]["pending"] == 1
    finally:
        with session_scope(client.app.state.engine) as session:  # type: ignore[attr-defined]
            session.execute(delete(Write).where(col(Write.signer) == signer))
    assert client.get("/ready").status_code == 200


def test_deployment_lists_contracts_without_abis(client: TestClient, city: DeploymentManifest):
    body = client.get("/deployment").json()
    assert body["chain_id"] == city.chain_id
    assert body["contracts"]["DepartmentDirectory"]["address"] == city.address(
        "DepartmentDirectory"
    )
    assert "abi" not in body["contracts"]["DepartmentDirectory"]


def test_abi_of_a_contract(client: TestClient, city: DeploymentManifest) -> None:
    response = client.get("/deployment/abi/CityCouncil")
    assert response.status_code == 200
    assert response.json() == city.contract("CityCouncil").abi


def test_unknown_contract_is_a_problem_json(client: TestClient) -> None:
    response = client.get("/deployment/abi/NoSuchContract")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Unknown contract"
    assert "NoSuchContract" in problem["detail"] and problem["status"] == 404


def test_ready_without_a_manifest_is_503_naming_the_chain(gateway_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(rpc_url=gateway_url, deployments_dir=tmp_path, workers="thread"))
    with TestClient(app) as test_client:
        alive = test_client.get("/health")
        response = test_client.get("/ready")
    assert alive.status_code == 200
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["failing"] == ["chain"], problem
    assert "no deployment manifest" in problem["detail"]
