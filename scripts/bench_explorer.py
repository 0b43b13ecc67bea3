"""Benchmark: the explorer's indexer against raw ``eth_getLogs``, and its pages' server time.

``python -m scripts.bench_explorer [--events N] [--rounds R] [--requests M]``

Starts its own anvil (temporary directory), deploys the city, lets the council add the demo
departments and allow FB02 to create registers, then FB02 anchors N record versions (default
50,000) in ``tryEach`` batches of 128 ``createRecord`` calls, plus one record with three versions.

(a) Indexing from block 0: the explorer's full rebuild (``Indexer.rebuild``: eth_getLogs pages,
decoding, the transactions' signers, SQLite writes) against the baseline of raw ``eth_getLogs``
over the same block range with the same page size (what any indexer must at least do), in
alternating rounds; events/s of each and the ratio (target >= 0.5).

(b) Server time of the record-history page and the home page (the explorer's ``Server-Timing``
header: from request to the start of its answer, page rendered; requests in-process through
``TestClient``; the node answers over HTTP): p50 and p99 (target p50 <= 50 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from explorer.app import create_app
from explorer.config import ExplorerSettings
from registry_core.codes import code_to_bytes32
from registry_core.events import DEFAULT_PAGE_BLOCKS, LogPager
from registry_core.keccak import keccak256
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from scripts.bench_timing import Measured
from scripts.chain import EmbeddedChain
from scripts.demo_city import seed_demo_city
from scripts.demo_registers import allow_register_creators
from scripts.services import free_port
from scripts.throwaway_city import deploy_with_council

CALLS_PER_TX = 128
GAS_PER_TX = 25_000_000
TARGET_INDEX_RATIO = 0.5
TARGET_P50_MS = 50.0
REGISTER = code_to_bytes32("BENCH")


class ScratchChain(EmbeddedChain):
    """The embedded chain without its state file: with 50,000 records, anvil's dump of the whole
    state every second (the embedded chain's durability) would dominate the seeding."""

    def command(self) -> list[str]:
        command = super().command()
        for flag in ("--state", "--state-interval"):
            at = command.index(flag)
            del command[at : at + 2]
        return command


def seed(rpc: RpcClient, manifest: DeploymentManifest, council: list[LocalAccount], n: int) -> str:
    """N anchored versions (N RecordVersionAnchored events) and one record with three versions;
    returns that record's id."""
    accounts = {code: Account.create() for code in ("FB02", "FB33", "FB32")}
    seed_demo_city(rpc=rpc, manifest=manifest, council=council, accounts=accounts)
    fb02 = accounts["FB02"]
    allow_register_creators(rpc=rpc, manifest=manifest, council=council, codes=["FB02"])
    hub = manifest.contract("RegisterHub")
    signer = Signer(fb02, rpc)
    signer.transact(
        to=hub.address, interface=hub.interface,
        data=hub.interface.encode_call("createRegister", REGISTER, "Bench", keccak256(b"s"),
                                       code_to_bytes32("FB02")),
    )  # fmt: skip
    nonce = rpc.nonce(signer.address)
    raws = []
    for start in range(0, n, CALLS_PER_TX):
        calls = [
            hub.interface.encode_call("createRecord", REGISTER, os.urandom(32), os.urandom(32))
            for _ in range(min(CALLS_PER_TX, n - start))
        ]
        data = hub.interface.encode_call("tryEach", calls)
        raws.append(signer.sign(to=hub.address, data=data, nonce=nonce, gas=GAS_PER_TX))
        nonce += 1
    # One at a time: several pending transactions of one sender can stay pending under anvil's
    # automine (foundry issue 10122).
    for raw in raws:
        rpc.wait_for_receipt(rpc.send_raw_transaction(raw), timeout=120)
    record = os.urandom(32)
    first, second, third = os.urandom(32), os.urandom(32), os.urandom(32)
    for function, args in (
        ("createRecord", (REGISTER, record, first)),
        ("amendRecord", (record, second, first)),
        ("amendRecord", (record, third, second)),
    ):
        signer.transact(to=hub.address, data=hub.interface.encode_call(function, *args),
                        interface=hub.interface)  # fmt: skip
    return "0x" + record.hex()


def raw_logs(rpc: RpcClient, addresses: list[str], head: int) -> int:
    pager = LogPager(rpc, page_blocks=DEFAULT_PAGE_BLOCKS)
    return sum(len(p.logs) for p in pager.pages(address=addresses, from_block=0, to_block=head))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-explorer-") as tmp:
        root = Path(tmp)
        chain = ScratchChain(data_dir=root / "chain", port=free_port())
        chain.start()
        try:
            return run(chain, root, args.events, args.rounds, args.requests)
        finally:
            chain.stop()


def run(chain: EmbeddedChain, root: Path, n: int, rounds: int, requests: int) -> int:
    with RpcClient(chain.url) as rpc:
        council, manifest = deploy_with_council(rpc, root / "deployments")
        began = time.perf_counter()
        record = seed(rpc, manifest, council, n)
        print(f"seeded {n} record versions in {time.perf_counter() - began:.1f} s")
        head = rpc.block_number()
        addresses = [c.address for c in manifest.contracts.values()]
        settings = ExplorerSettings(
            rpc_url=chain.url, deployments_dir=root / "deployments", data_dir=root / "explorer",
            poll_seconds=0, head_cache_seconds=1.0,
        )  # fmt: skip
        settings.data_dir.mkdir()
        app = create_app(settings, index=False)
        indexer = app.state.explorer.indexer
        raw_times, index_times = [], []
        logs = events = 0
        for _ in range(rounds):
            before = time.perf_counter()
            logs = raw_logs(rpc, addresses, head)
            raw_times.append(time.perf_counter() - before)
            before = time.perf_counter()
            events = indexer.rebuild().events
            index_times.append(time.perf_counter() - before)
    raw_rate = logs / statistics.median(raw_times)
    index_rate = events / statistics.median(index_times)
    ratio = index_rate / raw_rate
    print(f"\n(a) indexing blocks 0..{head} ({logs} logs), median of {rounds} alternating rounds")
    print(
        f"  raw eth_getLogs      {raw_rate:10.0f} events/s  ({statistics.median(raw_times):.2f} s)"
    )
    print(
        f"  explorer rebuild     {index_rate:10.0f} events/s  ({statistics.median(index_times):.2f} s, {events} events)"
    )

    pages = {"record history": f"/records/{record}", "home": "/"}
    results: dict[str, Measured] = {}
    with TestClient(app) as client:
        for path in pages.values():
            for _ in range(20):  # warm up: connections, templates, name book, code check
                assert client.get(path).status_code == 200
        for name, path in pages.items():
            latencies = []
            for _ in range(requests):
                response = client.get(path)
                assert response.status_code == 200, response.text[:200]
                timing = response.headers["server-timing"]  # app;dur=<ms>
                latencies.append(float(timing.split("dur=")[1]) / 1000)
            results[name] = Measured(len(latencies) / sum(latencies), latencies)
    print(
        f"\n(b) server time, {requests} requests per page (Server-Timing), cache of {events} events"
    )
    for name, measured in results.items():
        print(
            f"  {name:<16} p50 {measured.pct(0.5) * 1000:7.2f} ms   p99 {measured.pct(0.99) * 1000:7.2f} ms"
        )
    print()
    verdict = "met" if ratio >= TARGET_INDEX_RATIO else "missed"
    print(f"indexing ratio explorer/raw {ratio:.2f} (target >= {TARGET_INDEX_RATIO}): {verdict}")
    for name, measured in results.items():
        p50 = measured.pct(0.5) * 1000
        verdict = "met" if p50 <= TARGET_P50_MS else "missed"
        print(
            f"{name} p50 {p50:.1f} ms (target <= {TARGET_P50_MS:.0f} ms, ratio {p50 / TARGET_P50_MS:.2f}): {verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
