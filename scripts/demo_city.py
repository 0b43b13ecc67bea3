"""The demo city: a 2-of-3 council, three departments and their accounts (synthetic data).

Seeding is idempotent: a council decision is made only if the chain does not show it in effect,
so running the demo again on the same chain changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from registry_core.council import (
    ADD_ACCOUNT,
    ADD_DEPARTMENT,
    ALLOW_ACCOUNT,
    Decision,
    decide_missing,
)
from registry_core.demo import COUNCIL_SIZE, DEMO_DEPARTMENTS
from registry_core.demo import COUNCIL_THRESHOLD as COUNCIL_THRESHOLD
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient


def council_keys(keystore: Keystore, passphrase: str) -> list[LocalAccount]:
    return [keystore.load_or_create(f"council-{i}", passphrase) for i in range(1, COUNCIL_SIZE + 1)]


# The API's default relay key (CITY_API_PAYMENTS_RELAY_KEY): it sends what citizens sign (key
# rotations, fee payments, channel openings), so citizens need no gas.
RELAY_KEY = "relay-payments"


def relay_key(keystore: Keystore, passphrase: str) -> LocalAccount:
    return keystore.load_or_create(RELAY_KEY, passphrase)


def allow_relay(
    *, rpc: RpcClient, manifest: DeploymentManifest, council: list[LocalAccount], relay: str
) -> int:
    """The council's allow-listing of the relay account (only if missing)."""
    decisions = [ALLOW_ACCOUNT.decide(account=relay)]
    return decide_missing(rpc=rpc, manifest=manifest, members=council, decisions=decisions)


def department_keys(keystore: Keystore, passphrase: str) -> dict[str, LocalAccount]:
    return {d.code: keystore.load_or_create(d.signer_key, passphrase) for d in DEMO_DEPARTMENTS}


def department_decisions(accounts: dict[str, LocalAccount]) -> list[Decision]:
    """Each demo department, and the given account of each acting for it."""
    return [
        decision
        for department in DEMO_DEPARTMENTS
        for decision in (
            ADD_DEPARTMENT.decide(department=department.code, name=department.name),
            ADD_ACCOUNT.decide(
                department=department.code, account=accounts[department.code].address
            ),
        )
    ]


def seed_demo_city(
    *,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    council: list[LocalAccount],
    accounts: dict[str, LocalAccount],
    log: Callable[[str], None] = lambda _: None,
) -> int:
    """Create the demo departments and their accounts through council decisions.

    Returns the number of council decisions executed (0 when everything was there already).
    """
    return decide_missing(
        rpc=rpc, manifest=manifest, members=council, decisions=department_decisions(accounts),
        log=log,
    )  # fmt: skip
