"""The integrity check: is this record content, with its salt, anchored, and as which version?

The content hash is recomputed with the one function the API anchors with
(:func:`registry_core.hashing.content_hash`: keccak256(salt ‖ RFC 8785 JSON)) and looked up among
the anchored versions. A batch-anchored version is checked by recomputing its Merkle leaf
(``RegisterHub.batchLeaf``: register, record, version index, content hash, previous hash, status)
and the root its proof leads to (:mod:`registry_core.merkle`), which must be a root the chain
anchored for that register. Nothing the uploader claims is trusted except as input to hashing.

Accepted input: the record's content (with the salt in its own field); a version as the registry
API returns it (``content``, ``salt``, and for batches ``proof``, ``version_index``,
``previous_hash``, ``status``); a whole record with its ``versions``; or the JSON file of ``registry export`` (every version of
every record in it, erased ones have no content and are left out).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from explorer.queries import events
from explorer.web import ExplorerError
from registry_core.codes import code_to_bytes32
from registry_core.hashing import content_hash
from registry_core.merkle import leaf_hash, process_proof
from registry_core.registers import STATUS_CODES

LEAF_TYPES = ("bytes32", "bytes32", "uint256", "bytes32", "bytes32", "uint8")
EXPORT_FORMAT = "city-registry-export/1"  # `registry export --format json` (scripts/importing)
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")


@dataclass
class Outcome:
    """The result of checking one version."""

    computed_hash: str
    matched: bool = False
    record_id: str | None = None
    version_index: int | None = None
    block: int | None = None
    tx: str | None = None
    status_now: str | None = None
    batch_root: str | None = None
    proof_valid: bool | None = None  # None: no proof given
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    content: Any
    salt: bytes
    record_id: str | None = None
    register_id: str | None = None
    version_index: int | None = None
    previous_hash: str | None = None
    status: str | None = None
    proof: list[str] | None = None


def _salt(text: Any) -> bytes:
    if not isinstance(text, str) or not _HEX32.fullmatch(text.strip()):
        raise ExplorerError(400, "bad_salt")
    return bytes.fromhex(text.strip()[2:])


def claims_of(document_text: str, salt_text: str | None) -> list[Claim]:
    """What the auditor gave, as versions to check."""
    try:
        document = json.loads(document_text)
    except ValueError as exc:
        raise ExplorerError(400, "bad_json", detail=str(exc)[:200]) from None
    if isinstance(document, dict) and document.get("format") == EXPORT_FORMAT:
        about = document.get("register")
        register: dict[str, Any] = about if isinstance(about, dict) else {}
        found = [
            _claim(version, record={**record, "register_id": register.get("id")})
            for record in document.get("records") or []
            if isinstance(record, dict)
            for version in record.get("versions") or []
            if isinstance(version, dict) and version.get("content") is not None
        ]
        if not found:
            raise ExplorerError(400, "bad_input", detail="no version with content and salt")
        return found
    if isinstance(document, dict) and isinstance(document.get("versions"), list):
        found = [
            _claim(version, record=document)
            for version in document["versions"]
            if isinstance(version, dict) and version.get("content") is not None
        ]
        if not found:
            raise ExplorerError(400, "bad_input", detail="no version with content and salt")
        return found
    if isinstance(document, dict) and "content" in document and "salt" in document:
        return [_claim(document, record={})]
    return [Claim(content=document, salt=_salt(salt_text))]


def _claim(version: dict[str, Any], *, record: dict[str, Any]) -> Claim:
    found = version.get("write")
    write: dict[str, Any] = found if isinstance(found, dict) else {}
    proof = version.get("proof")
    if proof is not None and not (
        isinstance(proof, list) and all(isinstance(p, str) and _HEX32.fullmatch(p) for p in proof)
    ):
        raise ExplorerError(400, "bad_proof", detail="proof: a list of 32-byte hex values")
    return Claim(
        content=version["content"],
        salt=_salt(version.get("salt")),
        record_id=record.get("id") or version.get("record_id") or write.get("record_id"),
        register_id=record.get("register_id")
        or version.get("register_id")
        or write.get("register_id"),
        version_index=version.get("version_index"),
        previous_hash=version.get("previous_hash"),
        status=version.get("status"),
        proof=proof,
    )


def check(explorer: Any, claim: Claim) -> Outcome:
    from explorer.routes.city_views import record_versions

    try:
        digest = "0x" + content_hash(claim.content, claim.salt).hex()
    except ValueError as exc:
        raise ExplorerError(400, "bad_input", detail=str(exc)[:200]) from None
    outcome = Outcome(computed_hash=digest)
    rows, _ = events(explorer.engine, names=["RecordVersionAnchored"], key=digest)
    if rows:
        args = json.loads(rows[0].args)
        outcome.matched = True
        outcome.record_id = str(args["recordId"])
        outcome.version_index = int(args["versionIndex"])
        outcome.block, outcome.tx = rows[0].block_number, rows[0].tx_hash
        versions = record_versions(explorer, outcome.record_id, "en")
        now = next((v for v in versions if v["index"] == outcome.version_index), None)
        outcome.status_now = now["status"] if now else None
        return outcome
    if claim.proof is not None:
        _check_batch(explorer, claim, digest, outcome)
    return outcome


def _check_batch(explorer: Any, claim: Claim, digest: str, outcome: Outcome) -> None:
    missing = [
        name
        for name, value in (
            ("record id", claim.record_id),
            ("register_id", claim.register_id),
            ("version_index", claim.version_index),
            ("previous_hash", claim.previous_hash),
        )
        if value is None
    ]
    if missing:
        raise ExplorerError(400, "bad_proof", detail=", ".join(missing))
    if not (_HEX32.fullmatch(str(claim.record_id)) and _HEX32.fullmatch(str(claim.previous_hash))):
        raise ExplorerError(400, "bad_proof", detail="record id / previous_hash")
    try:
        register = code_to_bytes32(str(claim.register_id))
        index = int(str(claim.version_index))
    except ValueError as exc:
        raise ExplorerError(400, "bad_proof", detail=str(exc)[:100]) from None
    proof = [bytes.fromhex(p[2:]) for p in claim.proof or []]
    # The leaf carries the status the version was anchored with: a later amendment or erasure
    # does not change the batch, so an "amended" or "erased" version was anchored active/closed.
    statuses = list(
        dict.fromkeys([s for s in (claim.status, "active", "closed") if s in STATUS_CODES])
    )
    root_hex = ""
    for status in statuses:
        leaf = leaf_hash(
            LEAF_TYPES,
            [
                register,
                bytes.fromhex(str(claim.record_id)[2:]),
                index,
                bytes.fromhex(digest[2:]),
                bytes.fromhex(str(claim.previous_hash)[2:]),
                STATUS_CODES[status],
            ],
        )
        root_hex = "0x" + process_proof(leaf, proof).hex()
        anchored, _ = events(explorer.engine, names=["BatchAnchored"], subject=root_hex)
        if anchored and anchored[0].scope == str(claim.register_id):
            outcome.matched = outcome.proof_valid = True
            outcome.batch_root = root_hex
            outcome.record_id, outcome.version_index = str(claim.record_id).lower(), index
            outcome.block, outcome.tx = anchored[0].block_number, anchored[0].tx_hash
            erased, _ = events(
                explorer.engine,
                names=["BatchVersionErased"],
                subject=outcome.record_id,
                scope=root_hex,
            )
            hit = [e for e in erased if json.loads(e.args)["versionIndex"] == index]
            outcome.status_now = "erased" if hit else status
            return
    outcome.proof_valid = False
    outcome.batch_root = root_hex
