"""Soak: a steady mixed load on two API replicas for a long time, one replica restarted now and
then; at the end every accepted write must be on chain exactly once (``make soak``).

A throw-away city (anvil behind the gateway, the contracts, two departments) and two API
processes on one store (SQLite by default, ``--database-url`` for PostgreSQL). ``--clients``
clients send, round robin: single-record register writes, parking-permit issuances and online
verifications of issued credentials, each with an Idempotency-Key; a client whose replica does
not answer (it is being restarted) sends the same request to the other one, as a client behind a
load balancer would. Every ``--restart-every`` minutes one replica (in turn) is SIGKILLed (its
worker child dies with it; ``--restart-signal term`` stops it cleanly instead) and started again.

Progress every 30 s; at the end: throughput, p50/p99 per kind, errors, and after the outbox has
drained, lost (accepted, not anchored) and doubled (anchored more than once) writes, both 0.
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from sqlalchemy import func, select
from sqlmodel import col

from registry_api.chain import hub
from registry_api.core.db import make_engine, session_scope, upgrade
from registry_api.core.security import create_api_key
from registry_api.models.tables import Write
from registry_core.did import make_did
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.bench_timing import percentile
from scripts.services import free_port, stop, wait_until_up
from scripts.throwaway_city import ThrowawayCity

PASSPHRASE = "soak-only"  # noqa: S105  (throw-away keys of a temporary chain)
REGISTER = "SOAK"
SCHEMA = {"type": "object", "required": ["n"], "properties": {"n": {"type": "string"}}}
PERMIT = {"licensePlate": "AC-S 1", "zone": "B2"}
KINDS = ("register", "credential", "verify")
UNSETTLED = ("pending", "submitted", "held")


def say(message: str) -> None:
    print(message, flush=True)


@dataclass
class Replica:
    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "registry_api.main:app", "--port",
                 str(self.port), "--no-access-log"],
                env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        probe = httpx.Request("GET", f"{self.url}/health")
        wait_until_up(self.process, probe, name=self.name, log_path=self.log_path, timeout=120)

    def restart(self, how: str) -> float:
        """Stop (SIGKILL or SIGTERM) and start again; seconds until it answers again."""
        assert self.process is not None
        started = time.monotonic()
        if how == "kill":
            os.killpg(self.process.pid, signal.SIGKILL)  # the API and its worker child
            self.process.wait()
        else:
            stop(self.process, timeout=30)
        self.start()
        return time.monotonic() - started


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    failovers: int = 0
    records: list[str] = field(default_factory=list)  # accepted record ids
    credentials: list[str] = field(default_factory=list)  # accepted credential envelopes
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One client: sends its requests to its replica, the other one if that does not answer."""

    def __init__(self, number: int, replicas: list[Replica], tokens: dict[str, str]) -> None:
        self.number = number
        self.replicas = replicas
        self.tokens = tokens
        self.http = httpx.Client(timeout=60, trust_env=False)

    def send(self, stats: Stats, kind: str, path: str, body: dict[str, Any], token: str) -> Any:
        headers = {"Idempotency-Key": uuid.uuid4().hex} | ({"X-API-Key": token} if token else {})
        started = time.monotonic()
        deadline = started + 120
        response: httpx.Response | None = None
        for attempt in itertools.count():
            replica = self.replicas[(self.number + attempt) % len(self.replicas)]
            try:
                response = self.http.post(replica.url + path, json=body, headers=headers)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code < 500:
                break
            response = None
            if time.monotonic() > deadline:
                with stats.lock:
                    stats.errors[f"{kind}: no answer"] += 1
                return None
            with stats.lock:
                stats.failovers += 1
            time.sleep(0.2)
        assert response is not None
        with stats.lock:
            stats.latencies[kind].append(time.monotonic() - started)
            if response.status_code not in (200, 201, 202):
                stats.errors[f"{kind}: HTTP {response.status_code}"] += 1
                return None
        return response.json()

    def run(self, stats: Stats, until: float) -> None:
        for step in itertools.count(self.number):
            if time.monotonic() > until:
                return
            kind = KINDS[step % len(KINDS)]
            if kind == "register":
                answer = self.send(stats, kind, f"/registers/{REGISTER}/records",
                                   {"content": {"n": uuid.uuid4().hex}}, self.tokens["register"])  # fmt: skip
                if answer is not None:
                    with stats.lock:
                        stats.records.append(answer["record_id"])
            elif kind == "credential":
                holder = make_did(Account.create().address, 52062)
                body = {"type": "PARKING_PERMIT", "holder_did": holder, "claims": PERMIT}
                answer = self.send(stats, kind, "/credentials", body, self.tokens["credential"])
                if answer is not None:
                    with stats.lock:
                        stats.credentials.append(answer.get("credential") or answer["write_id"])
            else:
                with stats.lock:
                    issued = [c for c in stats.credentials[-50:] if "~" in c]
                if issued:
                    self.send(stats, kind, "/verify", {"payload": issued[-1]}, "")


