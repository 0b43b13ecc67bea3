"""Benchmark: register writes through the API against raw transactions, on one chain in one run.

``python -m scripts.bench_registers [--baseline N] [--single N] [--bulk N] [--database-url URL]``

Starts its own anvil (temporary directory), deploys the city, adds department FB02 with a key,
starts the gateway and the API (uvicorn, as in production; SQLite unless ``--database-url``), then:

(a) baseline: raw signed no-op transactions sent one by one with web3 through the gateway, tx/s
    (until the last receipt);
(b) single-record writes through the API (concurrent clients; each record its own ``createRecord``
    call, the calls of one sender round sharing ``tryEach`` transactions): records/s until the last
    is anchored, and p50/p99 latency from sending the request to "anchored" (the API's
    ``anchored_at``);
(c) bulk writes through the API (Merkle batches): records/s until the last is anchored;
(d) gas per record for single anchoring (one record alone in its transaction, and within the
    shared transactions of (b)) and for batched anchoring (from the receipts).
Targets: (b) >= 0.8x (a), (c) >= 20x (a).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select
from sqlmodel import col
from web3 import Web3

from registry_api.models.tables import ChainTx, Write
from registry_core.rpc import RpcClient
from scripts.bench_timing import percentile
from scripts.services import free_port
from scripts.throwaway_city import ThrowawayCity, api_key

PASSPHRASE = "bench-only"  # noqa: S105  (throw-away keys of a temporary chain)
SCHEMA = {
    "type": "object",
    "required": ["business_name", "postal_code"],
    "properties": {
        "business_name": {"type": "string", "maxLength": 200},
        "postal_code": {"type": "string", "pattern": "^[0-9]{5}$"},
    },
}
REGISTER = "TRADE"


def start_api(
    *,
    env: dict[str, str],
    port: int,
    log_path: Path,
    workers: int = 1,
    app: str = "registry_api.main:app",
) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--port", str(port),
             "--no-access-log", "--log-level", "warning", "--workers", str(workers)],
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 120  # a loaded machine starts the API slowly

    def tail() -> str:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])

    while True:
        if process.poll() is not None:
            raise SystemExit(f"the API exited:\n{tail()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/registers", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.terminate()
            raise SystemExit(f"the API did not start within 120 s:\n{tail()}")
        time.sleep(0.05)


def baseline(gateway_url: str, sender: Any, count: int) -> float:
    """(a) raw signed no-op transactions one by one via web3, tx/s until the last receipt."""
    w3 = Web3(Web3.HTTPProvider(gateway_url))
    chain_id = w3.eth.chain_id
    nonce = w3.eth.get_transaction_count(sender.address)
    started = time.perf_counter()
    tx_hash: Any = b""
    for i in range(count):
        signed = sender.sign_transaction(
            {"type": 2, "chainId": chain_id, "nonce": nonce + i, "to": sender.address, "value": 0,
             "gas": 21_000, "maxFeePerGas": 0, "maxPriorityFeePerGas": 0, "data": b""}
        )  # fmt: skip
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.01)
    return count / (time.perf_counter() - started)


def _anchored(
    client: httpx.Client, write_ids: list[str], store_url: str | None = None
) -> list[dict[str, Any]]:
    """Wait until every write is anchored; return their status documents.

    Newest first: while the API is still anchoring, this client waits on one write (the last
    accepted, usually the last anchored) instead of reading thousands of finished ones and
    competing with the API for the CPU inside the measured interval. With ``store_url`` the rest
    are read from the API's store in one query once the newest is anchored (``GET /writes`` one
    by one takes minutes for 20,000 writes; the figures are the same columns).
    """
    results: list[dict[str, Any]] = []
    if store_url is not None and len(write_ids) > 1:
        results = _anchored(client, write_ids[-1:])
        return results + _anchored_in_store(store_url, write_ids[:-1])
    for write_id in reversed(write_ids):
        deadline = time.monotonic() + 300
        while True:
            body: dict[str, Any] = client.get(f"/writes/{write_id}").json()
            if body["status"] == "anchored":
                results.append(body)
                break
            if body["status"] == "failed" or time.monotonic() > deadline:
                raise SystemExit(f"write {write_id} did not anchor: {body}")
            time.sleep(0.01)
    return results


def _anchored_in_store(store_url: str, write_ids: list[str]) -> list[dict[str, Any]]:
    """``_anchored`` for writes read straight from the store: id, status, anchored_at, tx_hash."""
    engine = create_engine(store_url)
    deadline = time.monotonic() + 300
    try:
        while True:
            rows: list[Any] = []
            with engine.connect() as connection:
                for start in range(0, len(write_ids), 5000):
                    rows += connection.execute(
                        select(
                            col(Write.id),
                            col(Write.status),
                            col(Write.anchored_at),
                            col(ChainTx.tx_hash),
                        )
                        .outerjoin(ChainTx, col(ChainTx.id) == col(Write.tx_id))
                        .where(col(Write.id).in_(write_ids[start : start + 5000]))
                    ).all()
            failed = [r for r in rows if r.status == "failed"]
            if failed:
                raise SystemExit(f"write {failed[0].id} failed")
            if len(rows) == len(write_ids) and all(r.status == "anchored" for r in rows):
                return [
                    {"id": r.id, "anchored_at": _iso(r.anchored_at), "tx_hash": r.tx_hash}
                    for r in rows
                ]
            if time.monotonic() > deadline:
                raise SystemExit("writes did not anchor within 300 s")
            time.sleep(0.2)
    finally:
        engine.dispose()


def create_register(
    api_url: str, headers: dict[str, str], register: str = REGISTER, schema: Any = SCHEMA
) -> None:
    """``POST /registers`` ("Trade register") and wait until it is anchored."""
    with httpx.Client(base_url=api_url, headers=headers, timeout=30) as client:
        created = client.post(
            "/registers", json={"id": register, "name": "Trade register", "schema": schema}
        )
        if created.status_code != 202:
            raise SystemExit(f"register refused: {created.text}")
        _anchored(client, [created.json()["write_id"]])


def _iso(at: datetime) -> str:
    """SQLite gives naive datetimes back (stored in UTC)."""
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).isoformat()


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def single_writes(
    api_url: str | Sequence[str],
    headers: dict[str, str],
    count: int,
    clients: int,
    *,
    register: str = REGISTER,
    store_url: str | None = None,
) -> dict[str, Any]:
    """(b) one record per request, ``clients`` concurrent clients (spread over the replicas
    when ``api_url`` names several)."""
    urls = [api_url] if isinstance(api_url, str) else list(api_url)
    sent: dict[str, float] = {}
    lock = threading.Lock()

    def worker(offset: int) -> None:
        url = urls[offset % len(urls)]
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            for i in range(offset, count, clients):
                t = time.time()
                response = client.post(
                    f"/registers/{register}/records",
                    json={"content": {"business_name": f"Single {i} GmbH", "postal_code": "52062"}},
                )
                if response.status_code != 202:
                    raise SystemExit(f"single write refused: {response.text}")
                with lock:
                    sent[response.json()["write_id"]] = t

    start = time.time()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    accepted = time.time() - start
    with httpx.Client(base_url=urls[0], headers=headers, timeout=30) as client:
        done = _anchored(client, list(sent), store_url)
    end = max(_ts(d["anchored_at"]) for d in done)
    latencies = sorted(_ts(d["anchored_at"]) - sent[d["id"]] for d in done)
    return {
        "rate": count / (end - start),
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "tx_hashes": sorted({d["tx_hash"] for d in done}),
        "accept_rate": count / accepted,
    }


def bulk_writes(
    api_url: str | Sequence[str],
    headers: dict[str, str],
    count: int,
    per_request: int,
    *,
    register: str = REGISTER,
    store_url: str | None = None,
) -> dict[str, Any]:
    """(c) bulk requests of ``per_request`` records from two concurrent clients per replica
    (``api_url`` may name several)."""
    urls = [api_url] if isinstance(api_url, str) else list(api_url)
    clients = 2 * len(urls)
    write_ids: list[str] = []
    lock = threading.Lock()

    def worker(offset: int) -> None:
        url = urls[offset % len(urls)]
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            for r in range(offset, count // per_request, clients):
                records = [
                    {"business_name": f"Bulk {r}-{j} GmbH", "postal_code": "52064"}
                    for j in range(per_request)
                ]
                response = client.post(
                    f"/registers/{register}/records/bulk", json={"records": records}
                )
                if response.status_code != 202:
                    raise SystemExit(f"bulk write refused: {response.text}")
                with lock:
                    write_ids.extend(w["write_id"] for w in response.json()["writes"])

    start = time.time()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    accepted = time.time() - start
    with httpx.Client(base_url=urls[0], headers=headers, timeout=30) as client:
        done = _anchored(client, write_ids, store_url)
    end = max(_ts(d["anchored_at"]) for d in done)
    return {
        "rate": len(write_ids) / (end - start),
        "accept_rate": len(write_ids) / accepted,
        "tx_hashes": sorted({d["tx_hash"] for d in done}),
    }


def gas_per_record(
    rpc: RpcClient, hub: Any, tx_hashes: list[str], event_name: str
) -> tuple[float, int]:
    """Gas of the transactions over the records they anchored (events; a batch counts its leaves)."""
    gas = records = 0
    for tx_hash in tx_hashes:
        receipt = rpc.receipt(tx_hash)
        assert receipt is not None
        gas += int(receipt["gasUsed"], 16)
        for log in receipt["logs"]:
            event = hub.interface.decode_log(log)
            if event is not None and event.name == event_name:
                records += int(event.args["leafCount"]) if event_name == "BatchAnchored" else 1
    return gas / max(records, 1), records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--baseline", type=int, default=500, help="no-op transactions for (a)")
    parser.add_argument("--single", type=int, default=1000, help="single-record writes for (b)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients for (b)")
    parser.add_argument("--bulk", type=int, default=20_000, help="records for (c)")
    parser.add_argument("--per-request", type=int, default=1000, help="records per bulk request")
    parser.add_argument("--database-url", default="", help="SQLAlchemy URL (default: SQLite file)")
    parser.add_argument(
        "--workers",
        choices=["process", "thread", "separate"],
        default="process",
        help="where the senders and the indexer run: the API's child process (default), threads "
        "of the API process, or a separately started `python -m registry_api.worker`",
    )
    parser.add_argument("--api-workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args(argv)

    with (
        tempfile.TemporaryDirectory(prefix="bench-registers-") as tmp,
        ThrowawayCity(Path(tmp), passphrase=PASSPHRASE) as city,
    ):
        root, gateway_url, processes = city.root, city.gateway_url, city.processes
        fb32 = city.fb32  # sends the baseline's no-op transactions
        env = city.api_env(
            data_dir=root / "api",
            CITY_API_DATABASE_URL=args.database_url,
            CITY_API_BULK_MAX_RECORDS=str(args.per_request),
        )
        token = api_key(env, "--department", "FB02", "--registers", REGISTER)
        api_port = free_port()
        env["CITY_API_WORKERS"] = "off" if args.workers == "separate" else args.workers
        if args.workers == "separate":
            with (root / "worker.log").open("ab") as worker_log:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "registry_api.worker"],
                        env={**os.environ, **env},
                        stdout=worker_log,
                        stderr=subprocess.STDOUT,
                    )
                )
        processes.append(
            start_api(env=env, port=api_port, log_path=root / "api.log", workers=args.api_workers)
        )
        api_url = f"http://127.0.0.1:{api_port}"
        headers = {"X-API-Key": token}
        create_register(api_url, headers)

        print(
            f"chain: anvil (automine) behind the gateway; database: "
            f"{args.database_url or 'SQLite'}; workers: {args.workers}"
        )
        rate_a = baseline(gateway_url, fb32, args.baseline)
        print(
            f"(a) baseline, raw no-op txs one by one via web3: {rate_a:8.1f} tx/s ({args.baseline} txs)"
        )
        lone = single_writes(api_url, headers, 1, 1)  # for (d): a record alone in its tx
        single = single_writes(api_url, headers, args.single, args.clients)
        print(
            f"(b) single-record writes via the API:           {single['rate']:8.1f} records/s "
            f"({args.single} records, {args.clients} clients; accepted at {single['accept_rate']:.0f}/s); latency to anchored "
            f"p50 {single['p50'] * 1000:.0f} ms, p99 {single['p99'] * 1000:.0f} ms"
        )
        bulk = bulk_writes(api_url, headers, args.bulk, args.per_request)
        print(
            f"(c) bulk writes via the API:                     {bulk['rate']:8.1f} records/s "
            f"({args.bulk} records, {args.per_request} per request; accepted at {bulk['accept_rate']:.0f}/s)"
        )
        hub = city.manifest.contract("RegisterHub")
        with RpcClient(gateway_url) as rpc:
            gas_alone, _ = gas_per_record(rpc, hub, lone["tx_hashes"], "RecordVersionAnchored")
            gas_single, single_txs = gas_per_record(
                rpc, hub, single["tx_hashes"], "RecordVersionAnchored"
            )
            gas_batch, leaves = gas_per_record(rpc, hub, bulk["tx_hashes"], "BatchAnchored")
        print(
            f"(d) gas per record: single alone {gas_alone:,.0f}, single in (b)'s shared "
            f"transactions {gas_single:,.0f} ({single_txs} records in "
            f"{len(single['tx_hashes'])} txs); batched {gas_batch:,.1f} "
            f"({len(bulk['tx_hashes'])} batches, {leaves} leaves); "
            f"{gas_alone / gas_batch:.0f}x less than alone"
        )
        ratio_b, ratio_c = single["rate"] / rate_a, bulk["rate"] / rate_a
        print(
            f"ratios: (b)/(a) = {ratio_b:.2f} (target >= 0.8: {'met' if ratio_b >= 0.8 else 'MISSED'}); "
            f"(c)/(a) = {ratio_c:.1f} (target >= 20: {'met' if ratio_c >= 20 else 'MISSED'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
