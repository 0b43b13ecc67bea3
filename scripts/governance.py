"""Council decisions from operator scripts: propose, collect confirmations, execute.

Members sign their own transactions (each with their own key); the calls go through whatever RPC
endpoint ``rpc`` points at, normally the permissioning gateway.
"""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount

from registry_core.errors import RegistryCoreError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer


class GovernanceError(RegistryCoreError):
    """A council decision could not be made as asked."""


def council_threshold(*, rpc: RpcClient, manifest: DeploymentManifest) -> int:
    council = manifest.contract("CityCouncil")
    data = council.interface.encode_call("threshold")
    return int(council.interface.decode_output("threshold", rpc.call(council.address, data)))


def council_execute(
    *,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    members: list[LocalAccount],
    target: str,
    function: str,
    args: list[Any],
    description: str = "",
) -> dict[str, Any]:
    """Have the council call ``target.function(*args)``: members[0] proposes, the next members
    confirm up to the threshold, members[0] executes. Returns the execution receipt."""
    council = manifest.contract("CityCouncil")
    callee = manifest.contract(target)
    threshold = council_threshold(rpc=rpc, manifest=manifest)
    if len(members) < threshold:
        raise GovernanceError(f"{threshold} members must confirm, only {len(members)} keys given")
    calldata = callee.interface.encode_call(function, *args)
    proposer = Signer(members[0], rpc)
    receipt = proposer.transact(
        to=council.address,
        data=council.interface.encode_call(
            "propose", callee.address, 0, calldata, description or f"{target}.{function}"
        ),
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
