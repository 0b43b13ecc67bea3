"""Benchmark: JSON-RPC reads and raw-transaction sends, direct to anvil vs through the gateway.

``python -m scripts.bench_gateway [--rounds N] [--transactions M]``

Starts its own anvil (temporary directory), deploys the city contracts, lets the council add a
department with one account, starts the gateway (``python -m gateway``, as in production), then in
one run times a small read mix sequentially with the project's own client
(:class:`registry_core.rpc.RpcClient`), alternating direct and gateway calls so machine noise hits
both alike. It prints per-method and overall mean/p50/p99 and the gateway/direct ratio (target:
at most 1.3), and the throughput of raw-transaction sends (the gateway adds decoding, sender recovery
and one ``eth_call`` to the permissioning contract per transaction).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.council import ADD_ACCOUNT, ADD_DEPARTMENT, decide
from registry_core.errors import RpcConnectionError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import Call, RpcClient
from scripts.bench_timing import percentile
from scripts.chain import EmbeddedChain
from scripts.deploy import deploy_city
from scripts.services import free_port

TARGET_RATIO = 1.3


def start_gateway(*, node_url: str, port: int, deployments_dir: Path, log_path: Path) -> Any:
    env = {**os.environ, "CITY_GATEWAY_LOG_LEVEL": "WARNING"}
    command = [
        sys.executable, "-m", "gateway",
        "--upstream-url", node_url,
        "--port", str(port),
        "--deployments-dir", str(deployments_dir),
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    with RpcClient(url, timeout=2.0) as rpc:
        while True:
            if process.poll() is not None:
                raise SystemExit(
                    f"the gateway exited with code {process.returncode}; see {log_path}"
                )
            try:
                rpc.block_number()
                return process
            except RpcConnectionError:
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"the gateway did not answer at {url}; see {log_path}"
                    ) from None
                time.sleep(0.05)


def read_mix(manifest: DeploymentManifest, receipt: dict[str, Any], sender: str) -> list[Call]:
    permissioning = manifest.contract("AccountPermissioning")
    directory = manifest.contract("DepartmentDirectory")
    allowed = permissioning.interface.encode_call(
        "transactionAllowed", sender, directory.address, 0, 0, 100_000, b""
    )
    return [
        ("eth_blockNumber", []),
        ("eth_chainId", []),
        ("eth_call", [{"to": permissioning.address, "data": "0x" + allowed.hex()}, "latest"]),
        ("eth_getBlockByNumber", [receipt["blockNumber"], False]),
        ("eth_getTransactionReceipt", [receipt["transactionHash"]]),
        (
            "eth_getLogs",
            [{"address": directory.address, "fromBlock": hex(directory.deploy_block)}],
        ),
    ]


def timed(rpc: RpcClient, method: str, params: Sequence[Any]) -> float:
    start = time.perf_counter()
    rpc.request(method, params)
    return time.perf_counter() - start


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.3f}"


def bench_reads(direct: RpcClient, gateway: RpcClient, mix: list[Call], rounds: int) -> float:
    names = [method for method, _ in mix]
    samples: dict[tuple[str, str], list[float]] = {
        (route, name): [] for route in ("direct", "gateway") for name in names
    }
    for rpc in (direct, gateway):  # warm up connections and the gateway's caches
        for _ in range(20):
            for method, params in mix:
                rpc.request(method, params)
    for _ in range(rounds):
        for method, params in mix:
            samples["direct", method].append(timed(direct, method, params))
            samples["gateway", method].append(timed(gateway, method, params))

    print(f"\nReads: {rounds} sequential calls per method and route (times in ms)")
    header = (
        f"{'method':<28}{'direct mean':>12}{'p50':>9}{'p99':>9}"
        f"{'gateway mean':>14}{'p50':>9}{'p99':>9}{'ratio':>8}"
    )
    print(header)
    print("-" * len(header))
    rows = [*names, "overall"]
    ratio = 0.0
    for name in rows:
        if name == "overall":
            print("-" * len(header))
            d = [s for n in names for s in samples["direct", n]]
            g = [s for n in names for s in samples["gateway", n]]
        else:
            d, g = samples["direct", name], samples["gateway", name]
        ratio = statistics.mean(g) / statistics.mean(d)
        print(
            f"{name:<28}{ms(statistics.mean(d)):>12}{ms(percentile(d, 0.5)):>9}"
            f"{ms(percentile(d, 0.99)):>9}{ms(statistics.mean(g)):>14}"
            f"{ms(percentile(g, 0.5)):>9}{ms(percentile(g, 0.99)):>9}{ratio:>8.2f}"
        )
    verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(
        f"overall gateway/direct ratio of means: {ratio:.2f} (target <= {TARGET_RATIO}): {verdict}"
    )
    return ratio


def signed_transfers(account: LocalAccount, chain_id: int, nonce: int, count: int) -> list[bytes]:
    """Zero-value self-transfers, signed up front so only sending is timed."""
    return [
        bytes(
            account.sign_transaction(
                {
                    "type": 2,
                    "chainId": chain_id,
                    "nonce": nonce + i,
                    "gas": 21_000,
                    "maxFeePerGas": 0,
                    "maxPriorityFeePerGas": 0,
                    "to": account.address,
                    "value": 0,
                }
            ).raw_transaction
        )
        for i in range(count)
    ]


def send_one_by_one(rpc: RpcClient, raws: list[bytes]) -> float:
    start = time.perf_counter()
    hashes = [rpc.send_raw_transaction(raw) for raw in raws]
    elapsed = time.perf_counter() - start
    rpc.wait_for_receipt(hashes[-1])
    return len(raws) / elapsed


def send_batched(rpc: RpcClient, raws: list[bytes], size: int = 100) -> float:
    start = time.perf_counter()
    last: object = None
    for offset in range(0, len(raws), size):
        calls: list[Call] = [
            ("eth_sendRawTransaction", ["0x" + raw.hex()]) for raw in raws[offset : offset + size]
        ]
        results = rpc.batch(calls)
        failed = [r for r in results if isinstance(r, Exception)]
        if failed:
            raise SystemExit(f"batch send failed: {failed[0]}")
        last = results[-1]
    elapsed = time.perf_counter() - start
    rpc.wait_for_receipt(str(last))
    return len(raws) / elapsed


def bench_sends(direct: RpcClient, gateway: RpcClient, account: LocalAccount, count: int) -> None:
    chain_id = direct.chain_id()
    print(f"\nRaw-transaction sends: {count} pre-signed transactions per run (transactions/s)")
    print(f"{'mode':<28}{'direct':>12}{'gateway':>12}{'ratio':>8}")
    for mode, send in (("one by one", send_one_by_one), ("batches of 100", send_batched)):
        rates = []
        for rpc in (direct, gateway):
            raws = signed_transfers(account, chain_id, direct.nonce(account.address), count)
            rates.append(send(rpc, raws))
        print(f"{mode:<28}{rates[0]:>12.0f}{rates[1]:>12.0f}{rates[0] / rates[1]:>8.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_gateway", description=__doc__)
    parser.add_argument("--rounds", type=int, default=500, help="calls per read method and route")
    parser.add_argument("--transactions", type=int, default=500, help="raw transactions per run")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        root = Path(tmp)
        deployments = root / "deployments"
        with EmbeddedChain(data_dir=root / "chain", port=free_port()) as chain:
            council = [Account.create() for _ in range(3)]
            department: LocalAccount = Account.create()
            with RpcClient(chain.url) as direct:
                manifest = deploy_city(
                    rpc=direct,
                    council_members=[key.address for key in council],
                    threshold=2,
                    deployments_dir=deployments,
                ).manifest
                for decision in (
                    ADD_DEPARTMENT.decide(department="FB02", name="Economic Development"),
                    ADD_ACCOUNT.decide(department="FB02", account=department.address),
                ):
                    receipt = decide(
                        rpc=direct, manifest=manifest, members=council, decision=decision
                    )
                port = free_port()
                process = start_gateway(
                    node_url=chain.url,
                    port=port,
                    deployments_dir=deployments,
                    log_path=root / "gateway.log",
                )
                try:
                    with RpcClient(f"http://127.0.0.1:{port}") as gateway:
                        print(
                            f"anvil {chain.url}  gateway http://127.0.0.1:{port}  python {sys.version.split()[0]}"
                        )
                        mix = read_mix(manifest, receipt, department.address)
                        bench_reads(direct, gateway, mix, args.rounds)
                        bench_sends(direct, gateway, department, args.transactions)
                finally:
                    process.terminate()
                    process.wait(15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
