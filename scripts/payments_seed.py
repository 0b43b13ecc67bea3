"""The demo city's payments, decided by the council and minted by its treasury (idempotent).

The council sets the fee schedule and the parking tariffs (``registry_core.payments.demo``), sends
each department's income to the department's own signing account, allows the treasury account to
transact and grants it the token's treasury role; the treasury then mints the demo citizens'
balances, up to their target (a second run mints nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from eth_account.signers.local import LocalAccount

from registry_core.council import (
    ALLOW_ACCOUNT,
    GRANT_TREASURY,
    SET_FEE,
    SET_PAYEE,
    SET_TARIFF,
    Decision,
    chain_view,
    decide_missing,
)
from registry_core.manifest import DeploymentManifest
from registry_core.payments.demo import DEMO_FEES, DEMO_TARIFFS
from registry_core.payments.types import TOKEN_CONTRACT
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer


def payment_decisions(*, payees: Mapping[str, str], treasury: str) -> list[Decision]:
    """Fees, tariffs, each department's payee, and the treasury account's rights."""
    fees = [
        SET_FEE.decide(
            service=f.service, department=f.department, amount=f.amount,
            name_de=f.name_de, name_en=f.name_en,
        )
        for f in DEMO_FEES
    ]  # fmt: skip
    tariffs = [
        SET_TARIFF.decide(
            service=t.service, department=t.department, zone=t.zone, rate=t.rate,
            unit_seconds=t.unit_seconds, name_de=t.name_de, name_en=t.name_en,
        )
        for t in DEMO_TARIFFS
    ]  # fmt: skip
    payee_decisions = [
        SET_PAYEE.decide(department=code, account=account) for code, account in payees.items()
    ]
    rights = [ALLOW_ACCOUNT.decide(account=treasury), GRANT_TREASURY.decide(account=treasury)]
    return [*fees, *tariffs, *payee_decisions, *rights]


def seed_payments(
    *,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    council: list[LocalAccount],
    payees: Mapping[str, str],
    treasury: str,
    log: Callable[[str], None] = lambda _: None,
) -> int:
    """Make the payment decisions the chain does not show yet; returns how many were made."""
    decisions = payment_decisions(payees=payees, treasury=treasury)
    return decide_missing(rpc=rpc, manifest=manifest, members=council, decisions=decisions, log=log)


def mint_balances(
    *,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    treasury: LocalAccount,
    balances: Mapping[str, int],
    log: Callable[[str], None] = lambda _: None,
) -> int:
    """Mint each address up to its target balance in cents; returns the cents minted."""
    token = manifest.contract(TOKEN_CONTRACT)
    view = chain_view(rpc, manifest)
    signer = Signer(treasury, rpc)
    minted = 0
    for address, target in balances.items():
        missing = target - int(view(TOKEN_CONTRACT, "balanceOf", address))
        if missing <= 0:
            continue
        data = token.interface.encode_call("mint", address, missing)
        signer.transact(to=token.address, data=data, interface=token.interface)
        minted += missing
        log(f"treasury: minted {missing / 100:.2f} EUR for {address}")
    return minted
