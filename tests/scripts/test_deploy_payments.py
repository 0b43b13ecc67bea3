"""Deployment of the payment contracts: wired to each other, the council their only admin."""

from __future__ import annotations

from registry_core.council.intents import TREASURY_ROLE
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from tests.scripts.test_deploy import view

ADMIN_ROLE = b"\0" * 32


def test_payment_contracts_are_in_the_manifest(city: DeploymentManifest) -> None:
    assert {"CityToken", "FeeSchedule", "PaymentChannels"} <= set(city.contracts)


def test_council_is_token_admin_and_the_deployer_holds_no_role(
    node_rpc: RpcClient, city: DeploymentManifest
) -> None:
    council = city.address("CityCouncil")
    assert view(node_rpc, city, "CityToken", "hasRole", ADMIN_ROLE, council) is True
    deployer = node_rpc.request(
        "eth_getTransactionByHash", [city.contracts["CityToken"].deploy_tx]
    )["from"]
    for role in (ADMIN_ROLE, TREASURY_ROLE):
        assert view(node_rpc, city, "CityToken", "hasRole", role, deployer) is False
    assert view(node_rpc, city, "CityToken", "decimals") == 2


def test_payment_contracts_are_wired(node_rpc: RpcClient, city: DeploymentManifest) -> None:
    token, fees = city.address("CityToken"), city.address("FeeSchedule")
    directory = city.address("DepartmentDirectory")
    assert view(node_rpc, city, "FeeSchedule", "token") == token
    assert view(node_rpc, city, "FeeSchedule", "directory") == directory
    assert view(node_rpc, city, "PaymentChannels", "token") == token
    assert view(node_rpc, city, "PaymentChannels", "feeSchedule") == fees
    assert view(node_rpc, city, "PaymentChannels", "directory") == directory
