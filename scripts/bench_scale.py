"""Benchmark: the API on PostgreSQL and with replicas, against SQLite and a bare FastAPI app.

``python -m scripts.bench_scale [--database-url URL] [--bulk N] [--single N] [--clients N]
[--api-workers N]``

One run on one chain (its own anvil behind the gateway, temporary directory), printing:

(a) the raw baseline: signed no-op transactions one by one via web3 (tx/s);
(b) bulk anchoring (Merkle batches, ``--per-request`` records per request, two clients per
    replica; records/s until the last is anchored) on SQLite with one API, on PostgreSQL with one
    API, and on PostgreSQL with two API replicas (separate processes, each with its own worker
    process; one sender per signer holds the lease): PostgreSQL / SQLite (target >= 0.8),
    PostgreSQL / baseline (>= 20), two replicas / one (>= 1.0: replicas do not slow each
    other down);
(c) single-record writes on PostgreSQL (``--clients`` concurrent clients; records/s until the last
    is anchored, p50/p99 from sending the request to anchored) against a bare FastAPI POST
    endpoint (``scripts/bare_api.py``) under the same uvicorn settings and the same clients
    (requests/s, p50/p99 per request): target >= 0.25x, p99 <= 150 ms.

Each store gets a signer key of its own (another account of department FB02), so no store finds
transactions on chain that it never signed. PostgreSQL databases ``<name>_scale1`` and
``<name>_scale2`` are created next to the one ``--database-url`` names (default
``DATABASE_URL_POSTGRES``) and dropped afterwards. The load average is printed with every
section: on a shared machine the figures are only as quiet as it is.
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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url, text

from scripts.bench_registers import (
    PASSPHRASE,
    baseline,
    bulk_writes,
    create_register,
    single_writes,
    start_api,
)
from scripts.bench_timing import percentile
from scripts.services import free_port
from scripts.throwaway_city import ThrowawayCity, api_key, stop_all

DEFAULT_POSTGRES = os.environ.get(
    "DATABASE_URL_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass(frozen=True)
class Store:
    """One configuration measured: a store, how many API replicas, the signer key it uses."""

    name: str
    url: str
    replicas: int
    key: str  # keystore entry of its FB02 signer


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


@contextmanager
def postgres_database(base_url: str, suffix: str) -> Iterator[str]:
    """A fresh database next to ``base_url``'s, dropped afterwards."""
    url = make_url(base_url)
    name = f"{url.database}_{suffix}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def api_env(city: ThrowawayCity, store: Store, per_request: int) -> dict[str, str]:
    """The API's environment for ``store``: its own data directory, database and FB02 signer."""
    return city.api_env(
        data_dir=city.root / f"api-{store.name}",
        signer=store.key,
        CITY_API_DATABASE_URL=store.url,
        CITY_API_BULK_MAX_RECORDS=str(per_request),
        CITY_API_WORKERS="process",
    )


@contextmanager
def replicas(
    city: ThrowawayCity, store: Store, register: str, per_request: int, api_workers: int
) -> Iterator[tuple[list[str], dict[str, str]]]:
    """The store's API replicas, running, with an API key of FB02 and ``register`` anchored."""
    env = api_env(city, store, per_request)
    token = api_key(env, "--department", "FB02", "--registers", register)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        urls = []
        for index in range(store.replicas):
            port = free_port()
            log_path = city.root / f"api-{store.name}-{index}.log"
            processes.append(start_api(env=env, port=port, log_path=log_path, workers=api_workers))
            urls.append(f"http://127.0.0.1:{port}")
        headers = {"X-API-Key": token}
        create_register(urls[0], headers, register)
        yield urls, headers
    finally:
        stop_all(processes)


def bare_posts(url: str, count: int, clients: int) -> dict[str, Any]:
    """The bare FastAPI endpoint under ``bench_registers.single_writes``' load: requests/s and
    per-request latency."""
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(offset: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            for i in range(offset, count, clients):
                t = time.perf_counter()
                response = client.post(
                    "/echo",
                    json={"content": {"business_name": f"Single {i} GmbH", "postal_code": "52062"}},
                )
                took = time.perf_counter() - t
                if response.status_code != 202:
                    raise SystemExit(f"bare endpoint answered {response.status_code}")
                with lock:
                    latencies.append(took)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "rate": count / elapsed,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
    }


