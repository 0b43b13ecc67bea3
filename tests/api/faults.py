"""Helpers of the fault tests (tests/api/test_fault_*.py): keys of their own, a private PostgreSQL,
a load of keyed requests from many threads, and counts read back from the chain.

Every fault test module gets department keys no other module uses (one key, one nonce stream,
owned by the module's API), so what it counts on chain is its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, create_engine, select

from registry_api.chain import hub
from registry_api.core.db import make_engine, session_scope, upgrade
from registry_api.models.tables import SenderLease, Write
from registry_core.council import (
    ACCREDIT_TYPE,
    ADD_ACCOUNT,
    ADD_DEPARTMENT,
    ALLOW_REGISTER_CREATOR,
    decide_missing,
)
from registry_core.did import make_did
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.demo_city import seed_demo_city
from scripts.demo_registers import allow_register_creators
from tests.api.conftest import PASSPHRASE, make_key
from tests.api_process import poll
from tests.conftest import free_port
from tests.fixture_keys import TEST_SCRYPT_N

DEPARTMENTS = ("FB02", "FB33", "FB32")
PERMIT = {"licensePlate": "AC-F 1", "zone": "B2"}
SCHEMA = {"type": "object", "required": ["n"], "properties": {"n": {"type": "string"}}}


@dataclass(frozen=True)
class FaultKeys:
    keys_dir: Path
    registers: dict[str, LocalAccount]  # dept-<code>
    credentials: dict[str, LocalAccount]  # vc-<code>


def _create(keystore: Keystore, name: str) -> LocalAccount:
    return keystore.create(name, PASSPHRASE, scrypt_n=TEST_SCRYPT_N)


def fault_keys(
    *, rpc: RpcClient, manifest: DeploymentManifest, council: list[LocalAccount], keys_dir: Path
) -> FaultKeys:
    """New register and credential keys of the three departments (test-only keys); FB02 and FB33
    may create registers."""
    keystore = Keystore(keys_dir)
    registers = {c: _create(keystore, f"dept-{c.lower()}") for c in DEPARTMENTS}
    credentials = {c: _create(keystore, f"vc-{c.lower()}") for c in DEPARTMENTS}
    seed_demo_city(rpc=rpc, manifest=manifest, council=council, accounts=registers)
    seed_demo_city(rpc=rpc, manifest=manifest, council=council, accounts=credentials)
    allow_register_creators(rpc=rpc, manifest=manifest, council=council, codes=["FB02", "FB33"])
    return FaultKeys(keys_dir, registers, credentials)


def own_department(
    *,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    council: list[LocalAccount],
    keys_dir: Path,
    code: str,
    credential_type: str = "PARKING_PERMIT",
) -> FaultKeys:
    """A department of the test's own (so suspending it touches nobody else): a register key and
    a credential key, allowed to create registers and accredited for ``credential_type``."""
    keystore = Keystore(keys_dir)
    register_key = _create(keystore, f"dept-{code.lower()}")
    credential_key = _create(keystore, f"vc-{code.lower()}")
    decisions = [
        ADD_DEPARTMENT.decide(department=code, name=f"Test department {code}"),
        ADD_ACCOUNT.decide(department=code, account=register_key.address),
        ADD_ACCOUNT.decide(department=code, account=credential_key.address),
        ALLOW_REGISTER_CREATOR.decide(department=code),
        ACCREDIT_TYPE.decide(
            department=code, credential_type=credential_type, valid_from=0, valid_until=0
        ),
    ]
    decide_missing(rpc=rpc, manifest=manifest, members=council, decisions=decisions)
    return FaultKeys(keys_dir, {code: register_key}, {code: credential_key})


def api_env(
    *, gateway_url: str, deployments_dir: Path, data_dir: Path, database_url: str, keys: FaultKeys
) -> dict[str, str]:
    return {
        "CITY_API_RPC_URL": gateway_url,
        "CITY_API_DEPLOYMENTS_DIR": str(deployments_dir),
        "CITY_API_DATA_DIR": str(data_dir),
        "CITY_API_DATABASE_URL": database_url,
        "CITY_API_KEYS_DIR": str(keys.keys_dir),
        "CITY_API_KEYSTORE_PASSPHRASE": PASSPHRASE,
        # Only the keys the fault tests write with (each unlock costs an scrypt run).
        "CITY_API_SIGNERS": json.dumps({"FB33": "dept-fb33"}),
        "CITY_API_CREDENTIAL_KEYS": json.dumps({"FB32": "vc-fb32"}),
        "CITY_API_INDEXER_POLL_SECONDS": "5",
    }


def keys_fixture() -> Any:
    """A module-scoped ``keys`` fixture: the fault test module's own keys
    (``keys = keys_fixture()`` in the module)."""

    @pytest.fixture(scope="module")
    def keys(
        gateway_rpc: RpcClient, credential_city: Any, tmp_path_factory: pytest.TempPathFactory
    ) -> FaultKeys:
        return fault_keys(
            rpc=gateway_rpc,
            manifest=credential_city.manifest,
            council=credential_city.council,
            keys_dir=tmp_path_factory.mktemp("fault-keys"),
        )

    return keys


@contextmanager
def held_back(engine: Engine, signers: list[str]) -> Iterator[None]:
    """Another live owner (elsewhere) holds the signers' leases: their senders wait."""
    with session_scope(engine) as session:
        for signer in signers:
            session.merge(
                SenderLease(
                    signer=signer,
                    owner="elsewhere:1:test",
                    expires_at=datetime.now(UTC) + timedelta(minutes=5),
                )
            )
    try:
        yield
    finally:
        with session_scope(engine) as session:
            session.execute(delete(SenderLease).where(col(SenderLease.signer).in_(signers)))


