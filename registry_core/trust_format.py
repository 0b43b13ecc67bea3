"""Trust bundle ``city-trust-bundle/2`` and trust delta ``city-trust-delta/1``: layout, signatures,
deltas. (Building a bundle from the chain: :mod:`registry_core.trust`; answering verification's
questions from one: :class:`registry_core.verification.TrustBundle`.)

A **bundle** is a JSON object, as of one block::

    format          "city-trust-bundle/2"
    chain_id        the chain
    as_of_block     the block it describes; as_of_time: that block's timestamp
    anchor_window   seconds an issuance may take to be anchored (a credential issued later than
                    as_of_time - anchor_window and not in the bundle "cannot be confirmed offline yet")
    contracts       addresses of EthereumDIDRegistry, CredentialStatusRegistry,
                    TrustedIssuerRegistry, DepartmentDirectory
    did_histories   [{did, events}] every identity that has ERC-1056 events, sorted by did
    departments     {account (lower case): department bytes32}
    accreditations  [{department, type, valid_from, valid_until}]
    tables          {batches, singles, statuses}: see :mod:`registry_core.trust_tables`
    signer          the address that signed; signature: EIP-191 over the message below

Signed message: ``City Registry trust bundle\\nchain <id>\\nblock <as_of_block>\\nsha3 0x<digest>``,
digest = keccak256 of the RFC 8785 JSON of the bundle without ``signature`` and with each table
replaced by ``0x<keccak256(raw table bytes)>``.

A **delta** brings a bundle as of ``base_block`` to ``as_of_block``: the table rows anchored or
changed after ``base_block``, the full histories of identities with events after it, and the
(small) departments and accreditations in full. It is signed the same way (message ``City Registry
trust delta\\nchain <id>\\nblocks <base>..<as_of>\\nsha3 0x<digest>``) and carries
``bundle_signature``, the signature of the bundle as of ``as_of_block``: the bundle a verifier gets
by applying the delta must be that bundle exactly, so it stays a signed bundle (a tampered, partial
or misapplied delta is refused).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from registry_core.errors import RegistryCoreError
from registry_core.hashing import canonical_json
from registry_core.trust_tables import (
    TABLE_NAMES,
    BatchRow,
    SingleRow,
    StatusRow,
    TableError,
    decode_batches,
    decode_singles,
    decode_statuses,
    encode_batches,
    encode_singles,
    encode_statuses,
    pack,
    unpack,
)

BUNDLE_FORMAT = "city-trust-bundle/2"
DELTA_FORMAT = "city-trust-delta/1"
DEFAULT_ANCHOR_WINDOW = 3600


class TrustBundleError(RegistryCoreError):
    """A trust bundle or delta is malformed, not signed by a trusted key, or does not fit."""


def unhex(text: str) -> bytes:
    """The bytes of a ``0x``-prefixed (or bare) hex string, as bundles write them."""
    return bytes.fromhex(text.removeprefix("0x"))


Tables = tuple[list[BatchRow], list[SingleRow], list[StatusRow]]


def encode_tables(
    batches: Sequence[BatchRow], singles: Sequence[SingleRow], statuses: Sequence[StatusRow]
) -> dict[str, str]:
    return {
        "batches": pack(encode_batches(batches)),
        "singles": pack(encode_singles(singles)),
        "statuses": pack(encode_statuses(sorted(statuses))),
    }


def _raw_tables(body: dict[str, Any]) -> dict[str, bytes]:
    tables = body.get("tables")
    if not isinstance(tables, dict) or set(tables) != set(TABLE_NAMES):
        raise TrustBundleError(f"the tables must be exactly {', '.join(TABLE_NAMES)}")
    try:
        return {name: unpack(str(tables[name])) for name in TABLE_NAMES}
    except TableError as exc:
        raise TrustBundleError(exc.detail) from exc


def read_tables(body: dict[str, Any]) -> Tables:
    """The rows of a bundle's or delta's tables."""
    raw = _raw_tables(body)
    try:
        return (
            decode_batches(raw["batches"]),
            decode_singles(raw["singles"]),
            decode_statuses(raw["statuses"]),
        )
    except TableError as exc:
        raise TrustBundleError(f"malformed trust table: {exc.detail}") from exc


def _digest(body: dict[str, Any]) -> str:
    raw = _raw_tables(body)
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    unsigned["tables"] = {name: "0x" + keccak(raw[name]).hex() for name in TABLE_NAMES}
    return "0x" + keccak(canonical_json(unsigned)).hex()


def _message(body: dict[str, Any]) -> str:
    chain = body.get("chain_id")
    if body.get("format") == DELTA_FORMAT:
        blocks = f"{body.get('base_block')}..{body.get('as_of_block')}"
        return f"City Registry trust delta\nchain {chain}\nblocks {blocks}\nsha3 {_digest(body)}"
    return (
        f"City Registry trust bundle\nchain {chain}\nblock {body.get('as_of_block')}\n"
        f"sha3 {_digest(body)}"
    )


def sign_bundle(body: dict[str, Any], signer: LocalAccount) -> dict[str, Any]:
    """Sign a bundle or delta body (its ``signer`` becomes ``signer``'s address)."""
    body = {k: v for k, v in body.items() if k != "signature"}
    body["signer"] = signer.address
    signed = signer.sign_message(encode_defunct(text=_message(body)))
    return {**body, "signature": "0x" + bytes(signed.signature).hex()}


def bundle_signer(body: dict[str, Any]) -> str:
    """The address that signed a bundle or delta (checksummed); TrustBundleError if the signature
    is malformed or was not made by its ``signer`` over exactly this content."""
    if not isinstance(body, dict):
        raise TrustBundleError("a trust bundle is a JSON object")
    try:
        signature = unhex(str(body["signature"]))
        recovered = Account.recover_message(
            encode_defunct(text=_message(body)), signature=signature
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise TrustBundleError(f"the trust bundle's signature is malformed: {exc}") from exc
    if to_checksum_address(recovered) != to_checksum_address(
        str(body.get("signer", "0x" + "0" * 40))
    ):
        raise TrustBundleError("the trust bundle's signature does not match its signer")
    return str(to_checksum_address(recovered))


def trusted_signer(body: dict[str, Any], trusted_signers: Sequence[str], *, what: str) -> str:
    signer = bundle_signer(body)
    if signer.lower() not in {s.lower() for s in trusted_signers}:
        raise TrustBundleError(f"the {what} is signed by {signer}, which is not trusted")
    return signer


def _history_changed(entry: dict[str, Any], since_block: int) -> bool:
    return any(int(event["block"]) > since_block for event in entry["events"])


def make_delta(bundle: dict[str, Any], since_block: int, signer: LocalAccount) -> dict[str, Any]:
    """The signed delta that brings the bundle as of ``since_block`` to ``bundle`` (a signed
    bundle of a later or the same block)."""
    if bundle.get("format") != BUNDLE_FORMAT:
        raise TrustBundleError(f"not a trust bundle of format {BUNDLE_FORMAT}")
    if since_block > int(bundle["as_of_block"]):
        raise TrustBundleError(
            f"block {since_block} is newer than the bundle's block {bundle['as_of_block']}"
        )
    batches, singles, statuses = read_tables(bundle)
    body = {
        "format": DELTA_FORMAT,
        "chain_id": bundle["chain_id"],
        "base_block": since_block,
        "as_of_block": bundle["as_of_block"],
        "as_of_time": bundle["as_of_time"],
        "anchor_window": bundle["anchor_window"],
        "contracts": bundle["contracts"],
        "did_histories": [e for e in bundle["did_histories"] if _history_changed(e, since_block)],
        "departments": bundle["departments"],
        "accreditations": bundle["accreditations"],
        "tables": encode_tables(
            [r for r in batches if r.block > since_block],
            [r for r in singles if r.block > since_block],
            [r for r in statuses if r.changed_block > since_block],
        ),
        "bundle_signature": bundle["signature"],
    }
    return sign_bundle(body, signer)


def apply_delta(
    bundle: dict[str, Any], delta: dict[str, Any], *, trusted_signers: Sequence[str]
) -> dict[str, Any]:
    """The bundle that ``delta`` makes of ``bundle``; TrustBundleError if the delta is not signed
    by a trusted key, does not start at the bundle's block, or does not yield the signed bundle.

    The result still has to be loaded (:meth:`TrustBundle.load`), which checks its signature."""
    if not isinstance(delta, dict) or delta.get("format") != DELTA_FORMAT:
        raise TrustBundleError(f"not a trust delta of format {DELTA_FORMAT}")
    trusted_signer(delta, trusted_signers, what="trust update")
    try:
        base = int(delta["base_block"])
        if base != int(bundle["as_of_block"]):
            raise TrustBundleError(
                f"the update applies to a bundle as of block {base}, "
                f"not to this one as of block {bundle['as_of_block']}"
            )
        for key in ("chain_id", "contracts"):
            if delta[key] != bundle[key]:
                raise TrustBundleError(f"the update is for another deployment ({key} differs)")
        old_batches, old_singles, old_statuses = read_tables(bundle)
        new_batches, new_singles, new_statuses = read_tables(delta)
        if (
            any(r.block <= base for r in new_batches)
            or any(r.block <= base for r in new_singles)
            or any(r.changed_block <= base for r in new_statuses)
        ):
            raise TrustBundleError("the update holds rows that its base bundle has already")
        statuses = {(r.department, r.credential_hash): r for r in old_statuses}
        statuses.update(((r.department, r.credential_hash), r) for r in new_statuses)
        histories = {str(e["did"]): e for e in bundle["did_histories"]}
        histories.update((str(e["did"]), e) for e in delta["did_histories"])
        merged = {
            **{k: v for k, v in bundle.items() if k != "signature"},
            "as_of_block": delta["as_of_block"],
            "as_of_time": delta["as_of_time"],
            "anchor_window": delta["anchor_window"],
            "did_histories": [histories[did] for did in sorted(histories)],
            "departments": delta["departments"],
            "accreditations": delta["accreditations"],
            "tables": encode_tables(
                old_batches + new_batches, old_singles + new_singles, list(statuses.values())
            ),
            "signer": delta["signer"],
            "signature": delta["bundle_signature"],
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise TrustBundleError(f"malformed trust update: {exc}") from exc
    try:
        bundle_signer(merged)
    except TrustBundleError:
        raise TrustBundleError(
            "the update does not yield the city's signed bundle (altered or incomplete): "
            "fetch the full trust bundle"
        ) from None
    return merged
