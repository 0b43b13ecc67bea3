"""The council as the chain tells it: members, proposals and history, from CityCouncil's events.

One read (:func:`read_council_record`) gives everything the council's tools show: the members,
threshold and epoch (current state, three ``eth_call`` in one batch), and from the council's
events since its deployment (paged ``eth_getLogs``) every proposal with its description, the
members who confirmed it and whether it was executed or cancelled, and the history of executed
and cancelled decisions and membership and threshold changes. Proposals are decoded into
council decisions (:func:`registry_core.council.decode_decision`) and rendered by
:mod:`registry_core.council.plain`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry_core.abi import DecodedCall
from registry_core.codes import bytes32_to_code
from registry_core.council.intents import CouncilIntentError, Decision, decode_decision
from registry_core.council.plain import (
    LANGUAGES,
    decision_text,
    history_text,
    plain_time,
    proposal_lines,
)
from registry_core.council.refusals import error_text
from registry_core.errors import RpcError
from registry_core.events import ChainEvent, EventReader, batched, block_timestamps
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.transactions import explain_revert

COUNCIL = "CityCouncil"


@dataclass(frozen=True)
class CouncilState:
    address: str
    members: tuple[str, ...]
    threshold: int
    epoch: int


@dataclass
class Proposal:
    id: int
    proposer: str
    target: str
    value: int
    data: bytes
    description: str
    epoch: int
    council: CouncilState
    created_block: int
    created_tx: str
    created_time: int | None = None
    state: str = "pending"  # pending | executed | cancelled
    confirmed_by: list[str] = field(default_factory=list)
    decision: Decision | None = None
    call: DecodedCall | None = None  # the raw call, when it is no known decision
    target_contract: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # department code -> name
    # Why its call would revert if the council made it now (open proposals of this epoch only).
    would_fail: str | None = None

    @property
    def confirmations(self) -> int:
        return len(self.confirmed_by)

    @property
    def current(self) -> bool:
        """Made in the council's current epoch (only then can it be confirmed or executed)."""
        return self.epoch == self.council.epoch

    @property
    def missing(self) -> list[str]:
        """Members whose confirmation is not there yet (none for a closed or past proposal)."""
        if self.state != "pending" or not self.current:
            return []
        return [m for m in self.council.members if m not in self.confirmed_by]

    @property
    def executable(self) -> bool:
        return (
            self.state == "pending"
            and self.current
            and (self.confirmations >= self.council.threshold)
        )

    def to_json(self) -> dict[str, Any]:
        decision = self.decision
        return {
            "id": self.id,
            "state": self.state,
            "epoch": self.epoch,
            "current_epoch": self.current,
            "proposer": self.proposer,
            "target": self.target,
            "target_contract": self.target_contract,
            "value": self.value,
            "calldata": "0x" + self.data.hex(),
            "description": self.description,
            "intent": decision.intent.name if decision else None,
            "args": dict(decision.args) if decision else None,
            "de": decision_text(self, "de"),
            "en": decision_text(self, "en"),
            "confirmations": self.confirmations,
            "threshold": self.council.threshold,
            "confirmed_by": list(self.confirmed_by),
            "missing": self.missing,
            "executable": self.executable,
            "would_fail": self.would_fail,
            "created": {
                "block": self.created_block,
                "tx": self.created_tx,
                "time": plain_time(self.created_time) if self.created_time else None,
            },
            "lines": {lang: dict(proposal_lines(self, lang)) for lang in LANGUAGES},
        }


@dataclass(frozen=True)
class HistoryEntry:
    """One event of the council's history."""

    kind: str  # executed | cancelled | member-added | member-removed | threshold-changed
    block: int
    time: int | None
    tx: str
    args: dict[str, Any]
    proposal: Proposal | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "block": self.block,
            "time": plain_time(self.time) if self.time else None,
            "tx": self.tx,
            **self.args,
            "intent": self.proposal.decision.intent.name
            if self.proposal and self.proposal.decision
            else None,
            "de": history_text(self, "de"),
            "en": history_text(self, "en"),
        }


@dataclass
class CouncilRecord:
    council: CouncilState
    proposals: dict[int, Proposal]
    history: list[HistoryEntry]

    def pending(self) -> list[Proposal]:
        """Open proposals of the current epoch, oldest first."""
        return [p for p in self.proposals.values() if p.state == "pending" and p.current]


def _views(
    rpc: RpcClient, manifest: DeploymentManifest, calls: list[tuple[str, str, tuple[Any, ...]]]
) -> list[Any]:
    """Several ``contract.function(*args)`` reads in one JSON-RPC batch."""
    encoded = []
    for contract_name, function, args in calls:
        contract = manifest.contract(contract_name)
        data = contract.interface.encode_call(function, *args)
        encoded.append(
            ("eth_call", [{"to": contract.address, "data": "0x" + data.hex()}, "latest"])
        )
    results = batched(rpc, encoded)
    return [
        manifest.contract(name).interface.decode_output(function, bytes.fromhex(result[2:]))
        for (name, function, _), result in zip(calls, results, strict=True)
    ]


