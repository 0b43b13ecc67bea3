"""Besu's accounts-allowlist follows the council's permissioning decisions."""

from __future__ import annotations

import tomllib

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.besu_allowlist import permitted_accounts, render_toml
from scripts.demo_city import department_id
from scripts.governance import council_execute


def test_allowlist_lists_members_active_department_accounts_and_allowed_accounts(
    node_rpc: RpcClient, city: DeploymentManifest, council_keys: list[LocalAccount]
) -> None:
    clerk, suspended_clerk, operator = (Account.create().address for _ in range(3))
    active_id, suspended_id = department_id("ALLOW1"), department_id("ALLOW2")

    def decide(target: str, function: str, *args: object) -> None:
        council_execute(
            rpc=node_rpc, manifest=city, members=council_keys, target=target,
            function=function, args=list(args),
        )  # fmt: skip

    decide("DepartmentDirectory", "addDepartment", active_id, "Allow-list test, active")
    decide("DepartmentDirectory", "addDepartment", suspended_id, "Allow-list test, suspended")
    decide("DepartmentDirectory", "addAccount", active_id, clerk)
    decide("DepartmentDirectory", "addAccount", suspended_id, suspended_clerk)
    decide("DepartmentDirectory", "suspendDepartment", suspended_id)
    decide("AccountPermissioning", "allowAccount", operator)

    accounts = permitted_accounts(node_rpc, city)
    assert {clerk, operator, *(key.address for key in council_keys)} <= set(accounts)
    assert suspended_clerk not in accounts
    parsed = tomllib.loads(render_toml(accounts))
    assert parsed["accounts-allowlist"] == accounts
