"""Offline answers from a signed trust bundle (format and signature: :mod:`registry_core.trust`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from registry_core.did import DidHistory, parse_did
from registry_core.merkle import leaf_hash, process_proof
from registry_core.trust import BUNDLE_FORMAT, TrustBundleError, bundle_signer, unhex
from registry_core.vc import Envelope
from registry_core.verification.results import NOT_ANCHORED, AnchorInfo, Mode


@dataclass(frozen=True)
class TrustBundle:
    """A verified bundle, usable as a :class:`registry_core.verification.TrustSource`."""

    chain_id: int
    as_of_block: int
    as_of_time: int
    signer: str
    status_registry: str
    histories: dict[str, DidHistory]  # lower-case address -> history
    departments: dict[str, bytes]
    accreditations: tuple[tuple[bytes, bytes, int, int], ...]
    credentials: dict[bytes, AnchorInfo]
    batches: dict[bytes, AnchorInfo]
    mode: Mode = "offline"

    @classmethod
    def load(cls, bundle: dict[str, Any], *, trusted_signers: Sequence[str]) -> TrustBundle:
        """Check format and signature against the pinned signers, then index the bundle."""
        if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
            raise TrustBundleError(f"not a trust bundle of format {BUNDLE_FORMAT}")
        signer = bundle_signer(bundle)
        if signer.lower() not in {s.lower() for s in trusted_signers}:
            raise TrustBundleError(f"the trust bundle is signed by {signer}, which is not trusted")
        try:
            histories = {}
            for entry in bundle["did_histories"]:
                history = DidHistory.from_json(entry)
                histories[history.did.address.lower()] = history
            credentials = {
                unhex(h): AnchorInfo(
                    int(r[0]),
                    unhex(r[1]),
                    unhex(r[2]),
                    int(r[3]),
                    int(r[4]),
                    int(r[5]),
                    int(r[6]),
                )
                for h, r in bundle["credentials"].items()
            }
            batches = {
                unhex(root): AnchorInfo(
                    1, unhex(b[0]), unhex(b[1]), int(b[2]), int(b[3]), 0, int(b[3])
                )
                for root, b in bundle["batches"].items()
            }
            return cls(
                chain_id=int(bundle["chain_id"]),
                as_of_block=int(bundle["as_of_block"]),
                as_of_time=int(bundle["as_of_time"]),
                signer=signer,
                status_registry=str(bundle["contracts"]["CredentialStatusRegistry"]),
                histories=histories,
                departments={a.lower(): unhex(d) for a, d in bundle["departments"].items()},
                accreditations=tuple(
                    (
                        unhex(a["department"]),
                        unhex(a["type"]),
                        int(a["valid_from"]),
                        int(a["valid_until"]),
                    )
                    for a in bundle["accreditations"]
                ),
                credentials=credentials,
                batches=batches,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TrustBundleError(f"malformed trust bundle: {exc}") from exc

    def age_seconds(self, now: int | None = None) -> int:
        return (int(time.time()) if now is None else now) - self.as_of_time

    def knowledge(self) -> tuple[int | None, int | None]:
        return self.as_of_block, self.as_of_time

    def did_history(self, did: str, *, min_block: int | None) -> DidHistory:
        parsed = parse_did(did)
        history = self.histories.get(parsed.address.lower())
        return history or DidHistory(parsed, (), self.as_of_block)

    def anchor(self, credential_hash: bytes, envelope: Envelope) -> AnchorInfo:
        record = self.credentials.get(credential_hash)
        if record is not None:
            return record
        batch = envelope.batch
        if batch is not None and batch.root in self.batches:
            leaf = leaf_hash(["bytes32"], [credential_hash])
            if process_proof(leaf, batch.proof) == batch.root:
                return self.batches[batch.root]
        return NOT_ANCHORED

    def department_of(self, address: str) -> bytes:
        return self.departments.get(address.lower(), b"\0" * 32)

    def is_accredited(self, department: bytes, type_id: bytes, at: int) -> bool:
        return any(
            d == department and t == type_id and start <= at and (end == 0 or at < end)
            for d, t, start, end in self.accreditations
        )
