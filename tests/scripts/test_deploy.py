"""Deployment: manifest contents, idempotence, council as the only admin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from registry_core.manifest import DeploymentManifest, load_manifest
from registry_core.rpc import RpcClient
from scripts.deploy import DeployError, deploy_city


def view(rpc: RpcClient, manifest: DeploymentManifest, name: str, function: str, *args: object):
    contract = manifest.contract(name)
    data = contract.interface.encode_call(function, *args)
    return contract.interface.decode_output(function, rpc.call(contract.address, data))


def test_manifest_records_every_contract(city: DeploymentManifest, deployments_dir: Path) -> None:
    data = json.loads((deployments_dir / f"{city.chain_id}.json").read_text())
    assert data["chain_id"] == 52062
    assert {"CityCouncil", "DepartmentDirectory", "AccountPermissioning"} <= set(data["contracts"])
    for entry in data["contracts"].values():
        assert entry["address"].startswith("0x") and entry["abi"] and entry["deploy_block"] > 0
    assert "0.8.28" in data["compiler"]
    assert data["source_commit"]


def test_council_holds_admin(
    node_rpc: RpcClient, city: DeploymentManifest, council_keys: list[LocalAccount]
) -> None:
    council = city.address("CityCouncil")
    assert view(node_rpc, city, "DepartmentDirectory", "council") == council
    assert view(node_rpc, city, "AccountPermissioning", "council") == council
    members = view(node_rpc, city, "CityCouncil", "members")
    assert sorted(members) == sorted(key.address for key in council_keys)
    assert view(node_rpc, city, "CityCouncil", "threshold") == 2


def test_redeploy_against_same_chain_changes_nothing(
    node_rpc: RpcClient,
    city: DeploymentManifest,
    council_keys: list[LocalAccount],
    deployments_dir: Path,
) -> None:
    head = node_rpc.block_number()
    result = deploy_city(
        rpc=node_rpc,
        council_members=[key.address for key in council_keys],
        threshold=2,
        deployments_dir=deployments_dir,
    )
    assert result.changed is False and result.deployed == []
    assert node_rpc.block_number() == head, "a re-run must not send transactions"
    assert load_manifest(deployments_dir, city.chain_id) == city


def test_manifest_of_another_chain_state_is_refused(
    node_rpc: RpcClient,
    city: DeploymentManifest,
    council_keys: list[LocalAccount],
    tmp_path: Path,
) -> None:
    data = city.to_json()
    data["contracts"]["CityCouncil"]["code_hash"] = "0x" + "00" * 32
    (tmp_path / f"{city.chain_id}.json").write_text(json.dumps(data))
    with pytest.raises(DeployError, match="other code than the manifest records"):
        deploy_city(
            rpc=node_rpc,
            council_members=[key.address for key in council_keys],
            threshold=2,
            deployments_dir=tmp_path,
        )
