"""Issuing credentials: sign VC-JWTs with a department's key and anchor their hashes on chain.

A department's DID is the did:ethr of its identity account (the first account the council gave it).
The identity stays the same when the department rotates keys with ERC-1056 ``changeOwner``; the new
key signs credentials and, once the council adds it to the department, anchors them.

Single issuance anchors ``keccak256(JWT)`` with ``anchorCredential``; batch issuance anchors the
StandardMerkleTree root over the hashes (leaf encoding ``["bytes32"]``) with ``anchorBatch`` and
hands every credential out as an envelope with its proof (:class:`registry_core.vc.Envelope`).
Status changes (suspend, resume, revoke) are made by the issuing department only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from registry_core.credential_types import CREDENTIAL_TYPES, CredentialTypeSpec
from registry_core.did import make_did, parse_did
from registry_core.errors import RegistryCoreError
from registry_core.manifest import DeploymentManifest
from registry_core.merkle import MerkleTree, leaf_hash
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from registry_core.vc import BatchProof, Envelope, credential_hash, issue_credential, status_entry

MAX_BATCH = 1024


class IssuanceError(RegistryCoreError):
    """A credential cannot be issued or its status cannot be changed as asked."""


@dataclass(frozen=True)
class IssuedCredential:
    envelope: Envelope
    credential_hash: bytes
    tx_hash: str
    block: int
    gas_used: int

    @property
    def jwt(self) -> str:
        return self.envelope.jwt


@dataclass(frozen=True)
class CredentialRequest:
    holder_did: str
    claims: dict[str, Any]
    valid_until: int | None = None


def credential_type(code: str) -> CredentialTypeSpec:
    try:
        return CREDENTIAL_TYPES[code]
    except KeyError:
        known = ", ".join(sorted(CREDENTIAL_TYPES))
        raise IssuanceError(f"unknown credential type {code!r} (known: {known})") from None


class Issuer:
    """A department that signs credentials as ``issuer_did`` with ``signing_key``."""

    def __init__(
        self,
        *,
        rpc: RpcClient,
        manifest: DeploymentManifest,
        signing_key: LocalAccount,
        identity: str | None = None,
    ) -> None:
        self.rpc = rpc
        self.manifest = manifest
        self.signing_key = signing_key
        self.signer = Signer(signing_key, rpc)
        self.status = manifest.contract("CredentialStatusRegistry")
        self.issuer_did = make_did(identity or signing_key.address, manifest.chain_id)

    def sign(self, spec: CredentialTypeSpec, request: CredentialRequest, *, now: int) -> str:
        holder = parse_did(request.holder_did)
        if holder.chain_id != self.manifest.chain_id:
            raise IssuanceError(f"the holder DID belongs to chain {holder.chain_id}")
        valid_until = request.valid_until or now + spec.validity_days * 86400
        if valid_until <= now:
            raise IssuanceError("valid_until must lie in the future")
        return issue_credential(
            issuer_did=self.issuer_did,
            subject_did=str(holder),
            vc_type=spec.vc_type,
            claims=request.claims,
            status=status_entry(
                chain_id=self.manifest.chain_id, registry=self.status.address, type_code=spec.code
            ),
            private_key=bytes(self.signing_key.key),
            valid_from=now,
            valid_until=valid_until,
        )

    def _transact(self, function: str, *args: Any) -> dict[str, Any]:
        return self.signer.transact(
            to=self.status.address,
            data=self.status.interface.encode_call(function, *args),
            interface=self.status.interface,
        )

    def issue(
        self, type_code: str, request: CredentialRequest, *, now: int | None = None
    ) -> IssuedCredential:
        spec = credential_type(type_code)
        jwt = self.sign(spec, request, now=int(time.time()) if now is None else now)
        digest = credential_hash(jwt)
        receipt = self._transact("anchorCredential", digest, spec.type_id)
        return IssuedCredential(
            Envelope(jwt),
            digest,
            receipt["transactionHash"],
            int(receipt["blockNumber"], 16),
            int(receipt["gasUsed"], 16),
        )

    def issue_batch(
        self, type_code: str, requests: Sequence[CredentialRequest], *, now: int | None = None
    ) -> list[IssuedCredential]:
        if not 0 < len(requests) <= MAX_BATCH:
            raise IssuanceError(f"a batch has 1 to {MAX_BATCH} credentials, not {len(requests)}")
        spec = credential_type(type_code)
        issued_at = int(time.time()) if now is None else now
        jwts = [self.sign(spec, request, now=issued_at) for request in requests]
        hashes = [credential_hash(jwt) for jwt in jwts]
        leaves = [leaf_hash(["bytes32"], [h]) for h in hashes]
        tree = MerkleTree.of_leaves(leaves)
        receipt = self._transact("anchorBatch", tree.root, spec.type_id, len(jwts))
        block, gas = int(receipt["blockNumber"], 16), int(receipt["gasUsed"], 16)
        return [
            IssuedCredential(
                Envelope(jwt, BatchProof(tree.root, tuple(tree.proof(leaf)))),
                digest,
                receipt["transactionHash"],
                block,
                gas,
            )
            for jwt, digest, leaf in zip(jwts, hashes, leaves, strict=True)
        ]

    def change_status(
        self,
        *,
        credential_hash: bytes,
        action: str,
        reason_code: int,
        batch: BatchProof | None = None,
    ) -> dict[str, Any]:
        """``action`` is suspend, resume or revoke; a batch member's first change needs its proof."""
        if action not in ("suspend", "resume", "revoke"):
            raise IssuanceError(f"unknown status action {action!r}")
        if batch is not None and action in ("suspend", "revoke"):
            return self._transact(
                f"{action}BatchMember", batch.root, list(batch.proof), credential_hash, reason_code
            )
        return self._transact(f"{action}Credential", credential_hash, reason_code)
