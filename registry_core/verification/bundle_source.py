"""Offline answers from a signed trust bundle (format and signature: :mod:`registry_core.trust_format`).

The bundle knows the chain as of its block. A credential that is not in it but may have been
issued after it (its ``iat``/``nbf`` later than the bundle's time minus its ``anchor_window``)
cannot be confirmed offline yet; a status older than ``max_age`` (24 h by default) cannot confirm
"not revoked" any more. :func:`registry_core.verification.verify` asks for both.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from registry_core.did import DidHistory, parse_did
from registry_core.merkle import leaf_hash, process_proof
from registry_core.trust_format import (
    BUNDLE_FORMAT,
    TrustBundleError,
    read_tables,
    trusted_signer,
    unhex,
)
from registry_core.vc import Envelope
from registry_core.verification.results import NOT_ANCHORED, AnchorInfo, Mode

DEFAULT_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class TrustBundle:
    """A verified bundle, usable as a :class:`registry_core.verification.TrustSource`."""

    chain_id: int
    as_of_block: int
    as_of_time: int
    anchor_window: int
    signer: str
    status_registry: str
    histories: dict[str, DidHistory]  # lower-case address -> history
    departments: dict[str, bytes]
    accreditations: tuple[tuple[bytes, bytes, int, int], ...]
    # Keyed by (issuing department, hash or root), as the records on chain.
    singles: dict[tuple[bytes, bytes], AnchorInfo]
    batches: dict[tuple[bytes, bytes], AnchorInfo]
    statuses: dict[tuple[bytes, bytes], tuple[int, int, int]]  # -> (state, reason, changed_at)
    max_age: int | None = DEFAULT_MAX_AGE  # seconds a bundle's status is trusted
    mode: Mode = "offline"

    @classmethod
    def load(
        cls,
        bundle: dict[str, Any],
        *,
        trusted_signers: Sequence[str],
        max_age: int | None = DEFAULT_MAX_AGE,
    ) -> TrustBundle:
        """Check format and signature against the pinned signers, then index the bundle."""
        if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
            found = bundle.get("format") if isinstance(bundle, dict) else None
            raise TrustBundleError(
                f"not a trust bundle of format {BUNDLE_FORMAT} (found {found!r}): "
                "fetch a current bundle from the city"
            )
        signer = trusted_signer(bundle, trusted_signers, what="trust bundle")
        try:
            block = int(bundle["as_of_block"])
            histories = {}
            for entry in bundle["did_histories"]:
                history = DidHistory.from_json({**entry, "as_of_block": block})
                histories[history.did.address.lower()] = history
            batch_rows, single_rows, status_rows = read_tables(bundle)
            return cls(
                chain_id=int(bundle["chain_id"]),
                as_of_block=block,
                as_of_time=int(bundle["as_of_time"]),
                anchor_window=int(bundle["anchor_window"]),
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
                singles={
                    (r.department, r.credential_hash): AnchorInfo(
                        1, r.department, r.type_id, r.block, r.time, 0, r.time
                    )
                    for r in single_rows
                },
                batches={
                    (r.department, r.root): AnchorInfo(
                        1, r.department, r.type_id, r.block, r.time, 0, r.time
                    )
                    for r in batch_rows
                },
                statuses={
                    (r.department, r.credential_hash): (r.state, r.reason, r.changed_at)
                    for r in status_rows
                },
                max_age=max_age,
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

    def anchor(self, credential_hash: bytes, envelope: Envelope, department: bytes) -> AnchorInfo:
        batch = envelope.batch
        record: AnchorInfo | None
        if batch is None:
            record = self.singles.get((department, credential_hash))
        else:
            # As statusInBatch on chain: only what the department's root vouches for.
            record = self.batches.get((department, batch.root))
            if record is not None:
                leaf = leaf_hash(["bytes32"], [credential_hash])
                if process_proof(leaf, batch.proof) != batch.root:
                    record = None
                elif (department, credential_hash) in self.singles:
                    record = self.singles[(department, credential_hash)]
        if record is None:
            return NOT_ANCHORED
        status = self.statuses.get((department, credential_hash))
        if status is None:
            return record
        state, reason, changed_at = status
        return AnchorInfo(
            state, record.department, record.type_id, record.block, record.timestamp, reason,
            changed_at,
        )  # fmt: skip

    def department_of(self, address: str) -> bytes:
        return self.departments.get(address.lower(), b"\0" * 32)

    def is_accredited(self, department: bytes, type_id: bytes, at: int) -> bool:
        return any(
            d == department and t == type_id and start <= at and (end == 0 or at < end)
            for d, t, start, end in self.accreditations
        )
