"""Register writes -> RegisterHub calls.

New versions of batch-mode records (create, amend, close) -> one ``anchorBatch`` per register
with the Merkle root of their leaves (at most ``max_batch_leaves``); register creation ->
``createRegister`` on its own; every other write -> its single call (``createRecord``,
``amendRecord``, ``closeRecord``, ``eraseVersion``, ``eraseBatchVersion``), which may share a
``tryEach`` with others. Erasing a version anchored in a batch needs that batch's root and proof:
from the store, or from a batch planned in the same round (which is then closed first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from registry_api.chain import hub
from registry_api.chain.outbox import batch_proof
from registry_api.chain.planning import Call, Limits, Placement, WriteRow, scaled
from registry_api.models.tables import RecordVersion, Register, Write
from registry_core.errors import RegistryCoreError
from registry_core.manifest import DeploymentManifest
from registry_core.merkle import MerkleTree

VERSION_COLUMNS: tuple[Any, ...] = (
    RecordVersion.record_id,
    RecordVersion.version_index,
    RecordVersion.content_hash,
    RecordVersion.previous_hash,
    RecordVersion.anchored_status,
    RecordVersion.write_id,
)
ANCHORING_COLUMNS: tuple[Any, ...] = (Write.id, Write.merkle_root, Write.leaf)


@dataclass(frozen=True)
class RegisterContext:
    """What the planner reads from the store besides the writes themselves."""

    versions: dict[tuple[str, int], Any]  # (record id, version index) -> VERSION_COLUMNS row
    registers: dict[str, Register]  # registers to create
    anchoring: dict[str, tuple[str, list[str]]]  # write id -> its batch's root and its proof


def load(session: Session, writes: Sequence[WriteRow]) -> RegisterContext:
    versions: dict[tuple[str, int], Any] = {}
    record_ids = sorted({w.record_id for w in writes if w.record_id is not None})
    for start in range(0, len(record_ids), 500):
        rows = session.execute(
            select(*VERSION_COLUMNS).where(
                col(RecordVersion.record_id).in_(record_ids[start : start + 500])
            )
        ).all()
        versions.update({(v.record_id, v.version_index): v for v in rows})
    register_ids = sorted({w.register_id for w in writes if w.kind == "register"})
    registers = {
        r.id: r
        for r in session.execute(
            select(Register).where(col(Register.id).in_(register_ids))
        ).scalars()
    }
    in_round = {w.id for w in writes}
    wanted = sorted(
        {
            versions[(w.record_id, w.version_index)].write_id
            for w in writes
            if w.kind == "erase"
            and w.mode == "batch"
            and (w.record_id, w.version_index) in versions
        }
        - in_round
    )
    anchoring: dict[str, tuple[str, list[str]]] = {}
    for start in range(0, len(wanted), 500):
        for row in session.execute(
            select(*ANCHORING_COLUMNS).where(col(Write.id).in_(wanted[start : start + 500]))
        ).all():
            proof = batch_proof(session, row.merkle_root, row.leaf)
            if proof is not None:
                anchoring[row.id] = (row.merkle_root, proof)
    return RegisterContext(versions=versions, registers=registers, anchoring=anchoring)


def plan(
    writes: Sequence[WriteRow],
    context: RegisterContext,
    manifest: DeploymentManifest,
    limits: Limits,
) -> list[Call]:
    calls: list[Call] = []
    open_batches: dict[str, list[tuple[WriteRow, bytes]]] = {}
    batch_of: dict[str, str] = {}  # write id -> register of its open batch
    planned: dict[str, Placement] = {}  # write id -> its placement in a batch of this round

    def flush(register_id: str) -> None:
        items = open_batches.pop(register_id, [])
        if not items:
            return
        tree = MerkleTree.of_leaves([leaf for _, leaf in items])
        placements = [
            Placement(seq=w.seq, write_id=w.id, leaf=leaf, root=tree.root, proof=tree.proof(leaf))
            for w, leaf in items
        ]
        calls.append(
            Call(
                target=hub.HUB,
                function="anchorBatch",
                data=hub.encode(
                    manifest, "anchorBatch", hub.id32(register_id), tree.root, len(items)
                ),
                gas=scaled(hub.GAS["anchorBatch"], limits),
                placements=placements,
            )
        )
        for placement in placements:
            planned[placement.write_id] = placement
            batch_of.pop(placement.write_id, None)

    for write in writes:
        if write.kind == "register":
            calls.append(_create_register(write, context, manifest, limits))
            continue
        version = context.versions.get((write.record_id, write.version_index))
        if version is None:
            raise RegistryCoreError(f"write {write.id} has no record version")
        if write.kind in ("create", "amend", "close") and write.mode == "batch":
            leaf = hub.batch_leaf(
                register_id=write.register_id,
                record_id=version.record_id,
                version_index=version.version_index,
                content_hash=version.content_hash,
                previous_hash=version.previous_hash,
                status=version.anchored_status,
            )
            batch = open_batches.setdefault(write.register_id, [])
            batch.append((write, leaf))
            batch_of[write.id] = write.register_id
            if len(batch) >= limits.max_batch_leaves:
                flush(write.register_id)
        elif write.kind == "erase" and write.mode == "batch":
            if version.write_id in batch_of:
                flush(batch_of[version.write_id])  # the version's batch goes out first
            calls.append(_erase_batch_version(write, version, context, planned, manifest, limits))
        else:
            calls.append(_single(write, version, manifest, limits))
    for register_id in list(open_batches):
        flush(register_id)
    return calls


def _call(write: WriteRow, function: str, data: bytes, gas: int, limits: Limits) -> Call:
    """A single write's call: groupable, unless it ran out of gas before (then alone, more gas)."""
    return Call(
        target=hub.HUB,
        function=function,
        data=data,
        gas=scaled(gas, limits, write.replans),
        placements=[Placement(seq=write.seq, write_id=write.id)],
        groupable=write.replans == 0,
    )