def drain(database_url: str, *, timeout: float = 120.0) -> dict[str, int]:
    """Wait until no write is pending, submitted or held; the outbox's counts by status then."""
    engine = create_engine(database_url)

    def settled() -> dict[str, int] | None:
        with Session(engine) as session:
            rows = session.exec(select(Write.status, func.count()).group_by(Write.status)).all()
        counts = {status: int(count) for status, count in rows}
        return None if any(counts.get(s) for s in ("pending", "submitted", "held")) else counts

    try:
        return poll(settled, timeout=timeout, what="every accepted write to be settled")
    finally:
        engine.dispose()


def prepare_store(database_url: str) -> tuple[str, str]:
    """Migrate the store; API keys of FB33 (every register) and FB32 (parking permits)."""
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        return make_key(engine, "FB33", ["*"]), make_key(engine, "FB32", [], ["PARKING_PERMIT"])
    finally:
        engine.dispose()


def create_register(api_url: str, token: str, register_id: str) -> None:
    """Create a register through the API and wait (bounded) until it is anchored."""
    with httpx.Client(base_url=api_url, headers={"X-API-Key": token}, timeout=30) as client:
        created = client.post(
            "/registers", json={"id": register_id, "name": register_id.title(), "schema": SCHEMA}
        )
        assert created.status_code == 202, created.text
        url = f"/writes/{created.json()['write_id']}"
        poll(
            lambda: client.get(url).json()["status"] == "anchored",
            timeout=120,
            what=f"register {register_id} to be anchored",
        )


# ---- a load of keyed requests -----------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict[str, Any]
    key: str  # Idempotency-Key


@dataclass
class Load:
    """Requests sent from ``threads`` threads; the first answer of each (lost if the API died)."""

    base_url: str
    headers: dict[str, str]
    threads: int = 16
    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)
    lost: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, request: Request, client: httpx.Client) -> tuple[int, Any] | None:
        try:
            response = client.request(
                request.method,
                request.path,
                json=request.body,
                headers={**self.headers, "Idempotency-Key": request.key},
            )
        except httpx.HTTPError:
            return None
        if response.status_code >= 500:
            return None  # the store or the chain is away: the client sends it again later
        return response.status_code, response.json()

    def run(
        self,
        requests: Sequence[Request],
        *,
        stop: threading.Event | None = None,
        on_answer: Callable[[int], None] | None = None,
    ) -> None:
        """Send each request once (first answers are kept; a request whose answer is lost is
        marked lost), until ``stop`` is set."""
        local = threading.local()

        def one(request: Request) -> None:
            if stop is not None and stop.is_set():
                with self._lock:
                    self.lost.add(request.key)
                return
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=self.base_url, timeout=60, trust_env=False)
            answer = self.send(request, local.client)
            with self._lock:
                if answer is None:
                    self.lost.add(request.key)
                    return
                self.answers.setdefault(request.key, answer)
                count = len(self.answers)
            if on_answer is not None:
                on_answer(count)

        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(one, requests))

    def retry(
        self, requests: Sequence[Request], *, attempts: int = 30
    ) -> dict[str, tuple[int, Any]]:
        """Send every request again (same key) until each is answered; the retries' answers."""
        again: dict[str, tuple[int, Any]] = {}
        with httpx.Client(base_url=self.base_url, timeout=60, trust_env=False) as client:
            for request in requests:
                for _ in range(attempts):
                    answer = self.send(request, client)
                    if answer is not None:
                        again[request.key] = answer
                        self.answers.setdefault(request.key, answer)
                        break
                else:
                    raise AssertionError(f"request {request.key} was never answered")
        return again


