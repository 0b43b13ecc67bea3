"""Trust bundle size benchmark (not a test): bundle and delta for 100,000 credentials, in one run.

Starts its own embedded chain (a block a second) on a free loopback port, deploys the city, seeds departments and
credential types, then builds the chain state directly (signed raw transactions in JSON-RPC
batches, no API): ``--credentials`` (100,000) credential hashes anchored as ``anchorBatch`` roots
of ``--group`` (16) each, and ``--revoked`` (1 %) of them revoked with their Merkle proofs. It
builds the bundle (``city-trust-bundle/2``) as of that block, then a day's changes: ``--day``
(1,000) issuances, each its own root (the worst case: the sender's quiet-hours groups of one), and
``--day-revoked`` (20) revocations, the bundle after them and the delta between both
(``city-trust-delta/1``), checks that applying the delta yields the later bundle exactly, and
prints sizes (compact JSON, as the API serves it) against the targets (bundle <= 2 MB, delta <=
50 KB) and against the same chain state written in the former format 1 (per-credential and
per-batch hex records), computed from the same rows in the same run.

Run: ``python -m scripts.bench_trust_bundle [--credentials 100000] [--group 16]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.codes import code_to_bytes32
from registry_core.manifest import DeploymentManifest
from registry_core.merkle import MerkleTree, leaf_hash
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from registry_core.trust import apply_delta, build_trust_bundle, make_delta, read_tables
from registry_core.verification import TrustBundle
from scripts.chain import EmbeddedChain
from scripts.services import free_port
from scripts.throwaway_city import deploy_with_council, seed_departments

BUNDLE_TARGET = 2 * 1024 * 1024
DELTA_TARGET = 50 * 1024
_SEND_BATCH = 100


class Sender:
    """One department key's transactions, signed locally, sent in JSON-RPC batches."""

    def __init__(self, rpc: RpcClient, account: LocalAccount, manifest: DeploymentManifest) -> None:
        self.rpc = rpc
        self.signer = Signer(account, rpc)
        self.status = manifest.contract("CredentialStatusRegistry")
        self.nonce = int(rpc.request("eth_getTransactionCount", [account.address, "pending"]), 16)
        self.pending: list[str] = []

    def call(self, function: str, *args: Any, gas: int) -> None:
        data = self.status.interface.encode_call(function, *args)
        raw = self.signer.sign(to=self.status.address, data=data, nonce=self.nonce, gas=gas)
        self.nonce += 1
        self.pending.append("0x" + raw.hex())
        if len(self.pending) >= _SEND_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            replies = self.rpc.batch([("eth_sendRawTransaction", [raw]) for raw in self.pending])
            failed = [r for r in replies if isinstance(r, Exception)]
            if failed:
                raise SystemExit(f"a transaction was refused: {failed[0]}")
            self.pending = []

    def settle(self) -> None:
        """Send what is left and wait until every transaction is mined (and succeeded)."""
        self.flush()
        deadline = time.monotonic() + 600
        address = self.signer.address
        while int(self.rpc.request("eth_getTransactionCount", [address, "latest"]), 16) < (
            self.nonce
        ):
            if time.monotonic() > deadline:
                raise SystemExit("transactions were not mined within 10 minutes")
            time.sleep(0.2)


def _issue(
    sender: Sender, type_id: bytes, count: int, group: int
) -> list[tuple[bytes, Any, bytes]]:
    """Anchor ``count`` random credential hashes in roots of ``group``; (hash, tree, leaf) each."""
    members: list[tuple[bytes, Any, bytes]] = []
    for start in range(0, count, group):
        hashes = [os.urandom(32) for _ in range(min(group, count - start))]
        leaves = [leaf_hash(["bytes32"], [h]) for h in hashes]
        tree = MerkleTree.of_leaves(leaves)
        sender.call("anchorBatch", tree.root, type_id, len(hashes), gas=250_000)
        members.extend((h, tree, leaf) for h, leaf in zip(hashes, leaves, strict=True))
    return members


def _revoke(sender: Sender, members: Sequence[tuple[bytes, Any, bytes]]) -> None:
    for credential_hash, tree, leaf in members:
        proof = tree.proof(leaf)
        sender.call(
            "revokeBatchMember",
            tree.root,
            proof,
            credential_hash,
            1,
            gas=300_000 + 5_000 * len(proof),
        )


def _size(document: dict[str, Any]) -> int:
    return len(json.dumps(document, separators=(",", ":")).encode())


