"""Part (b) of ``scripts/bench_payments.py``: vouchers accepted per second over HTTP.

The API (``uvicorn registry_api.main:app``, its own process, workers off, SQLite store in WAL mode
as configured by default) takes one voucher per request (and then ``BATCH`` per request at
``POST /payments/vouchers``, one commit for them): JSON parsing, the voucher check with the
precomputed domain separator, the conditional update of the channel's highest voucher, commit,
answer. The baseline is a bare FastAPI POST endpoint in its own uvicorn process that parses the
same body into a pydantic model and answers: no check, no store. One HTTP client (keep-alive)
alternates between the two in chunks, so load from other processes hits both alike.

The channel's row is written into the API's store as the API writes it once an opening is mined
(``models/payment_tables.py``): the voucher path reads nothing else, and the opening is measured
by part (c). Its tariff rate is high enough that the cap never binds.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
from eth_account import Account
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlmodel import Session

from registry_api.core.db import make_engine, upgrade
from registry_api.models.payment_tables import PaymentChannelRow
from registry_core.codes import code_to_bytes32
from registry_core.manifest import DeploymentManifest
from registry_core.payments.channels import ChannelTerms
from registry_core.payments.signing import sign_voucher
from registry_core.payments.types import CHANNELS_CONTRACT, channels_domain
from registry_core.payments.wire import hex0x, terms_to_json
from scripts.bench_timing import Measured, interleaved

BATCH = 10  # vouchers per request in the batched run (POST /payments/vouchers)
bare_app = FastAPI()


class _Voucher(BaseModel):
    channel_id: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")
    cumulative_amount: int = Field(ge=0, lt=2**128)
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


@bare_app.post("/vouchers")
async def bare_voucher(body: _Voucher) -> dict[str, object]:
    return {"channel_id": body.channel_id, "accepted_amount": body.cumulative_amount}


def _serve(target: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port),
             "--no-access-log", "--log-level", "warning"],
            env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _up(client: httpx.Client, url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            client.get(url + "/openapi.json")
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def http_bench(
    *, manifest: DeploymentManifest, rpc_url: str, deployments_dir: Path, tmp: Path,
    seconds: float, ports: tuple[int, int],
) -> tuple[Measured, Measured, Measured, Measured]:  # fmt: skip
    """(bare, API one voucher per request), then (bare, API ``BATCH`` vouchers per request), each
    pair measured against each other."""
    data_dir = tmp / "api"
    (data_dir / "keys").mkdir(parents=True)
    database = f"sqlite:///{data_dir / 'registry.db'}"
    upgrade(database)
    payer = Account.create()
    domain = channels_domain(manifest.chain_id, manifest.contract(CHANNELS_CONTRACT).address)
    now = int(time.time())
    terms = ChannelTerms(
        payer=payer.address.lower(), department=code_to_bytes32("FB32"),
        tariff_id=code_to_bytes32("PARK_BENCH"), tariff_version=1, zone=code_to_bytes32("BENCH"),
        rate_per_unit=10**15, unit_seconds=60, deposit=10**18, starts_at=now - 60,
        expires_at=now + 86_400, nonce=os.urandom(32), deadline=now + 300,
    )  # fmt: skip
    channel_id = hex0x(terms.channel_id(domain))
    engine = make_engine(database)
    with Session(engine) as session:
        session.add(
            PaymentChannelRow(
                channel_id=channel_id,
                payer=terms.payer,
                department="FB32",
                tariff="PARK_BENCH",
                zone="BENCH",
                tariff_version=1,
                rate_per_unit=terms.rate_per_unit,
                unit_seconds=60,
                deposit=10**18,
                starts_at=terms.starts_at,
                expires_at=terms.expires_at,
                terms=terms_to_json(terms),
                state="open",
                open_write_id="bench",
                created_at=now,
                updated_at=now,
            )
        )
        session.commit()
    engine.dispose()
    count = max(8_000, int(seconds * 6_000))
    vouchers = [
        sign_voucher(key=payer.key, channels_domain=domain, channel_id=bytes.fromhex(channel_id[2:]), amount=a)
        for a in range(1, count + 1)
    ]  # fmt: skip
    bodies = [
        orjson.dumps({"channel_id": channel_id, "cumulative_amount": v.cumulative_amount,
                      "signature": hex0x(v.signature)})
        for v in vouchers
    ]  # fmt: skip
    env = {
        "CITY_API_RPC_URL": rpc_url, "CITY_API_DEPLOYMENTS_DIR": str(deployments_dir),
        "CITY_API_DATA_DIR": str(data_dir), "CITY_API_DATABASE_URL": database,
        "CITY_API_KEYS_DIR": str(data_dir / "keys"), "CITY_API_SIGNERS": "{}",
        "CITY_API_CREDENTIAL_KEYS": "{}", "CITY_API_WORKERS": "off",
    }  # fmt: skip
    api_port, bare_port = ports
    api = _serve("registry_api.main:app", api_port, env, tmp / "api.log")
    bare = _serve("scripts.bench_payments_http:bare_app", bare_port, {}, tmp / "bare.log")
    headers = {"content-type": "application/json"}
    api_url, bare_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{bare_port}"
    try:
        with httpx.Client(timeout=30, trust_env=False) as client:
            _up(client, api_url, api)
            _up(client, bare_url, bare)
            api_turn, bare_turn = itertools.count(), itertools.count()  # one stream of amounts
            voucher_path = f"{api_url}/payments/channels/{channel_id}/vouchers"
            batch_path = f"{api_url}/payments/vouchers"

            def baseline() -> None:
                body = bodies[next(bare_turn) % count]
                answer = client.post(f"{bare_url}/vouchers", content=body, headers=headers)
                assert answer.status_code == 200, answer.text

            def subject() -> None:
                answer = client.post(voucher_path, content=bodies[next(api_turn)], headers=headers)
                assert answer.status_code == 200, answer.text

            def batched() -> None:
                items = b",".join(bodies[next(api_turn)] for _ in range(BATCH))
                answer = client.post(
                    batch_path, content=b'{"vouchers":[' + items + b"]}", headers=headers
                )
                assert answer.status_code == 200 and answer.json()["accepted"] == BATCH, answer.text

            for _ in range(50):  # warm both up (connections, first imports)
                baseline()
                subject()
            bare_single, single = interleaved(baseline, subject, seconds, chunk=100)
            bare_batch, batch = interleaved(baseline, batched, seconds, chunk=20)
            return bare_single, single, bare_batch, batch
    finally:
        for process in (api, bare):
            process.terminate()
            process.wait(15)