def bulk_requests(register_id: str, count: int, size: int, prefix: str) -> list[Request]:
    """``count`` bulk creates of ``size`` records each."""
    return [
        Request(
            "POST",
            f"/registers/{register_id}/records/bulk",
            {"records": [{"n": f"{prefix}{i}-{j}"} for j in range(size)]},
            f"{prefix}-bulk-{register_id}-{i}",
        )
        for i in range(count)
    ]


def issuance_requests(count: int, prefix: str) -> list[Request]:
    """``count`` single parking permits to new holders."""
    return [
        Request(
            "POST",
            "/credentials",
            {
                "type": "PARKING_PERMIT",
                "holder_did": make_did(Account.create().address, 52062),
                "claims": PERMIT,
            },
            f"{prefix}-cred-{i}",
        )
        for i in range(count)
    ]


# ---- counts from the chain --------------------------------------------------------------------


def register_batches(
    rpc: RpcClient, manifest: DeploymentManifest, register_id: str
) -> dict[str, int]:
    """Merkle root -> leaf count of every batch anchored for the register (a root twice fails)."""
    contract = manifest.contract(hub.HUB)
    found: dict[str, int] = {}
    for entry in rpc.get_logs(address=contract.address, from_block=0):
        event = contract.interface.decode_log(entry)
        if (
            event
            and event.name == "BatchAnchored"
            and event.args["registerId"] == hub.id32(register_id)
        ):
            root = hub.hx(event.args["merkleRoot"])
            assert root not in found, f"batch {root} anchored twice"
            found[root] = int(event.args["leafCount"])
    return found


def register_singles(rpc: RpcClient, manifest: DeploymentManifest, register_id: str) -> list[str]:
    """Record ids anchored singly (version 0) in the register, once per anchoring."""
    contract = manifest.contract(hub.HUB)
    found: list[str] = []
    for entry in rpc.get_logs(address=contract.address, from_block=0):
        event = contract.interface.decode_log(entry)
        if (
            event
            and event.name == "RecordVersionAnchored"
            and event.args.get("registerId") == hub.id32(register_id)
        ):
            found.append(hub.hx(event.args["recordId"]))
    return found


def credential_roots(
    rpc: RpcClient, manifest: DeploymentManifest, actor: str, *, since: int = 0
) -> dict[str, int]:
    """Root -> declared count of every credential batch the account anchored from block
    ``since`` on (a root twice fails)."""
    status = manifest.contract("CredentialStatusRegistry")
    found: dict[str, int] = {}
    for entry in rpc.get_logs(address=status.address, from_block=since):
        event = status.interface.decode_log(entry)
        if event and event.name == "CredentialBatchAnchored" and event.args["actor"] == actor:
            root = "0x" + event.args["root"].hex()
            assert root not in found, f"credential root {root} anchored twice"
            found[root] = int(event.args["count"])
    return found


# ---- a PostgreSQL cluster of its own ----------------------------------------------------------


class PrivatePostgres:
    """``initdb`` + ``pg_ctl`` in a temporary folder, on a free loopback port, trust auth; never the
    shared server. As root (CI containers) the server runs as the ``postgres`` user, so the folder
    is a fresh one under the system's temporary directory (pytest's are the owner's alone)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="city-postgres-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.log = self.folder / "postgres.log"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [shutil.which(args[0]) or args[0], *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{' '.join(args[:2])} failed: {done.stdout}{done.stderr}"

    def start(self) -> None:
        if not self.data.exists():
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
            )
        self._pg_ctl("start")

    def _pg_ctl(self, action: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-m", "fast",
            "-w", "-t", "60", action,
        )  # fmt: skip

    def restart(self) -> None:
        self._pg_ctl("restart")

    def stop(self) -> None:
        try:
            if self.data.exists():
                self._pg_ctl("stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
