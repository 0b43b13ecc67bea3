"""Besu's accounts-allowlist follows the council's permissioning decisions."""

from __future__ import annotations

import tomllib

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.council import (
    ADD_ACCOUNT,
    ADD_DEPARTMENT,
    ALLOW_ACCOUNT,
    SUSPEND_DEPARTMENT,
    Decision,
    decide,
)
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.besu_allowlist import permitted_accounts, render_toml


def test_allowlist_lists_members_active_department_accounts_and_allowed_accounts(
    node_rpc: RpcClient, city: DeploymentManifest, council_keys: list[LocalAccount]
) -> None:
    clerk, suspended_clerk, operator = (Account.create().address for _ in range(3))
    decisions: list[Decision] = [
        ADD_DEPARTMENT.decide(department="ALLOW1", name="Allow-list test, active"),
        ADD_DEPARTMENT.decide(department="ALLOW2", name="Allow-list test, suspended"),
        ADD_ACCOUNT.decide(department="ALLOW1", account=clerk),
        ADD_ACCOUNT.decide(department="ALLOW2", account=suspended_clerk),
        SUSPEND_DEPARTMENT.decide(department="ALLOW2"),
        ALLOW_ACCOUNT.decide(account=operator),
    ]
    for decision in decisions:
        decide(rpc=node_rpc, manifest=city, members=council_keys, decision=decision)

    accounts = permitted_accounts(node_rpc, city)
    assert {clerk, operator, *(key.address for key in council_keys)} <= set(accounts)
    assert suspended_clerk not in accounts
    parsed = tomllib.loads(render_toml(accounts))
    assert parsed["accounts-allowlist"] == accounts