def progress(stats: Stats, started: float, window: dict[str, int], seconds: float) -> str:
    """One progress line; ``window`` holds the counts of the last line, ``seconds`` ago."""
    with stats.lock:
        counts = {kind: len(stats.latencies[kind]) for kind in KINDS}
        recent = [x for kind in KINDS for x in stats.latencies[kind][window.get(kind, 0) :]]
        errors = sum(stats.errors.values())
        window.update(counts)
    minutes = (time.monotonic() - started) / 60
    return (
        f"[soak] {minutes:5.1f} min  " + "  ".join(f"{k} {v}" for k, v in counts.items())
        + f"  errors {errors}  last {seconds:.0f} s: {len(recent) / seconds:.1f} req/s, "
        f"p50 {percentile(recent, 0.5) * 1000:.0f} ms, p99 {percentile(recent, 0.99) * 1000:.0f} ms"
    )  # fmt: skip


def drain(database_url: str, timeout: float = 300) -> None:
    engine = make_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with session_scope(engine) as session:
                left = session.execute(
                    select(func.count()).where(col(Write.status).in_(UNSETTLED))
                ).scalar_one()
            if not left:
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"{left} write(s) still unsettled after {timeout:.0f} s")
            time.sleep(0.5)
    finally:
        engine.dispose()


def on_chain(rpc: RpcClient, manifest: DeploymentManifest, signer: str) -> tuple[Counter[str], int]:
    """(record id -> anchorings of its version 0 in the register, credential leaves of signer)."""
    anchored: Counter[str] = Counter()
    hub_contract = manifest.contract(hub.HUB)
    for entry in rpc.get_logs(address=hub_contract.address, from_block=0):
        event = hub_contract.interface.decode_log(entry)
        if (
            event
            and event.name == "RecordVersionAnchored"
            and int(event.args["versionIndex"]) == 0
            and event.args["registerId"] == hub.id32(REGISTER)
        ):
            anchored[hub.hx(event.args["recordId"])] += 1
    status = manifest.contract("CredentialStatusRegistry")
    leaves = 0
    for entry in rpc.get_logs(address=status.address, from_block=0):
        event = status.interface.decode_log(entry)
        if event and event.name == "CredentialBatchAnchored" and event.args["actor"] == signer:
            leaves += int(event.args["count"])
    return anchored, leaves