def _format1_size(bundle: dict[str, Any]) -> int:
    """The same chain state in the former format 1: a hex record per batch and per credential
    with a record (the singles and every status change), everything else as in format 2."""
    batches, singles, statuses = read_tables(bundle)
    status_of = {s.credential_hash: s for s in statuses}
    records: dict[str, list[Any]] = {}
    for s in singles:
        st = status_of.get(s.credential_hash)
        records["0x" + s.credential_hash.hex()] = [
            st.state if st else 1, "0x" + s.department.hex(), "0x" + s.type_id.hex(), s.block,
            s.time, st.reason if st else 0, st.changed_at if st else s.time,
        ]  # fmt: skip
    for st in statuses:
        records.setdefault(
            "0x" + st.credential_hash.hex(),
            [st.state, "0x" + "11" * 32, "0x" + "22" * 32, 0, 0, st.reason, st.changed_at],
        )
    former = {k: v for k, v in bundle.items() if k != "tables"}
    former["credentials"] = records
    former["batches"] = {
        "0x" + b.root.hex(): ["0x" + b.department.hex(), "0x" + b.type_id.hex(), b.block, b.time,
                              b.size]
        for b in batches
    }  # fmt: skip
    former["created_at"] = int(time.time())
    return _size(former)


class _IntervalChain(EmbeddedChain):
    """The embedded chain with a block a second, many transactions each (as a QBFT network with
    a one-second block period): under automine, thousands of transactions from one sender stay
    pending (foundry issue 10122). State dumps only at exit."""

    def command(self) -> list[str]:
        return [*super().command(), "--block-time", "1"]


def run(args: argparse.Namespace) -> int:
    with (
        tempfile.TemporaryDirectory(prefix="bench-trust-") as tmp,
        _IntervalChain(data_dir=Path(tmp) / "chain", port=free_port(), state_interval=3600) as node,
        RpcClient(node.url, timeout=120) as rpc,
    ):
        return _bench(rpc, Path(tmp), args)


def _bench(rpc: RpcClient, tmp: Path, args: argparse.Namespace) -> int:
    council, manifest = deploy_with_council(rpc, tmp / "deployments")
    keys = seed_departments(rpc, manifest, council, credential_types=True)
    sender = Sender(rpc, keys["FB33"], manifest)
    type_id = code_to_bytes32("RESIDENCE_CERT")
    chooser = random.Random(13)  # noqa: S311 -- which credentials to revoke, not a secret

    started = time.perf_counter()
    members = _issue(sender, type_id, args.credentials, args.group)
    _revoke(sender, chooser.sample(members, args.revoked))
    sender.settle()
    state_s = time.perf_counter() - started
    signer = Account.create()
    started = time.perf_counter()
    bundle = build_trust_bundle(rpc=rpc, manifest=manifest, signer=signer)
    build_s = time.perf_counter() - started

    day = _issue(sender, type_id, args.day, 1)
    _revoke(sender, chooser.sample(members + day, args.day_revoked))
    sender.settle()
    later = build_trust_bundle(rpc=rpc, manifest=manifest, signer=signer)
    delta = make_delta(later, bundle["as_of_block"], signer)
    started = time.perf_counter()
    merged = apply_delta(bundle, delta, trusted_signers=[signer.address])
    TrustBundle.load(merged, trusted_signers=[signer.address])
    apply_s = time.perf_counter() - started
    if merged != later:
        raise SystemExit("applying the delta did not yield the later bundle")

    bundle_size, delta_size, later_size = _size(bundle), _size(delta), _size(later)
    former = _format1_size(bundle)
    batches = len(read_tables(bundle)[0])
    print(
        f"chain state: {args.credentials:,} credentials in {batches:,} roots of {args.group}, "
        f"{args.revoked:,} revoked ({state_s:.1f} s); bundle built in {build_s:.1f} s"
    )
    print(
        f"bundle as of block {bundle['as_of_block']}: {bundle_size:,} bytes "
        f"({bundle_size / args.credentials:.2f} bytes/credential); the same state in format 1: "
        f"{former:,} bytes; ratio {bundle_size / former:.3f}x"
    )
    print(
        f"a day: {args.day:,} issuances as {args.day:,} roots of one, {args.day_revoked} "
        f"revocations -> delta {delta_size:,} bytes (blocks {delta['base_block']}.."
        f"{delta['as_of_block']}); the full bundle after it: {later_size:,} bytes; ratio "
        f"{delta_size / later_size:.3f}x; applied and checked in {apply_s * 1e3:.0f} ms"
    )
    bundle_ok, delta_ok = bundle_size <= BUNDLE_TARGET, delta_size <= DELTA_TARGET
    print(
        f"targets: bundle <= 2 MB {'met' if bundle_ok else 'MISSED'} "
        f"({bundle_size / BUNDLE_TARGET:.3f}x of the limit); delta <= 50 KB "
        f"{'met' if delta_ok else 'MISSED'} ({delta_size / DELTA_TARGET:.3f}x of the limit)"
    )
    return 0 if bundle_ok and delta_ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--credentials", type=int, default=100_000)
    parser.add_argument("--group", type=int, default=16, help="credentials per anchored root")
    parser.add_argument("--revoked", type=int, default=1_000)
    parser.add_argument("--day", type=int, default=1_000, help="a day's issuances (delta)")
    parser.add_argument("--day-revoked", type=int, default=20)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