def read_council_state(rpc: RpcClient, manifest: DeploymentManifest) -> CouncilState:
    members, threshold, epoch = _views(
        rpc,
        manifest,
        [(COUNCIL, "members", ()), (COUNCIL, "threshold", ()), (COUNCIL, "epoch", ())],
    )
    return CouncilState(manifest.address(COUNCIL), tuple(members), int(threshold), int(epoch))


def department_names(rpc: RpcClient, manifest: DeploymentManifest) -> dict[str, str]:
    """Department code -> public name, for every department the directory knows."""
    (ids,) = _views(rpc, manifest, [("DepartmentDirectory", "departmentIds", ())])
    details = _views(rpc, manifest, [("DepartmentDirectory", "department", (i,)) for i in ids])
    return {bytes32_to_code(bytes(i)): str(d[0]) for i, d in zip(ids, details, strict=True)}


def decode_proposal(manifest: DeploymentManifest, proposal: Proposal) -> None:
    """Fill in the proposal's decision, or its raw call when it is no known decision."""
    by_address = {c.address.lower(): name for name, c in manifest.contracts.items()}
    proposal.target_contract = by_address.get(proposal.target.lower())
    try:
        proposal.decision = decode_decision(manifest, proposal.target, proposal.data)
    except CouncilIntentError:
        if proposal.target_contract is not None:
            interface = manifest.contract(proposal.target_contract).interface
            proposal.call = interface.decode_call(proposal.data)


def read_council_record(rpc: RpcClient, manifest: DeploymentManifest) -> CouncilRecord:
    """The council's state, every proposal and the history, read from the chain."""
    council = read_council_state(rpc, manifest)
    try:
        names = department_names(rpc, manifest)
    except RpcError:
        names = {}
    head = rpc.block_number()
    reader = EventReader(rpc, manifest, contracts=[COUNCIL])
    events = reader.events(from_block=reader.decoder.from_block, to_block=head)
    times = block_timestamps(rpc, events)
    proposals: dict[int, Proposal] = {}
    history: list[HistoryEntry] = []
    for event in events:
        _apply(event, council, proposals, history, times.get(event.block_number), names)
    for proposal in proposals.values():
        decode_proposal(manifest, proposal)
    record = CouncilRecord(council, proposals, history)
    _simulate_open(rpc, manifest, record.pending())
    return record


def _simulate_open(rpc: RpcClient, manifest: DeploymentManifest, open_: list[Proposal]) -> None:
    """Each open proposal's call as the council would make it now (one batch): what would fail."""
    council = manifest.address(COUNCIL)
    calls = [
        ("eth_call", [{"from": council, "to": p.target, "data": "0x" + p.data.hex()}, "latest"])
        for p in open_
    ]
    for proposal, reply in zip(open_, rpc.batch(calls) if calls else [], strict=True):
        if isinstance(reply, RpcError):
            decoded = None
            if proposal.target_contract is not None:
                interface = manifest.contract(proposal.target_contract).interface
                decoded = explain_revert(reply, interface)
            proposal.would_fail = error_text(decoded) if decoded else reply.message


def _apply(
    event: ChainEvent,
    council: CouncilState,
    proposals: dict[int, Proposal],
    history: list[HistoryEntry],
    time: int | None,
    names: dict[str, str],
) -> None:
    a = event.args

    def entry(kind: str, args: dict[str, Any], proposal: Proposal | None = None) -> HistoryEntry:
        return HistoryEntry(kind, event.block_number, time, event.tx_hash, args, proposal)

    if event.name == "ProposalCreated":
        pid = int(a["proposalId"])
        proposals[pid] = Proposal(
            id=pid, proposer=a["proposer"], target=a["target"], value=int(a["value"]),
            data=bytes(a["data"]), description=str(a["description"]), epoch=int(a["epoch"]),
            council=council, created_block=event.block_number, created_tx=event.tx_hash,
            created_time=time, names=names,
        )  # fmt: skip
        return
    proposal = proposals.get(int(a.get("proposalId", 0)))
    if event.name == "ProposalConfirmed" and proposal:
        proposal.confirmed_by.append(a["member"])
    elif event.name == "ConfirmationRevoked" and proposal:
        proposal.confirmed_by.remove(a["member"])
    elif event.name in ("ProposalExecuted", "ProposalCanceled") and proposal:
        executed = event.name == "ProposalExecuted"
        proposal.state = "executed" if executed else "cancelled"
        by = a["executor"] if executed else a["canceledBy"]
        history.append(entry(proposal.state, {"proposal": proposal.id, "by": by}, proposal))
    elif event.name in ("MemberAdded", "MemberRemoved"):
        kind = "member-added" if event.name == "MemberAdded" else "member-removed"
        history.append(entry(kind, {"member": a["member"], "epoch": int(a["epoch"])}))
    elif event.name == "ThresholdChanged":
        args = {
            "old": int(a["oldThreshold"]),
            "new": int(a["newThreshold"]),
            "epoch": int(a["epoch"]),
        }
        history.append(entry("threshold-changed", args))
