"""Benchmark: credential issuance through the outbox against register single writes, in one run.

``python -m scripts.bench_credential_writes [--single N] [--credentials N] [--batch N] [--clients N]``

Starts its own anvil (temporary directory), deploys the city, gives FB02 a register key and FB32
a credential key (accredited for PARKING_PERMIT), starts the gateway and the API (uvicorn with its
worker process, SQLite), then with the same concurrent clients:

(a) baseline: single-record register writes (``202`` at once; each record its own call, the calls
    of one sender round sharing ``tryEach`` transactions): records/s until the last is anchored,
    p50/p99 from sending the request to "anchored";
(b) single credential issuances (``POST /credentials``: the request signs the VC-JWT, commits it
    with its outbox row and answers ``201`` once the sender anchored it; the single issuances of
    one round share one ``anchorBatch`` root as far as their QR codes allow): credentials/s until
    the last is anchored, p50/p99 to the answer (= anchored; a ``202`` is followed to "anchored");
(c) batch issuances (``POST /credentials/batch``, one root each): credentials/s, p50/p99 per
    request.
Targets: (b) >= 0.5x (a) (each credential is a signed JWT and a waited-for anchoring),
(c) >= 5x (a).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account

from registry_core.did import make_did
from registry_core.rpc import RpcClient
from scripts.bench_registers import (
    PASSPHRASE,
    REGISTER,
    create_register,
    single_writes,
    start_api,
)
from scripts.bench_timing import percentile
from scripts.services import free_port
from scripts.throwaway_city import ThrowawayCity, api_key

PERMIT = {"licensePlate": "AC-B 42", "zone": "B2"}


def _until_anchored(client: httpx.Client, response: httpx.Response) -> None:
    """A 202 (not mined within the API's wait) is followed to "anchored"."""
    if response.status_code == 201:
        return
    if response.status_code != 202:
        raise SystemExit(f"issuance refused: {response.text}")
    url = response.json()["status_url"]
    deadline = time.monotonic() + 300
    while client.get(url).json()["status"] != "anchored":
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not anchor")
        time.sleep(0.02)


def issuances(
    api_url: str, headers: dict[str, str], count: int, clients: int, batch: int
) -> dict[str, Any]:
    """``count`` credentials: one per request (``batch`` 0) or ``batch`` per request."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_request = max(batch, 1)
    requests = count // per_request

    def item() -> dict[str, Any]:
        return {"holder_did": make_did(Account.create().address, 52062), "claims": PERMIT}

    def worker(offset: int) -> None:
        with httpx.Client(base_url=api_url, headers=headers, timeout=120) as client:
            for _ in range(offset, requests, clients):
                if batch:
                    body: dict[str, Any] = {
                        "type": "PARKING_PERMIT",
                        "items": [item() for _ in range(batch)],
                    }
                    path = "/credentials/batch"
                else:
                    body, path = {"type": "PARKING_PERMIT", **item()}, "/credentials"
                started = time.perf_counter()
                response = client.post(path, json=body)
                _until_anchored(client, response)
                with lock:
                    latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "rate": requests * per_request / elapsed,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
    }


def anchorings(rpc: RpcClient, status: Any, actor: str) -> tuple[int, int]:
    """(anchorBatch transactions, credentials they declared) by the credential key."""
    roots = count = 0
    for entry in rpc.get_logs(address=status.address, from_block=0):
        event = status.interface.decode_log(entry)
        if event and event.name == "CredentialBatchAnchored" and event.args["actor"] == actor:
            roots += 1
            count += int(event.args["count"])
    return roots, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--single", type=int, default=600, help="register writes for (a)")
    parser.add_argument("--credentials", type=int, default=600, help="issuances for (b)")
    parser.add_argument("--batch", type=int, default=32, help="credentials per request in (c)")
    parser.add_argument("--batched", type=int, default=1280, help="credentials for (c)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    args = parser.parse_args(argv)

    with (
        tempfile.TemporaryDirectory(prefix="bench-credential-writes-") as tmp,
        ThrowawayCity(Path(tmp), passphrase=PASSPHRASE, credential_key="vc-fb32") as city,
    ):
        root, gateway_url, processes = city.root, city.gateway_url, city.processes
        env = city.api_env(data_dir=root / "api", CITY_API_CREDENTIAL_WAIT_SECONDS="30")
        registers = {"X-API-Key": api_key(env, "--department", "FB02", "--registers", REGISTER)}
        credentials = {
            "X-API-Key": api_key(
                env, "--department", "FB32", "--credential-types", "PARKING_PERMIT"
            )
        }
        api_port = free_port()
        processes.append(start_api(env=env, port=api_port, log_path=root / "api.log"))
        api_url = f"http://127.0.0.1:{api_port}"
        create_register(api_url, registers)

        print("chain: anvil (automine) behind the gateway; database: SQLite; workers: process")
        single = single_writes(api_url, registers, args.single, args.clients)
        print(
            f"(a) baseline, single-record register writes:   {single['rate']:8.1f} writes/s "
            f"({args.single}, {args.clients} clients); to anchored p50 "
            f"{single['p50'] * 1000:.0f} ms, p99 {single['p99'] * 1000:.0f} ms"
        )
        one = issuances(api_url, credentials, args.credentials, args.clients, batch=0)
        status = city.manifest.contract("CredentialStatusRegistry")
        with RpcClient(gateway_url) as rpc:
            roots, anchored = anchorings(rpc, status, city.fb32.address)
        print(
            f"(b) single credential issuances:               {one['rate']:8.1f} credentials/s "
            f"({args.credentials}, {args.clients} clients; {anchored} under {roots} roots, "
            f"{anchored / max(roots, 1):.1f} per root); to anchored p50 "
            f"{one['p50'] * 1000:.0f} ms, p99 {one['p99'] * 1000:.0f} ms"
        )
        batched = issuances(
            api_url, credentials, args.batched, max(1, args.clients // 4), batch=args.batch
        )
        print(
            f"(c) batch issuances ({args.batch} per request):        {batched['rate']:8.1f} "
            f"credentials/s ({args.batched}); per request to anchored p50 "
            f"{batched['p50'] * 1000:.0f} ms, p99 {batched['p99'] * 1000:.0f} ms"
        )
        ratio_b, ratio_c = one["rate"] / single["rate"], batched["rate"] / single["rate"]
        print(f"(b)/(a) = {ratio_b:.2f} (target >= 0.5: {'met' if ratio_b >= 0.5 else 'MISSED'})")
        print(f"(c)/(a) = {ratio_c:.1f} (target >= 5: {'met' if ratio_c >= 5 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
