"""One member's council actions, each checked before it is signed: propose, confirm, revoke,
execute, cancel.

A check simulates the action exactly as the member would send it (``eth_call`` from the
member's address to the council) and, for a proposal, the decision's own call as the council
would make it; whatever would revert becomes a :class:`CouncilRefusedError` with the decoded error.
Nothing is signed until the checks pass; signing needs only the member's own key, and the
transaction goes through the same RPC endpoint (normally the gateway) as every client's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from eth_account.signers.local import LocalAccount

from registry_core.abi import DecodedError
from registry_core.council.intents import Decision
from registry_core.council.refusals import CouncilRefusedError, council_refusal, would_revert
from registry_core.errors import RpcError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer, explain_revert

Action = Literal["confirm", "revokeConfirmation", "execute", "cancel"]
COUNCIL = "CityCouncil"


def _simulate(rpc: RpcClient, *, sender: str, to: str, data: bytes) -> RpcError | None:
    query = {"from": sender, "to": to, "data": "0x" + data.hex()}
    try:
        rpc.request("eth_call", [query, "latest"])
    except RpcError as exc:
        return exc
    return None


def _target_error(manifest: DeploymentManifest, target: str, data: bytes) -> DecodedError | None:
    """Decode a failing call's revert data with the ABI of the contract it called."""
    for contract in manifest.contracts.values():
        if contract.address.lower() == target.lower():
            return contract.interface.decode_error(data)
    return None


def _refusal(
    manifest: DeploymentManifest, error: RpcError, *, target: str | None = None
) -> CouncilRefusedError:
    council = manifest.contract(COUNCIL).interface
    decoded = explain_revert(error, council)
    if decoded is not None:
        inner = None
        if decoded.name == "CouncilExecutionFailed" and target is not None:
            inner = _target_error(manifest, target, bytes(decoded.args["returnData"]))
        refusal = council_refusal(decoded, inner=inner)
        if refusal is not None:
            return refusal
    return would_revert("die Aktion", "the action", decoded, error.message)


def check_decision(
    rpc: RpcClient,
    manifest: DeploymentManifest,
    decision: Decision,
    names: Mapping[str, str] | None = None,
) -> None:
    """The decision's call, made as the council (``eth_call`` from its address); a refusal with
    the target contract's decoded error if it would revert (``names``: department code -> name,
    for the refusal's words)."""
    target, calldata = decision.call(manifest)
    error = _simulate(rpc, sender=manifest.address(COUNCIL), to=target, data=calldata)
    if error is not None:
        interface = manifest.contract(decision.intent.contract).interface
        decoded = explain_revert(error, interface)
        raise would_revert(
            f"„{decision.describe('de', names)}“",
            f'"{decision.describe("en", names)}"',
            decoded,
            error.message,
        )


def propose_call(manifest: DeploymentManifest, decision: Decision) -> bytes:
    target, calldata = decision.call(manifest)
    council = manifest.contract(COUNCIL).interface
    return council.encode_call("propose", target, 0, calldata, decision.description())


def check_propose(
    rpc: RpcClient,
    manifest: DeploymentManifest,
    *,
    member: str,
    decision: Decision,
    names: Mapping[str, str] | None = None,
) -> None:
    """That ``member`` may propose, and that the decision would pass once executed."""
    error = _simulate(
        rpc, sender=member, to=manifest.address(COUNCIL), data=propose_call(manifest, decision)
    )
    if error is not None:
        raise _refusal(manifest, error)
    check_decision(rpc, manifest, decision, names)


def check_action(
    rpc: RpcClient,
    manifest: DeploymentManifest,
    *,
    member: str,
    action: Action,
    proposal_id: int,
    target: str | None = None,
) -> None:
    """That ``member`` may do ``action`` on the proposal now (``target``: the proposal's target,
    to decode why its call would fail on execution)."""
    data = manifest.contract(COUNCIL).interface.encode_call(action, proposal_id)
    error = _simulate(rpc, sender=member, to=manifest.address(COUNCIL), data=data)
    if error is not None:
        raise _refusal(manifest, error, target=target)


def send(
    rpc: RpcClient,
    manifest: DeploymentManifest,
    account: LocalAccount,
    function: str,
    *args: Any,
) -> dict[str, Any]:
    """Sign ``CityCouncil.function(*args)`` with the member's key and send it; the receipt."""
    council = manifest.contract(COUNCIL)
    return Signer(account, rpc).transact(
        to=council.address,
        data=council.interface.encode_call(function, *args),
        interface=council.interface,
    )


def proposal_id_of(manifest: DeploymentManifest, receipt: dict[str, Any]) -> int:
    """The id of the proposal a ``propose`` transaction created."""
    interface = manifest.contract(COUNCIL).interface
    for log in receipt["logs"]:
        event = interface.decode_log(log)
        if event is not None and event.name == "ProposalCreated":
            return int(event.args["proposalId"])
    raise CouncilRefusedError("kein Vorschlag entstanden", "no proposal was created", 1)
