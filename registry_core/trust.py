"""Signed trust bundles for offline verification.

A bundle is a snapshot of everything :mod:`registry_core.verification` needs, as of one block:

- ``did_histories``: the ERC-1056 events of *every* identity that has any (so a DID without an
  entry has the default document as of the bundle), with which issuer keys and rotations resolve
  as of any issuance block;
- ``departments``: which account acts for which department;
- ``accreditations``: every accreditation (department, type, window);
- ``credentials``: the status record of every credential that has one (anchored singly, or a batch
  member whose status changed): the revocation snapshot; ``batches``: every anchored batch root.

Signature (EIP-191 ``personal_sign``): the bundle's ``signer`` signs the text
``City Registry trust bundle\\nchain <chainId>\\nblock <asOfBlock>\\nsha3 0x<keccak256(RFC 8785
canonical JSON of the bundle without "signature")>``. Verifiers pin the signer's address (the key the
deployment designates for bundles; the API publishes it at ``GET /credentials/trust-bundle`` in
``signer`` and operators distribute it out of band) and refuse bundles signed by anyone else.

This module builds and signs bundles; :class:`registry_core.verification.TrustBundle` checks a
bundle's signature against the pinned signers and answers verification's questions from it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from registry_core.did import decode_did_logs, parse_did
from registry_core.errors import RegistryCoreError, RpcError
from registry_core.hashing import canonical_json
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient

BUNDLE_FORMAT = "city-trust-bundle/1"
_CHUNK = 500


class TrustBundleError(RegistryCoreError):
    """A trust bundle is malformed, not signed by a trusted key, or for another chain."""


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def unhex(text: str) -> bytes:
    """The bytes of a ``0x``-prefixed (or bare) hex string, as bundles write them."""
    return bytes.fromhex(text.removeprefix("0x"))


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


def build_trust_bundle(
    *, rpc: RpcClient, manifest: DeploymentManifest, signer: LocalAccount
) -> dict[str, Any]:
    """Read the chain as of its head block and return the signed bundle (a JSON object)."""
    block = rpc.block_number()
    head = rpc.request("eth_getBlockByNumber", [hex(block), False])
    did_registry = manifest.contract("EthereumDIDRegistry")
    status = manifest.contract("CredentialStatusRegistry")
    issuers = manifest.contract("TrustedIssuerRegistry")
    directory = manifest.contract("DepartmentDirectory")

    did_logs = rpc.get_logs(
        address=did_registry.address, from_block=did_registry.deploy_block, to_block=block
    )
    by_identity: dict[str, list[dict[str, Any]]] = {}
    for log in did_logs:
        identity = to_checksum_address("0x" + log["topics"][1][-40:])
        by_identity.setdefault(identity, []).append(log)
    histories = [
        decode_did_logs(
            did_registry.interface,
            parse_did(f"did:ethr:{hex(manifest.chain_id)}:{identity}"),
            logs,
            block,
        ).to_json()
        for identity, logs in sorted(by_identity.items())
    ]

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

    status_logs = rpc.get_logs(
        address=status.address, from_block=status.deploy_block, to_block=block
    )
    hashes: list[bytes] = []
    roots: list[bytes] = []
    for log in status_logs:
        decoded = status.interface.decode_log(log)
        if decoded is None:
            continue
        if decoded.name == "CredentialBatchAnchored":
            roots.append(bytes(decoded.args["root"]))
        elif decoded.name in ("CredentialAnchored", "CredentialBatchMemberRecorded"):
            hashes.append(bytes(decoded.args["credentialHash"]))
    hashes = list(dict.fromkeys(hashes))
    statuses = _calls(rpc, status, [("status", (h,)) for h in hashes], block)
    credentials = {
        _hex(h): [
            int(s[0]),
            _hex(bytes(s[1])),
            _hex(bytes(s[2])),
            int(s[3]),
            int(s[4]),
            int(s[5]),
            int(s[6]),
        ]
        for h, s in zip(hashes, statuses, strict=True)
    }
    batch_rows = _calls(rpc, status, [("batch", (r,)) for r in roots], block)
    batches = {
        _hex(r): [_hex(bytes(b[0])), _hex(bytes(b[1])), int(b[2]), int(b[3]), int(b[4])]
        for r, b in zip(roots, batch_rows, strict=True)
    }
    body: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "chain_id": manifest.chain_id,
        "as_of_block": block,
        "as_of_time": int(head["timestamp"], 16),
        "created_at": int(time.time()),
        "contracts": {
            name: manifest.address(name)
            for name in (
                "EthereumDIDRegistry",
                "CredentialStatusRegistry",
                "TrustedIssuerRegistry",
                "DepartmentDirectory",
            )
        },
        "did_histories": histories,
        "departments": departments,
        "accreditations": accreditations,
        "credentials": credentials,
        "batches": batches,
        "signer": signer.address,
    }
    return sign_bundle(body, signer)


def _message(body: dict[str, Any]) -> str:
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    digest = keccak(canonical_json(unsigned)).hex()
    return (
        f"City Registry trust bundle\nchain {body.get('chain_id')}\n"
        f"block {body.get('as_of_block')}\nsha3 0x{digest}"
    )


def sign_bundle(body: dict[str, Any], signer: LocalAccount) -> dict[str, Any]:
    body = {**body, "signer": signer.address}
    signed = signer.sign_message(encode_defunct(text=_message(body)))
    return {**body, "signature": "0x" + bytes(signed.signature).hex()}


def bundle_signer(bundle: dict[str, Any]) -> str:
    """The address that signed the bundle (checksummed); TrustBundleError if it is malformed."""
    try:
        signature = unhex(str(bundle["signature"]))
        recovered = Account.recover_message(
            encode_defunct(text=_message(bundle)), signature=signature
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise TrustBundleError(f"the trust bundle's signature is malformed: {exc}") from exc
    if to_checksum_address(recovered) != to_checksum_address(
        str(bundle.get("signer", "0x" + "0" * 40))
    ):
        raise TrustBundleError("the trust bundle's signature does not match its signer")
    return str(to_checksum_address(recovered))
