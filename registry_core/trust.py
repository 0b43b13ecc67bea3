"""Building signed trust bundles for offline verification from the chain.

The format (``city-trust-bundle/2``, its delta ``city-trust-delta/1``, signatures) is in
:mod:`registry_core.trust_format`; its compact tables in :mod:`registry_core.trust_tables`. A bundle
as of one block holds:

- every identity's ERC-1056 events (a DID without an entry has the default document), with which
  issuer keys and rotations resolve as of any issuance block;
- which account acts for which department, and every accreditation;
- every anchored batch root and singly anchored credential (department, type, block, time): a
  credential in a batch is recognised by its Merkle proof against the root, as on chain;
- the status list: every credential whose status ever changed, with state, reason and block.

History comes from events (paged ``eth_getLogs``), current values from ``eth_call`` at the bundle's
block, so the bundle is a function of the chain as of that block: built later, or brought up to
date by a delta, it is the same bundle with the same signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from registry_core.did import decode_did_logs, parse_did
from registry_core.errors import RpcError
from registry_core.events import LogPager
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.trust_format import (
    BUNDLE_FORMAT,
    DEFAULT_ANCHOR_WINDOW,
    DELTA_FORMAT,
    TrustBundleError,
    apply_delta,
    bundle_signer,
    encode_tables,
    make_delta,
    read_tables,
    sign_bundle,
    trusted_signer,
    unhex,
)
from registry_core.trust_tables import BatchRow, SingleRow, StatusRow

__all__ = [
    "BUNDLE_FORMAT",
    "DEFAULT_ANCHOR_WINDOW",
    "DELTA_FORMAT",
    "TrustBundleError",
    "apply_delta",
    "build_trust_bundle",
    "bundle_signer",
    "make_delta",
    "read_tables",
    "sign_bundle",
    "trusted_signer",
    "unhex",
]

BUNDLE_CONTRACTS = (
    "EthereumDIDRegistry",
    "CredentialStatusRegistry",
    "TrustedIssuerRegistry",
    "DepartmentDirectory",
)
_CHUNK = 500
_STATUS_EVENTS = ("CredentialRevoked", "CredentialSuspended", "CredentialResumed")


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _calls(
    rpc: RpcClient, contract: Any, calls: Sequence[tuple[str, tuple[Any, ...]]], block: int
) -> list[Any]:
    """Many view calls as batched eth_call at one block, decoded."""
    results: list[Any] = []
    for start in range(0, len(calls), _CHUNK):
        chunk = calls[start : start + _CHUNK]
        replies = rpc.batch(
            [
                (
                    "eth_call",
                    [
                        {
                            "to": contract.address,
                            "data": "0x" + contract.interface.encode_call(name, *args).hex(),
                        },
                        hex(block),
                    ],
                )
                for name, args in chunk
            ]
        )
        for (name, _), reply in zip(chunk, replies, strict=True):
            if isinstance(reply, RpcError):
                raise reply
            results.append(contract.interface.decode_output(name, unhex(reply)))
    return results


def _did_histories(
    rpc: RpcClient, manifest: DeploymentManifest, block: int
) -> list[dict[str, Any]]:
    did_registry = manifest.contract("EthereumDIDRegistry")
    logs = LogPager(rpc).get_logs(
        address=did_registry.address, from_block=did_registry.deploy_block, to_block=block
    )
    by_identity: dict[str, list[dict[str, Any]]] = {}
    for log in logs:
        address = str(to_checksum_address("0x" + log["topics"][1][-40:]))
        by_identity.setdefault(address, []).append(log)
    histories = []
    for identity, identity_logs in by_identity.items():
        did = parse_did(f"did:ethr:{hex(manifest.chain_id)}:{identity}")
        entry = decode_did_logs(did_registry.interface, did, identity_logs, block).to_json()
        del entry["as_of_block"]  # the bundle's block: unchanged histories stay byte-identical
        histories.append(entry)
    return sorted(histories, key=lambda e: str(e["did"]))


def _directory(
    rpc: RpcClient, manifest: DeploymentManifest, block: int
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    directory = manifest.contract("DepartmentDirectory")
    issuers = manifest.contract("TrustedIssuerRegistry")
    (department_ids,) = _calls(rpc, directory, [("departmentIds", ())], block)
    accounts = _calls(rpc, directory, [("accountsOf", (d,)) for d in department_ids], block)
    departments = {
        str(account).lower(): _hex(bytes(dept))
        for dept, members in zip(department_ids, accounts, strict=True)
        for account in members
    }
    (count,) = _calls(rpc, issuers, [("accreditationCount", ())], block)
    records = _calls(
        rpc, issuers, [("accreditation", (i,)) for i in range(1, int(count) + 1)], block
    )
    accreditations = [
        {
            "department": _hex(bytes(r[0])),
            "type": _hex(bytes(r[1])),
            "valid_from": int(r[2]),
            "valid_until": int(r[3]),
        }
        for r in records
    ]
    return departments, accreditations


def _issuer_key(args: Any, name: str) -> tuple[bytes, bytes]:
    """(issuing department, hash or root) of a CredentialStatusRegistry event."""
    return bytes(args["issuerDepartment"]), bytes(args[name])


def _status_tables(
    rpc: RpcClient, manifest: DeploymentManifest, block: int
) -> tuple[list[BatchRow], list[SingleRow], list[StatusRow]]:
    status = manifest.contract("CredentialStatusRegistry")
    logs = LogPager(rpc).get_logs(
        address=status.address, from_block=status.deploy_block, to_block=block
    )
    # Records are per issuing department on chain: every key is (department, hash or root).
    roots: list[tuple[bytes, bytes]] = []
    singles: list[tuple[bytes, bytes]] = []
    changed: dict[tuple[bytes, bytes], int] = {}  # -> block of its last status change
    for log in logs:
        decoded = status.interface.decode_log(log)
        if decoded is None:
            continue
        if decoded.name == "CredentialBatchAnchored":
            roots.append(_issuer_key(decoded.args, "root"))
        elif decoded.name == "CredentialAnchored":
            singles.append(_issuer_key(decoded.args, "credentialHash"))
        elif decoded.name in _STATUS_EVENTS:
            changed[_issuer_key(decoded.args, "credentialHash")] = int(log["blockNumber"], 16)
    batch_rows = [
        BatchRow(root, int(b[2]), int(b[3]), bytes(b[0]), bytes(b[1]), int(b[4]))
        for (_, root), b in zip(
            roots, _calls(rpc, status, [("batch", k) for k in roots], block), strict=True
        )
    ]
    single_rows = [
        SingleRow(h, int(s[3]), int(s[4]), bytes(s[1]), bytes(s[2]))
        for (_, h), s in zip(
            singles, _calls(rpc, status, [("status", k) for k in singles], block), strict=True
        )
    ]
    keys = list(changed)
    status_rows = [
        StatusRow(h, int(s[0]), int(s[5]), changed[(d, h)], int(s[6]), d)
        for (d, h), s in zip(
            keys, _calls(rpc, status, [("status", k) for k in keys], block), strict=True
        )
    ]
    return batch_rows, single_rows, status_rows


def build_trust_bundle(
    *,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    signer: LocalAccount,
    anchor_window: int = DEFAULT_ANCHOR_WINDOW,
    block: int | None = None,
) -> dict[str, Any]:
    """Read the chain as of ``block`` (default: the head) and return the signed bundle."""
    block = rpc.block_number() if block is None else block
    head = rpc.request("eth_getBlockByNumber", [hex(block), False])
    departments, accreditations = _directory(rpc, manifest, block)
    batches, singles, statuses = _status_tables(rpc, manifest, block)
    body: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "chain_id": manifest.chain_id,
        "as_of_block": block,
        "as_of_time": int(head["timestamp"], 16),
        "anchor_window": int(anchor_window),
        "contracts": {name: manifest.address(name) for name in BUNDLE_CONTRACTS},
        "did_histories": _did_histories(rpc, manifest, block),
        "departments": departments,
        "accreditations": accreditations,
        "tables": encode_tables(batches, singles, statuses),
    }
    return sign_bundle(body, signer)
