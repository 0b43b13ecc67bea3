"""Credential writes -> CredentialStatusRegistry calls.

* ``credential-issue`` (payload ``{"hash", "type", "levels"}``): the single issuances of one type
  in a round are anchored as one ``anchorBatch`` Merkle root over their leaves
  (StandardMerkleTree, leaf encoding ``["bytes32"]``); a lone one is a root of one leaf (root =
  leaf, empty proof). A group is as large as its members' QR codes allow: ``levels`` is how many
  proof hashes the credential can carry and still fit a QR code of version 16 at error correction
  M (``registry_core.qr.proof_levels_that_fit``), and a tree of n leaves gives proofs of up to
  ceil(log2 n) hashes; at most ``max_credential_group`` in any case. Every write's leaf, root and
  proof are its placement.
* ``credential-batch`` (payload ``{"root", "type", "count"}``): a batch issuance, whose tree the
  request built: its own ``anchorBatch``.
* ``credential-status`` (payload ``{"function", "hash", "reason"}`` and, for a batch member's
  first change, ``"root"`` and ``"proof"``): its own call.

The writes of one signer belong to one department (its credential key), so a group is one
department's issuances of one type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry_api.chain import contracts
from registry_api.chain.planning import Call, Limits, Placement, WriteRow, scaled
from registry_core.codes import code_to_bytes32
from registry_core.errors import RegistryCoreError
from registry_core.keccak import keccak256
from registry_core.manifest import DeploymentManifest
from registry_core.merkle import MerkleTree

STATUS_REGISTRY = "CredentialStatusRegistry"
ISSUE, BATCH, STATUS = "credential-issue", "credential-batch", "credential-status"
STATUS_FUNCTIONS = (
    "suspendCredential",
    "resumeCredential",
    "revokeCredential",
    "suspendBatchMember",
    "revokeBatchMember",
)
# Fixed gas limits (gas is free; measured with headroom, see tests/api/test_planning.py).
GAS = {"anchorBatch": 250_000, "status": 200_000, "batchMember": 300_000, "proofLevel": 5_000}


def credential_leaf(credential_hash: bytes) -> bytes:
    """``CredentialStatusRegistry.batchLeaf``: abi.encode of one bytes32 is the word itself."""
    return keccak256(keccak256(credential_hash))


def _b32(text: str) -> bytes:
    raw = bytes.fromhex(text.removeprefix("0x"))
    if len(raw) != 32:
        raise RegistryCoreError(f"{text!r} is not 32 bytes")
    return raw


def plan(
    writes: Sequence[WriteRow], _context: Any, manifest: DeploymentManifest, limits: Limits
) -> list[Call]:
    calls: list[Call] = []
    issues: dict[str, list[WriteRow]] = {}  # type code -> single issuances, in order
    for write in writes:
        if write.kind == ISSUE:
            issues.setdefault(write.payload["type"], []).append(write)
        elif write.kind == BATCH:
            calls.append(_batch(write, manifest, limits))
        elif write.kind == STATUS:
            calls.append(_status(write, manifest, limits))
        else:
            raise RegistryCoreError(f"write {write.id} has unknown kind {write.kind!r}")
    for type_code, pending in issues.items():
        for group in groups_that_fit(pending, limits.max_credential_group):
            calls.append(_group(type_code, group, manifest, limits))
    return calls


def groups_that_fit(writes: Sequence[WriteRow], most: int) -> list[list[WriteRow]]:
    """Consecutive groups, each as large as the proof levels of all its members allow."""
    groups: list[list[WriteRow]] = []
    group: list[WriteRow] = []
    levels = 0
    for write in writes:
        fits = int(write.payload.get("levels", 0))
        size = len(group) + 1
        if group and (size > most or (size - 1).bit_length() > min(levels, fits)):
            groups.append(group)
            group = []
        levels = fits if not group else min(levels, fits)
        group.append(write)
    if group:
        groups.append(group)
    return groups


def _anchor_batch(
    manifest: DeploymentManifest, root: bytes, type_code: str, count: int, gas: int,
    placements: list[Placement],
) -> Call:  # fmt: skip
    data = contracts.encode(
        manifest, STATUS_REGISTRY, "anchorBatch", root, code_to_bytes32(type_code), count
    )
    return Call(STATUS_REGISTRY, "anchorBatch", data, gas, placements)


def _group(
    type_code: str, writes: Sequence[WriteRow], manifest: DeploymentManifest, limits: Limits
) -> Call:
    leaves = [credential_leaf(_b32(w.payload["hash"])) for w in writes]
    tree = MerkleTree.of_leaves(leaves)
    placements = [
        Placement(seq=w.seq, write_id=w.id, leaf=leaf, root=tree.root, proof=tree.proof(leaf))
        for w, leaf in zip(writes, leaves, strict=True)
    ]
    gas = scaled(GAS["anchorBatch"], limits, max(w.replans for w in writes))
    return _anchor_batch(manifest, tree.root, type_code, len(writes), gas, placements)


def _batch(write: WriteRow, manifest: DeploymentManifest, limits: Limits) -> Call:
    root, payload = _b32(write.payload["root"]), write.payload
    placements = [Placement(seq=write.seq, write_id=write.id, root=root)]
    gas = scaled(GAS["anchorBatch"], limits, write.replans)
    return _anchor_batch(manifest, root, payload["type"], int(payload["count"]), gas, placements)


def _status(write: WriteRow, manifest: DeploymentManifest, limits: Limits) -> Call:
    payload = write.payload
    function = payload["function"]
    if function not in STATUS_FUNCTIONS:
        raise RegistryCoreError(f"write {write.id}: {function!r} is not a status change")
    credential = _b32(payload["hash"])
    reason = int(payload["reason"])
    if function.endswith("BatchMember"):
        proof = [_b32(p) for p in payload["proof"]]
        args: tuple[Any, ...] = (_b32(payload["root"]), proof, credential, reason)
        gas = GAS["batchMember"] + GAS["proofLevel"] * len(proof)
    else:
        args = (credential, reason)
        gas = GAS["status"]
    return Call(
        target=STATUS_REGISTRY,
        function=function,
        data=contracts.encode(manifest, STATUS_REGISTRY, function, *args),
        gas=scaled(gas, limits, write.replans),
        placements=[Placement(seq=write.seq, write_id=write.id)],
    )
