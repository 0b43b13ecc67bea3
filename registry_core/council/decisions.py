"""Making council decisions on chain: propose, collect confirmations, execute.

Members sign their own transactions (each with their own key); the calls go through whatever RPC
endpoint ``rpc`` points at, normally the permissioning gateway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from eth_account.signers.local import LocalAccount

from registry_core.council.intents import Decision
from registry_core.errors import RegistryCoreError, RpcError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer, explain_revert


class GovernanceError(RegistryCoreError):
    """A council decision could not be made as asked."""


def chain_view(rpc: RpcClient, manifest: DeploymentManifest) -> Callable[..., Any]:
    """``view(contract name, function, *args)``: one decoded ``eth_call`` at the latest block."""

    def view(contract_name: str, function: str, *args: Any) -> Any:
        contract = manifest.contract(contract_name)
        data = contract.interface.encode_call(function, *args)
        return contract.interface.decode_output(function, rpc.call(contract.address, data))

    return view


def council_threshold(*, rpc: RpcClient, manifest: DeploymentManifest) -> int:
    return int(chain_view(rpc, manifest)("CityCouncil", "threshold"))


def simulate(*, rpc: RpcClient, manifest: DeploymentManifest, decision: Decision) -> None:
    """Run ``decision``'s call as the council would make it (``eth_call`` from the council's
    address, nothing signed); GovernanceError with the contract's decoded error if it reverts."""
    target, calldata = decision.call(manifest)
    query = {"from": manifest.address("CityCouncil"), "to": target, "data": "0x" + calldata.hex()}
    try:
        rpc.request("eth_call", [query, "latest"])
    except RpcError as exc:
        interface = manifest.contract(decision.intent.contract).interface
        reason = explain_revert(exc, interface) or exc.message
        raise GovernanceError(
            f"{decision.describe()} would fail when the council executes it: {reason}"
        ) from exc


def decide(
    *,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    members: list[LocalAccount],
    decision: Decision,
) -> dict[str, Any]:
    """Have the council make ``decision``: members[0] proposes, the next members confirm up to
    the threshold, members[0] executes. Returns the execution receipt."""
    council = manifest.contract("CityCouncil")
    threshold = council_threshold(rpc=rpc, manifest=manifest)
    if len(members) < threshold:
        raise GovernanceError(f"{threshold} members must confirm, only {len(members)} keys given")
    target, calldata = decision.call(manifest)
    proposer = Signer(members[0], rpc)
    receipt = proposer.transact(
        to=council.address,
        data=council.interface.encode_call("propose", target, 0, calldata, decision.description()),
        interface=council.interface,
    )
    events = [council.interface.decode_log(log) for log in receipt["logs"]]
    created = next(e for e in events if e is not None and e.name == "ProposalCreated")
    proposal_id = int(created.args["proposalId"])
    for member in members[1:threshold]:
        Signer(member, rpc).transact(
            to=council.address,
            data=council.interface.encode_call("confirm", proposal_id),
            interface=council.interface,
        )
    return proposer.transact(
        to=council.address,
        data=council.interface.encode_call("execute", proposal_id),
        interface=council.interface,
    )


def decide_missing(
    *,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    members: list[LocalAccount],
    decisions: Iterable[Decision],
    log: Callable[[str], None] = lambda _: None,
) -> int:
    """Make each decision the chain does not show in effect yet, in order (idempotent seeding).

    Returns the number of decisions made.
    """
    view = chain_view(rpc, manifest)
    made = 0
    for decision in decisions:
        if decision.in_effect(view):
            continue
        decide(rpc=rpc, manifest=manifest, members=members, decision=decision)
        made += 1
        log(f"council: {decision.describe()}")
    return made
