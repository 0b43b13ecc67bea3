"""Credentials: the rules of issuing and changing status, independent of HTTP.

(One concern, a department's credential writes and the reads of what it issued; a little over
400 lines because an issuance's rows, a status change's choice of call and the status read
belong together. The checks a request meets first are in ``credential_rules.py``, the trust
bundle in ``trust_bundles.py``.)

Each department issues with its own *credential key* (keystore entry ``vc-<dept>``), an account the
council added to the department, separate from the key that anchors register records; each key
has one nonce stream, owned by its outbox sender in the worker process. The key's address is the
department's DID identity (``did:ethr:0xcb5e:<address>``); after a key rotation (ERC-1056
``changeOwner`` to a new key that the council also adds to the department)
``CITY_API_CREDENTIAL_IDENTITIES`` keeps the identity while ``CITY_API_CREDENTIAL_KEYS`` names the
new key.

Issuing signs the VC-JWT here (in-process, fast) and adds the credential and its outbox row to the
caller's session: the sender anchors the single issuances of one type that are pending in one
round as one ``anchorBatch`` root (``chain/planning/credentials.py``), a batch issuance as the root
this service built. Status changes go through the outbox too. Before anything is stored, a write
of a department that is suspended on chain is refused (``403``), and a write the chain would
refuse is named by the contract's custom error (``409``) from a dry run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlmodel import Session, col, select

from registry_api.chain import credential_status
from registry_api.chain.directory import DepartmentStatusCache
from registry_api.chain.keys import SigningKey
from registry_api.chain.node import Node
from registry_api.chain.outbox import WriteState, batch_proof, new_write
from registry_api.chain.planning.credentials import (
    BATCH,
    ISSUE,
    STATUS,
    STATUS_REGISTRY,
    credential_leaf,
)
from registry_api.core.config import Settings
from registry_api.models.credentials import (
    BatchIssuedOut,
    IssuanceStatus,
    IssueAccepted,
    IssuedOut,
    StatusChangeAccepted,
    StatusOut,
)
from registry_api.models.tables import ChainTx, IssuedCredential, Write
from registry_api.services import retention
from registry_api.services.credential_rules import (
    chain_refusal,
    invalid_credential,
    problem,
    validate_claims,
)
from registry_api.services.writes import refuse_suspended
from registry_core.codes import bytes32_to_code, code_to_bytes32
from registry_core.did import DidError, make_did
from registry_core.errors import RegistryCoreError, RpcConnectionError
from registry_core.issuance import CredentialRequest, IssuanceError, Issuer, credential_type
from registry_core.manifest import DeploymentManifest
from registry_core.merkle import MerkleTree
from registry_core.qr import QrRenderer, encode_payload, proof_levels_that_fit
from registry_core.vc import BatchProof, Envelope, credential_hash
from registry_core.verification import STATES, ChainSource

ISSUANCE_URL = "/credentials/issuances/{}"
WRITE_URL = "/writes/{}"
UNSETTLED = ("pending", "submitted", "held")


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


@dataclass
class CredentialService:
    settings: Settings
    departments: DepartmentStatusCache
    keys: dict[str, LocalAccount] = field(default_factory=dict)  # department -> credential key
    renderer: QrRenderer = field(default_factory=QrRenderer)
    # (department, type, registry) -> when a dry run last said the chain would anchor it
    _may_anchor: dict[tuple[str, str, str], float] = field(default_factory=dict)
    _source: ChainSource | None = None
    _guard: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(
        cls, settings: Settings, keys: Sequence[SigningKey], departments: DepartmentStatusCache
    ) -> CredentialService:
        by_name = {key.name: key.account for key in keys}
        return cls(
            settings=settings,
            departments=departments,
            keys={
                department: by_name[name]
                for department, name in settings.credential_keys.items()
                if name in by_name
            },
            renderer=QrRenderer(cache_dir=settings.qr_cache_dir),
        )

    # ---- issuing -----------------------------------------------------------------------------

    def issuer(self, department: str, *, rpc: Node, manifest: DeploymentManifest) -> Issuer:
        key = self.keys.get(department)
        if key is None:
            raise problem(
                503,
                "no-credential-key",
                "The department cannot issue credentials",
                f"no credential key of department {department} is unlocked in this API",
            )
        return Issuer(
            rpc=rpc,
            manifest=manifest,
            signing_key=key,
            identity=self.settings.credential_identities.get(department),
        )

    def issuer_did(self, department: str, manifest: DeploymentManifest) -> str:
        key = self.keys.get(department)
        identity = self.settings.credential_identities.get(department)
        return make_did(identity or (key.address if key else "0x" + "00" * 20), manifest.chain_id)

    def _refuse_early(
        self, rpc: Node, manifest: DeploymentManifest, department: str, signer: str, code: str
    ) -> None:
        """403 for a suspended department, 409 if the chain would not anchor this type."""
        refuse_suspended(self.departments, rpc, manifest, department)
        key = (department, code, manifest.address(STATUS_REGISTRY))
        checked = self._may_anchor.get(key)
        if (
            checked is not None
            and time.monotonic() - checked < self.settings.department_status_cache_seconds
        ):
            return
        try:
            error = credential_status.dry_run_issuance(
                rpc, manifest, signer, credential_type(code).type_id
            )
        except (RpcConnectionError, RegistryCoreError):
            return  # no verdict now: the write queues and the chain decides
        if error is not None:
            raise chain_refusal(error)
        self._may_anchor[key] = time.monotonic()

    def refuse_unable_to_issue(
        self, rpc: Node, manifest: DeploymentManifest, department: str, code: str
    ) -> None:
        """A department decides only on requests it could then issue: 403 while it is suspended,
        409 if the chain would not anchor ``code`` from it (not accredited)."""
        signer = self.issuer(department, rpc=rpc, manifest=manifest).signing_key.address
        self._refuse_early(rpc, manifest, department, signer, code)

    def issue(
        self,
        session: Session,
        *,
        department: str,
        rpc: Node,
        manifest: DeploymentManifest,
        code: str,
        requests: Sequence[CredentialRequest],
        batch: bool,
    ) -> IssueAccepted:
        """Sign the credentials and add them with their outbox row(s) to ``session``."""
        for request in requests:
            validate_claims(code, request.claims)
        if batch and len(requests) > self.settings.batch_max:
            raise problem(
                422,
                "batch-too-large",
                "The batch is too large",
                f"at most {self.settings.batch_max} credentials per batch",
            )
        issuer = self.issuer(department, rpc=rpc, manifest=manifest)
        signer = issuer.signing_key.address
        self._refuse_early(rpc, manifest, department, signer, code)
        spec = credential_type(code)
        now = int(time.time())
        try:
            jwts = [issuer.sign(spec, request, now=now) for request in requests]
        except (IssuanceError, DidError) as exc:
            raise invalid_credential(exc) from exc
        hashes = [credential_hash(jwt) for jwt in jwts]
        members: list[tuple[str | None, list[str] | None]]  # each one's root and proof, if known
        if batch:
            leaves = [credential_leaf(h) for h in hashes]
            tree = MerkleTree.of_leaves(leaves)
            root = _hex(tree.root)
            payload: dict[str, Any] = {"root": root, "type": code, "count": len(jwts)}
            write = new_write(
                department=department, signer=signer, planner="credentials", kind=BATCH,
                target=STATUS_REGISTRY, payload=payload, reference=root, merkle_root=root,
            )  # fmt: skip
            members = [(root, [_hex(p) for p in tree.proof(leaf)]) for leaf in leaves]
        else:
            payload = {
                "hash": _hex(hashes[0]),
                "type": code,
                "levels": proof_levels_that_fit(jwts[0]),
            }
            write = new_write(
                department=department, signer=signer, planner="credentials", kind=ISSUE,
                target=STATUS_REGISTRY, payload=payload, reference=_hex(hashes[0]),
            )  # fmt: skip
            members = [(None, None)]  # root and proof: the sender's, on the outbox row
        session.add(write)
        for position, (jwt, digest, (root_hex, proof)) in enumerate(
            zip(jwts, hashes, members, strict=True)
        ):
            session.add(
                IssuedCredential(
                    credential_hash=_hex(digest),
                    department=department,
                    type_code=code,
                    jwt=jwt,
                    write_id=write.id,
                    position=position,
                    merkle_root=root_hex,
                    proof=proof,
                )
            )
        write_id = write.id
        return IssueAccepted(
            write_id=write_id,
            status="pending",
            status_url=ISSUANCE_URL.format(write_id),
            credential_hashes=[_hex(h) for h in hashes],
        )

    def issuance(
        self, session: Session, *, department: str, write_id: str, manifest: DeploymentManifest
    ) -> IssuanceStatus:
        """An issuance's state, with its credential(s) once anchored."""
        write = session.exec(select(Write).where(Write.id == write_id)).first()
        if (
            write is None
            or write.department != department
            or write.planner != "credentials"
            or write.kind not in (ISSUE, BATCH)
        ):
            raise problem(
                404,
                "unknown-issuance",
                "Unknown issuance",
                f"there is no credential issuance {write_id} of department {department}",
            )
        out = IssuanceStatus.model_validate(
            {"write_id": write.id, "status": write.status, "error": write.error}
        )
        if write.status != "anchored" or write.tx_id is None:
            return out
        tx = session.get(ChainTx, write.tx_id)
        assert tx is not None and tx.block_number is not None
        credentials = session.exec(
            select(IssuedCredential)
            .where(IssuedCredential.write_id == write.id)
            .order_by(col(IssuedCredential.position))
        ).all()
        if any(c.jwt is None for c in credentials):
            raise problem(
                410,
                "credential-erased",
                "The credential is no longer kept / Der Nachweis wird nicht mehr aufbewahrt",
                f"the credential(s) of issuance {write_id} were handed out and are no longer kept "
                "(retention) or were revoked; the holder has them, the chain their status",
                detail_de="die Nachweise dieser Ausstellung wurden ausgegeben und werden nicht "
                "mehr aufbewahrt oder wurden widerrufen",
            )
        issuer_did = self.issuer_did(department, manifest)
        issued = [self._issued(session, c, write, tx, issuer_did) for c in credentials]
        if write.kind == ISSUE:
            out.credential = issued[0]
        else:
            out.batch = BatchIssuedOut(
                root=write.merkle_root or "",
                count=len(issued),
                write_id=write.id,
                tx_hash=tx.tx_hash,
                block=tx.block_number,
                credentials=issued,
            )
        return out

    @staticmethod
    def _issued(
        session: Session, cred: IssuedCredential, write: Write, tx: ChainTx, issuer_did: str
    ) -> IssuedOut:
        root = cred.merkle_root or write.merkle_root
        proof = cred.proof if cred.merkle_root else batch_proof(session, root, write.leaf)
        assert root is not None and proof is not None
        assert cred.jwt is not None  # issuance() refuses emptied credentials first
        envelope = Envelope(
            cred.jwt,
            BatchProof(bytes.fromhex(root[2:]), tuple(bytes.fromhex(p[2:]) for p in proof)),
        ).serialize()
        assert tx.block_number is not None
        return IssuedOut(
            credential=envelope,
            credential_hash=cred.credential_hash,
            qr_payload=encode_payload(envelope),
            issuer=issuer_did,
            root=root,
            write_id=write.id,
            tx_hash=tx.tx_hash,
            block=tx.block_number,
        )

    # ---- status ------------------------------------------------------------------------------

    @staticmethod
    def write_state(session: Session, write_id: str) -> WriteState:
        write = session.exec(select(Write).where(Write.id == write_id)).one()
        return WriteState(write.id, write.status, write.error)

    def _membership(self, session: Session, digest: bytes) -> tuple[bytes, list[bytes]] | None:
        """Root and proof of a credential this API issued and saw anchored, else None (the
        proof is public; the chain decides who may change the credential's status)."""
        cred = session.get(IssuedCredential, _hex(digest))
        if cred is None:
            return None
        write = session.exec(select(Write).where(Write.id == cred.write_id)).first()
        if write is None or write.status != "anchored":
            raise problem(
                409,
                "credential-not-anchored",
                "The credential is not anchored",
                f"credential {_hex(digest)} is {write.status if write else 'unknown'}; its status "
                "can change once its anchoring is mined",
            )
        root = cred.merkle_root or write.merkle_root
        proof = cred.proof if cred.merkle_root else batch_proof(session, root, write.leaf)
        if root is None or proof is None:
            return None
        return bytes.fromhex(root[2:]), [bytes.fromhex(p[2:]) for p in proof]

    def change_status(
        self,
        session: Session,
        *,
        department: str,
        rpc: Node,
        manifest: DeploymentManifest,
        action: str,
        digest: bytes,
        reason_code: int,
        envelope: Envelope | None,
    ) -> StatusChangeAccepted:
        """Add the status change's outbox row to ``session`` (suspend, resume or revoke)."""
        if envelope is not None and envelope.credential_hash != digest:
            raise problem(
                422,
                "hash-mismatch",
                "The credential does not match the hash",
                "keccak256 of the given credential is not the hash in the URL",
            )
        signer = self.issuer(department, rpc=rpc, manifest=manifest).signing_key.address
        refuse_suspended(self.departments, rpc, manifest, department)
        member = self._membership(session, digest)
        if member is None and envelope is not None and envelope.batch is not None:
            member = envelope.batch.root, list(envelope.batch.proof)
        payload: dict[str, Any] = {"hash": _hex(digest), "reason": reason_code}
        if member is not None and action in ("suspend", "revoke"):
            payload["function"] = f"{action}BatchMember"
            payload["root"], payload["proof"] = _hex(member[0]), [_hex(p) for p in member[1]]
            args: tuple[Any, ...] = (member[0], member[1], digest, reason_code)
        else:
            payload["function"] = f"{action}Credential"
            args = (digest, reason_code)
        earlier = session.exec(
            select(Write.id)
            .where(Write.reference == _hex(digest))
            .where(Write.kind == STATUS)
            .where(col(Write.status).in_(UNSETTLED))
        ).first()
        if earlier is None:  # else the chain's state is about to change: let the chain decide
            try:
                error = credential_status.dry_run(rpc, manifest, signer, payload["function"], *args)
            except (RpcConnectionError, RegistryCoreError):
                error = None  # no verdict now: the write queues and the chain decides
            if error is not None:
                raise chain_refusal(error)
        write = new_write(
            department=department, signer=signer, planner="credentials", kind=STATUS,
            target=STATUS_REGISTRY, payload=payload, reference=_hex(digest),
        )  # fmt: skip
        session.add(write)
        if action == "revoke":  # the stored issuance answers (the JWT) go with the revocation
            retention.erase_answers(session, department=department, names=[_hex(digest)])
        return StatusChangeAccepted(
            write_id=write.id,
            status="pending",
            status_url=WRITE_URL.format(write.id),
            credential_hash=_hex(digest),
        )

    def status(
        self,
        session: Session,
        *,
        rpc: Node,
        manifest: DeploymentManifest,
        digest: bytes,
        department: str | None = None,
    ) -> StatusOut:
        """On chain: the issuing department's record of the credential, or its status in the batch
        this API anchored it in. Records are per department: a credential this API issued is read
        under its department, any other under ``department`` (Unknown without one)."""
        root: bytes | None = None
        proof: list[bytes] | None = None
        cred = session.get(IssuedCredential, _hex(digest))
        issuer = cred.department if cred is not None else department
        try:
            issuer_id = code_to_bytes32(issuer) if issuer is not None else None
        except ValueError:
            issuer_id = None  # not a department code: no department has such records
        if issuer_id is None:
            return StatusOut(
                credential_hash=_hex(digest),
                state=STATES[0],
                issuer_department=None,
                type=None,
                anchored_block=None,
                anchored_at=None,
                reason_code=0,
                changed_at=None,
            )
        if cred is not None:
            write = session.exec(select(Write).where(Write.id == cred.write_id)).first()
            if write is not None and write.status == "anchored":
                root_hex = cred.merkle_root or write.merkle_root
                proof_hex = (
                    cred.proof if cred.merkle_root else batch_proof(session, root_hex, write.leaf)
                )
                if root_hex is not None and proof_hex is not None:
                    root = bytes.fromhex(root_hex[2:])
                    proof = [bytes.fromhex(p[2:]) for p in proof_hex]
        found = credential_status.status(rpc, manifest, issuer_id, digest, root=root, proof=proof)
        known = found.state != 0
        return StatusOut(
            credential_hash=_hex(digest),
            state=STATES[found.state],
            issuer_department=bytes32_to_code(found.issuer_department) if known else None,
            type=bytes32_to_code(found.type_id) if known else None,
            anchored_block=found.anchored_block if known else None,
            anchored_at=found.anchored_at if known else None,
            reason_code=found.reason_code,
            changed_at=found.changed_at if known else None,
        )

    # ---- verification and DIDs ----------------------------------------------------

    def source(self, *, rpc: Node, manifest: DeploymentManifest) -> ChainSource:
        """The online verifier's source; its caches live as long as the deployment."""
        with self._guard:
            current = self._source
            if current is None or current.status_registry != manifest.address(STATUS_REGISTRY):
                current = ChainSource(
                    rpc=rpc, manifest=manifest, status_ttl=self.settings.status_cache_seconds
                )
                self._source = current
            return current

    def resolve_did(
        self, *, rpc: Node, manifest: DeploymentManifest, did: str, block: int | None
    ) -> dict[str, Any]:
        try:
            return self.source(rpc=rpc, manifest=manifest).resolver.resolution_result(
                did, block=block
            )
        except DidError as exc:
            raise problem(404, "did-not-found", "The DID cannot be resolved", exc.detail) from exc