def _create_register(
    write: WriteRow, context: RegisterContext, manifest: DeploymentManifest, limits: Limits
) -> Call:
    register = context.registers.get(write.register_id)
    if register is None:
        raise RegistryCoreError(f"write {write.id}: register {write.register_id} is missing")
    data = hub.encode(
        manifest,
        "createRegister",
        hub.id32(register.id),
        register.name,
        hub.b32(register.schema_hash),
        hub.id32(register.department),
    )
    call = _call(write, "createRegister", data, hub.GAS["createRegister"], limits)
    call.groupable = False  # its records' batches may follow in this round
    return call


def _single(write: WriteRow, version: Any, manifest: DeploymentManifest, limits: Limits) -> Call:
    record = hub.b32(version.record_id)
    if write.kind == "create":
        function = "createRecord"
        args: tuple[Any, ...] = (
            hub.id32(write.register_id),
            record,
            hub.b32(version.content_hash),
        )
    elif write.kind in ("amend", "close"):
        function = "amendRecord" if write.kind == "amend" else "closeRecord"
        args = (record, hub.b32(version.content_hash), hub.b32(version.previous_hash))
    elif write.kind == "erase":
        function = "eraseVersion"
        args = (record, version.version_index, write.erasure_reason or 0)
    else:
        raise RegistryCoreError(f"write {write.id} has unknown kind {write.kind!r}")
    return _call(write, function, hub.encode(manifest, function, *args), hub.GAS[function], limits)


def _erase_batch_version(
    write: WriteRow,
    version: Any,
    context: RegisterContext,
    planned: dict[str, Placement],
    manifest: DeploymentManifest,
    limits: Limits,
) -> Call:
    in_round = planned.get(version.write_id)
    if in_round is not None and in_round.root is not None and in_round.proof is not None:
        root, proof = in_round.root, in_round.proof
    else:
        anchoring = context.anchoring.get(version.write_id)
        if anchoring is None:
            raise RegistryCoreError(f"write {write.id}: the version's batch is not known yet")
        root, proof = hub.b32(anchoring[0]), [hub.b32(p) for p in anchoring[1]]
    batch_version = (
        hub.b32(version.record_id),
        version.version_index,
        hub.b32(version.content_hash),
        hub.b32(version.previous_hash),
        hub.STATUS_CODES[version.anchored_status],
    )
    data = hub.encode(
        manifest,
        "eraseBatchVersion",
        root,
        proof,
        batch_version,
        write.erasure_reason or 0,
    )
    # Proofs of up to 12 levels cost ~10,000 gas each on top.
    gas = hub.GAS["eraseBatchVersion"] + 10_000 * max(12, len(proof))
    return _call(write, "eraseBatchVersion", data, gas, limits)
