"""GET /health and the deployment endpoints, against the real chain behind the real gateway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from registry_api.core.config import Settings
from registry_api.main import create_app
from registry_core.manifest import DeploymentManifest


@pytest.fixture(scope="module")
def client(gateway_url: str, deployments_dir: Path) -> Iterator[TestClient]:
    app = create_app(Settings(rpc_url=gateway_url, deployments_dir=deployments_dir))
    with TestClient(app) as test_client:
        yield test_client


def test_health_reports_chain_id_and_council(client: TestClient, city: DeploymentManifest) -> None:
    response = client.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["chain_id"] == 52062
    assert body["council"] == city.address("CityCouncil")
    assert body["block_number"] >= city.contract("AccountPermissioning").deploy_block


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


def test_health_without_a_manifest_is_503(gateway_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(rpc_url=gateway_url, deployments_dir=tmp_path))
    with TestClient(app) as test_client:
        response = test_client.get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "no deployment manifest" in response.json()["detail"]