def make_tokens(database_url: str) -> dict[str, str]:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            _, register = create_api_key(
                session=session, department="FB02", registers=[REGISTER], credential_types=[]
            )
            _, credential = create_api_key(
                session=session,
                department="FB32",
                registers=[],
                credential_types=["PARKING_PERMIT"],
            )
    finally:
        engine.dispose()
    return {"register": register, "credential": credential}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, default=60, help="how long the load runs")
    parser.add_argument("--restart-every", type=float, default=10, help="minutes between restarts")
    parser.add_argument("--restart-signal", choices=["kill", "term"], default="kill")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--database-url", default="", help="the store (default: SQLite)")
    args = parser.parse_args(argv)

    with (
        tempfile.TemporaryDirectory(prefix="soak-") as tmp,
        ThrowawayCity(Path(tmp), passphrase=PASSPHRASE, credential_key="vc-fb32") as city,
    ):
        root, gateway_url = city.root, city.gateway_url
        replicas: list[Replica] = []
        try:
            database_url = args.database_url or f"sqlite:///{root / 'registry.db'}"
            env = city.api_env(
                data_dir=root,
                CITY_API_DATABASE_URL=database_url,
                CITY_API_FEE_TYPES="[]",
                CITY_API_RATE_LIMIT_PER_MINUTE="0",
            )
            tokens = make_tokens(database_url)
            replicas = [Replica(name, env, root / f"api-{name}.log") for name in ("a", "b")]
            for replica in replicas:
                replica.start()
            with httpx.Client(base_url=replicas[0].url, timeout=60) as client:
                created = client.post(
                    "/registers", json={"id": REGISTER, "name": "Soak", "schema": SCHEMA},
                    headers={"X-API-Key": tokens["register"]},
                )  # fmt: skip
                if created.status_code != 202:
                    raise SystemExit(f"register refused: {created.text}")
            drain(database_url)
            say(
                f"[soak] {args.minutes:g} min, {args.clients} clients, two replicas on "
                f"{'PostgreSQL' if database_url.startswith('postgresql') else 'SQLite'}, one {args.restart_signal}ed and "
                f"restarted every {args.restart_every:g} min; logs in {root}"
            )
            stats = Stats()
            started = time.monotonic()
            until = started + args.minutes * 60
            clients = [Client(n, replicas, tokens) for n in range(args.clients)]
            threads = [threading.Thread(target=c.run, args=(stats, until)) for c in clients]
            for thread in threads:
                thread.start()
            window: dict[str, int] = {}
            restarts: list[float] = []
            next_restart = started + args.restart_every * 60
            next_report = started + 30
            while any(thread.is_alive() for thread in threads):
                now = time.monotonic()
                if now >= next_restart and now < until - 30:
                    replica = replicas[len(restarts) % len(replicas)]
                    seconds = replica.restart(args.restart_signal)
                    restarts.append(seconds)
                    say(
                        f"[soak] replica {replica.name} {args.restart_signal}ed and back in {seconds:.1f} s"
                    )
                    next_restart += args.restart_every * 60
                if now >= next_report:
                    say(progress(stats, started, window, now - next_report + 30))
                    next_report = now + 30
                time.sleep(0.5)
            elapsed = time.monotonic() - started
            drain(database_url)
            with RpcClient(gateway_url) as rpc:
                anchored, leaves = on_chain(rpc, city.manifest, city.fb32.address)
            report(stats, elapsed, restarts, anchored, leaves)
            lost = len(set(stats.records) - set(anchored)) + max(0, len(stats.credentials) - leaves)
            doubled = sum(n - 1 for n in anchored.values() if n > 1) + max(
                0, leaves - len(stats.credentials)
            )
            say(f"[soak] lost {lost}, doubled {doubled}")
            return 0 if lost == doubled == 0 else 1
        finally:
            for replica in replicas:
                if replica.process is not None:
                    stop(replica.process, timeout=30)


def report(
    stats: Stats, elapsed: float, restarts: list[float], anchored: Counter[str], leaves: int
) -> None:
    total = sum(len(v) for v in stats.latencies.values())
    say(f"[soak] done: {total} requests in {elapsed / 60:.1f} min = {total / elapsed:.1f} req/s; "
        f"{len(restarts)} restart(s), back in {', '.join(f'{s:.1f}' for s in restarts) or '-'} s; "
        f"{stats.failovers} request(s) sent again to the other replica")  # fmt: skip
    for kind in KINDS:
        values = stats.latencies[kind]
        if values:
            say(f"[soak]   {kind:<10} {len(values):6d}  p50 {percentile(values, 0.5) * 1000:6.0f} ms"
                f"  p99 {percentile(values, 0.99) * 1000:6.0f} ms"
                f"  mean {statistics.fmean(values) * 1000:6.0f} ms")  # fmt: skip
    say(f"[soak]   errors: {dict(stats.errors) or 0}")
    say(f"[soak]   records accepted {len(stats.records)}, on chain {len(anchored)}; credentials "
        f"accepted {len(stats.credentials)}, leaves on chain {leaves}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
