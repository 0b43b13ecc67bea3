"""Gateway fixtures: real anvil (``chain`` from tests/conftest.py), real gateway processes, real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.codes import code_to_bytes32
from registry_core.council import ADD_ACCOUNT, ADD_DEPARTMENT, decide
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.chain import EmbeddedChain
from tests.conftest import free_port

# A department of its own, so other test packages may create the demo ones on the same chain.
DEPARTMENT = code_to_bytes32("GWTEST")


@dataclass
class GatewayProcess:
    url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    http: httpx.Client

    def post(self, body: bytes | str) -> httpx.Response:
        content = body.encode() if isinstance(body, str) else body
        return self.http.post(self.url, content=content)

    def call(self, payload: Any) -> tuple[int, Any]:
        """POST a JSON payload; the HTTP status and the decoded JSON-RPC answer."""
        response = self.post(orjson.dumps(payload))
        return response.status_code, orjson.loads(response.content) if response.content else None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` seconds (no blind sleeps)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def start_gateway(
    *, log_path: Path, settings: dict[str, str], via_environment: bool = False
) -> GatewayProcess:
    """``python -m gateway`` on a free port, configured by flags (``--upstream-url ...``) or by
    ``CITY_GATEWAY_*`` variables; returns once it answers HTTP."""
    port = free_port()
    settings = {**settings, "port": str(port)}
    command = [sys.executable, "-m", "gateway"]
    env = dict(os.environ)
    for name, value in settings.items():
        if via_environment:
            env[f"CITY_GATEWAY_{name.upper()}"] = value
        else:
            command += [f"--{name.replace('_', '-')}", value]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    gateway = GatewayProcess(
        f"http://127.0.0.1:{port}", log_path, process, httpx.Client(timeout=30, trust_env=False)
    )

    def answers() -> bool:
        assert process.poll() is None, f"gateway exited: {log_path.read_text()}"
        try:
            gateway.http.get(f"{gateway.url}/health")
        except httpx.TransportError:
            return False
        return True

    try:
        wait_until(answers, timeout=30, what=f"the gateway at {gateway.url}")
    except BaseException:
        gateway.stop()
        raise
    return gateway


@pytest.fixture(scope="session")
def gateway(
    chain: EmbeddedChain,
    city: DeploymentManifest,
    deployments_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[GatewayProcess]:
    """The gateway in front of the session chain with the city deployed (configured by env)."""
    process = start_gateway(
        log_path=tmp_path_factory.mktemp("gateway") / "gateway.log",
        settings={
            "upstream_url": chain.url,
            "deployments_dir": str(deployments_dir),
            "chain_id": str(chain.chain_id),
        },
        via_environment=True,
    )
    yield process
    process.stop()


@pytest.fixture(scope="session")
def gateway_rpc(gateway: GatewayProcess) -> Iterator[RpcClient]:
    with RpcClient(gateway.url) as rpc:
        yield rpc


@pytest.fixture(scope="session")
def department_key(
    gateway_rpc: RpcClient, city: DeploymentManifest, council_keys: list[LocalAccount]
) -> LocalAccount:
    """An account of an active department, added by the council through the gateway."""
    account: LocalAccount = Account.create()
    for decision in (
        ADD_DEPARTMENT.decide(department="GWTEST", name="Gateway test department"),
        ADD_ACCOUNT.decide(department="GWTEST", account=account.address),
    ):
        decide(rpc=gateway_rpc, manifest=city, members=council_keys, decision=decision)
    return account


def sign_transfer(
    account: LocalAccount, *, chain_id: int, nonce: int, tx_type: int = 2, to: str | None = None
) -> bytes:
    """A zero-value transfer (to ``to`` or to the account itself), gas-free."""
    tx: dict[str, Any] = {
        "chainId": chain_id,
        "nonce": nonce,
        "gas": 21_000,
        "to": to or account.address,
        "value": 0,
    }
    if tx_type == 2:
        tx.update(type=2, maxFeePerGas=0, maxPriorityFeePerGas=0)
    elif tx_type == 1:
        tx.update(type=1, gasPrice=0, accessList=[])
    else:
        tx.update(gasPrice=0)
    return bytes(account.sign_transaction(tx).raw_transaction)


def raw_request(raw: bytes, request_id: Any = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "eth_sendRawTransaction",
        "params": ["0x" + raw.hex()],
    }


@pytest.fixture(scope="session")
def limited_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """A gateway with small limits and no node behind it (nothing listens on its upstream port)."""
    folder = tmp_path_factory.mktemp("limited-gateway")
    process = start_gateway(
        log_path=folder / "gateway.log",
        settings={
            "upstream_url": f"http://127.0.0.1:{free_port()}",
            "deployments_dir": str(folder / "deployments"),
            "max_body_bytes": "4096",
            "max_batch_size": "5",
        },
    )
    yield process
    process.stop()
