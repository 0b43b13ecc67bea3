"""Planning a round: a signer's pending outbox rows -> the transactions that carry them.

Pure functions (no store, no chain): the sender loads what the planners need (their ``load``
functions read the store), calls :func:`plan_round` and signs the result. Each outbox row names its
planner (``Write.planner``):

* ``registers`` (:mod:`.registers`): record versions of batch-mode records -> one RegisterHub
  ``anchorBatch`` Merkle root per register; every other register write -> its own call
  (``createRecord``, ``amendRecord``, ...);
* ``credentials`` (:mod:`.credentials`): single issuances of one type -> one
  CredentialStatusRegistry ``anchorBatch`` root per group (a lone one too: root = its leaf, no
  proof), a batch issuance -> its root, a status change -> its call;
* ``call`` (:mod:`.calls`): a generic call that another domain enqueued (target, calldata, gas).

Calls that may share a transaction (single RegisterHub writes) go out as ``tryEach`` groups of up
to ``max_calls_per_tx`` calls, each call's position stored as its writes' call index; the rest are
transactions of their own. Transactions keep the order of the calls, and a group is sent after the
calls that came before its last member, so a call never runs before one it depends on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from registry_api.chain import contracts
from registry_core.manifest import DeploymentManifest

WriteRow = Any  # a row of the sender's outbox query: attribute access by column name

# Gas of a tryEach beyond its calls' own limits: the transaction, and a delegatecall per call.
GROUP_GAS = 50_000
CALL_GAS = 10_000
# A write whose call ran out of gas is planned again alone with twice the gas, at most this often.
MAX_REPLANS = 3


@dataclass(frozen=True)
class Limits:
    max_batch_leaves: int = 1024  # leaves per register batch
    max_calls_per_tx: int = 64  # calls per tryEach
    max_txs_per_round: int = 200
    max_credential_group: int = 256  # single issuances per credential root (QR size)
    gas_factor: float = 1.0  # scales the measured gas limits (e.g. after a gas repricing)


@dataclass
class Placement:
    """Where one write goes: its call's index in a tryEach, its leaf, root and proof in a batch."""

    seq: int
    write_id: str
    call_index: int | None = None
    leaf: bytes | None = None
    root: bytes | None = None
    proof: list[bytes] | None = None


@dataclass
class Call:
    """One contract call that carries one or more writes."""

    target: str  # manifest contract name
    function: str
    data: bytes
    gas: int
    placements: list[Placement]
    groupable: bool = False  # may share a RegisterHub tryEach with other calls


@dataclass
class TxPlan:
    """One transaction to sign: a call, or a tryEach of several."""

    target: str
    function: str
    data: bytes
    gas: int
    placements: list[Placement] = field(default_factory=list)

    @property
    def leaf_count(self) -> int:
        return max(1, sum(1 for p in self.placements if p.leaf is not None))


# A domain's pure planner: (its writes in outbox order, what its loader read, manifest, limits).
DomainPlanner = Callable[[Sequence[WriteRow], Any, DeploymentManifest, Limits], list[Call]]


def scaled(gas: int, limits: Limits, replans: int = 0) -> int:
    """A measured gas limit, scaled, doubled for every time the write ran out of gas."""
    return int(gas * limits.gas_factor) * (1 << replans)


def plan_round(
    writes: Sequence[WriteRow],
    *,
    planners: dict[str, DomainPlanner],
    loaded: dict[str, Any],
    manifest: DeploymentManifest,
    limits: Limits,
) -> list[TxPlan]:
    """The transactions for ``writes`` (one signer's, in outbox order), at most
    ``max_txs_per_round``; writes left out stay pending for the next round."""
    by_planner: dict[str, list[WriteRow]] = {}
    for write in writes:
        by_planner.setdefault(write.planner, []).append(write)
    calls: list[Call] = []
    for name, domain_writes in by_planner.items():  # in order of each planner's first write
        calls += planners[name](domain_writes, loaded.get(name), manifest, limits)
    return group_calls(calls, manifest=manifest, limits=limits)[: limits.max_txs_per_round]


def group_calls(
    calls: Sequence[Call], *, manifest: DeploymentManifest, limits: Limits
) -> list[TxPlan]:
    """Groupable calls share tryEach transactions (a group of one is sent as the plain call)."""
    txs: list[TxPlan] = []
    group: list[Call] = []

    def flush() -> None:
        if len(group) == 1:
            txs.append(_alone(group[0]))
        elif group:
            target = group[0].target
            placements: list[Placement] = []
            for index, call in enumerate(group):
                for placement in call.placements:
                    placement.call_index = index
                    placements.append(placement)
            txs.append(
                TxPlan(
                    target=target,
                    function="tryEach",
                    data=contracts.encode(manifest, target, "tryEach", [c.data for c in group]),
                    gas=GROUP_GAS + sum(c.gas + CALL_GAS for c in group),
                    placements=placements,
                )
            )
        group.clear()

    for call in calls:
        if not call.groupable:
            txs.append(_alone(call))
            continue
        if group and group[0].target != call.target:
            flush()
        group.append(call)
        if len(group) >= limits.max_calls_per_tx:
            flush()
    flush()
    return txs


def _alone(call: Call) -> TxPlan:
    return TxPlan(
        target=call.target,
        function=call.function,
        data=call.data,
        gas=call.gas,
        placements=call.placements,
    )