def verdict(value: float, target: float) -> str:
    return f"target >= {target:g}: {'met' if value >= target else 'MISSED'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES, help="a PostgreSQL URL")
    parser.add_argument("--baseline", type=int, default=500, help="no-op transactions for (a)")
    parser.add_argument("--bulk", type=int, default=20_000, help="records per store for (b)")
    parser.add_argument("--per-request", type=int, default=1000, help="records per bulk request")
    parser.add_argument("--single", type=int, default=1000, help="single-record writes for (c)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients for (c)")
    parser.add_argument("--api-workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        root = Path(tmp)
        keys = ["dept-fb02-sqlite", "dept-fb02-pg1", "dept-fb02-pg2"]
        with (
            ThrowawayCity(root, passphrase=PASSPHRASE, fb02_keys=keys) as city,
            postgres_database(args.database_url, "scale1") as pg1,
            postgres_database(args.database_url, "scale2") as pg2,
        ):
            stores = [
                Store("sqlite", f"sqlite:///{root / 'sqlite' / 'registry.db'}", 1, keys[0]),
                Store("pg1", pg1, 1, keys[1]),
                Store("pg2", pg2, 2, keys[2]),
            ]
            print(
                f"chain: anvil (automine) behind the gateway; uvicorn workers per API: "
                f"{args.api_workers}; {load()}"
            )
            rate_a = baseline(city.gateway_url, city.fb32, args.baseline)
            print(f"(a) baseline, raw no-op txs one by one via web3: {rate_a:8.1f} tx/s")
            bulk: dict[str, float] = {}
            single: dict[str, Any] = {}
            for number, store in enumerate(stores, 1):
                register = f"TRADE{number}"
                with replicas(city, store, register, args.per_request, args.api_workers) as (
                    urls,
                    headers,
                ):
                    result = bulk_writes(
                        urls, headers, args.bulk, args.per_request,
                        register=register, store_url=store.url,
                    )  # fmt: skip
                    bulk[store.name] = result["rate"]
                    print(
                        f"(b) bulk, {store.name:6} ({store.replicas} API): {result['rate']:8.1f} "
                        f"records/s ({args.bulk} records; accepted at "
                        f"{result['accept_rate']:.0f}/s); {load()}"
                    )
                    if store.name == "pg1":
                        single = single_writes(
                            urls, headers, args.single, args.clients,
                            register=register, store_url=store.url,
                        )  # fmt: skip
                        print(
                            f"(c) single-record writes, pg1: {single['rate']:8.1f} records/s "
                            f"({args.single} records, {args.clients} clients; accepted at "
                            f"{single['accept_rate']:.0f}/s); to anchored p50 "
                            f"{single['p50'] * 1000:.0f} ms, p99 {single['p99'] * 1000:.0f} ms; "
                            f"{load()}"
                        )
            port = free_port()
            bare_process = start_api(
                env={}, port=port, log_path=root / "bare.log", workers=args.api_workers,
                app="scripts.bare_api:app",
            )  # fmt: skip
            try:
                bare = bare_posts(f"http://127.0.0.1:{port}", args.single * 4, args.clients)
            finally:
                stop_all([bare_process])
            print(
                f"(c) bare FastAPI POST, same clients:  {bare['rate']:8.1f} requests/s; per "
                f"request p50 {bare['p50'] * 1000:.1f} ms, p99 {bare['p99'] * 1000:.1f} ms; "
                f"{load()}"
            )
            pg_sqlite = bulk["pg1"] / bulk["sqlite"]
            pg_base = bulk["pg1"] / rate_a
            two_one = bulk["pg2"] / bulk["pg1"]
            single_bare = single["rate"] / bare["rate"]
            p99_ms = single["p99"] * 1000
            print(
                f"ratios: bulk PostgreSQL / SQLite = {pg_sqlite:.2f} ({verdict(pg_sqlite, 0.8)}); "
                f"bulk PostgreSQL / baseline = {pg_base:.1f} ({verdict(pg_base, 20)}); "
                f"bulk two replicas / one = {two_one:.2f} ({verdict(two_one, 1.0)}); "
                f"single writes / bare FastAPI = {single_bare:.2f} ({verdict(single_bare, 0.25)}), "
                f"p99 to anchored {p99_ms:.0f} ms (target <= 150: "
                f"{'met' if p99_ms <= 150 else 'MISSED'})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
