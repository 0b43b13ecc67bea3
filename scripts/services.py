"""Start the gateway, the API and the explorer as child processes and wait until they answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from registry_core.errors import RegistryCoreError
from scripts.settings import CitySettings


class ServiceError(RegistryCoreError):
    """A service did not come up."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawn(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """A service in a session of its own: Ctrl-C in the terminal reaches only ``registry demo``,
    which then stops the services in order (API, gateway, chain), not all at once."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            args,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def wait_until_up(
    process: subprocess.Popen[bytes], probe: httpx.Request, *, name: str, log_path: Path,
    timeout: float = 30.0,
) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while True:
            if process.poll() is not None:
                raise ServiceError(f"{name} exited with code {process.returncode}; see {log_path}")
            try:
                if client.send(probe).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                stop(process)  # not left running behind a command that gave up on it
                raise ServiceError(f"{name} did not answer within {timeout:.0f} s; see {log_path}")
            time.sleep(0.05)


def start_gateway(settings: CitySettings) -> subprocess.Popen[bytes]:
    log_path = settings.data_dir / "gateway.log"
    process = _spawn(
        [sys.executable, "-m", "gateway"],
        {
            "CITY_GATEWAY_UPSTREAM_URL": settings.node_url,
            "CITY_GATEWAY_HOST": settings.gateway_host,
            "CITY_GATEWAY_PORT": str(settings.gateway_port),
            "CITY_GATEWAY_DEPLOYMENTS_DIR": str(settings.deployments_dir),
            "CITY_GATEWAY_CHAIN_ID": str(settings.chain_id),
        },
        log_path,
    )
    probe = httpx.Request(
        "POST",
        settings.gateway_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
    )
    wait_until_up(process, probe, name="gateway", log_path=log_path)
    return process


def api_env(settings: CitySettings) -> dict[str, str]:
    """The API's environment as the demo city runs it (also used for its admin commands)."""
    return {
        "CITY_API_RPC_URL": settings.gateway_url,
        "CITY_API_DEPLOYMENTS_DIR": str(settings.deployments_dir),
        "CITY_API_ENVIRONMENT": settings.environment,
        "CITY_API_DATA_DIR": str(settings.data_dir),
        "CITY_API_KEYS_DIR": str(settings.keys_dir),
        "CITY_API_KEYSTORE_PASSPHRASE": settings.keystore_passphrase.get_secret_value(),
    }


def start_api(settings: CitySettings) -> subprocess.Popen[bytes]:
    log_path = settings.data_dir / "api.log"
    process = _spawn(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "registry_api.main:app",
            "--host",
            settings.api_host,
            "--port",
            str(settings.api_port),
            "--no-access-log",
        ],
        api_env(settings),
        log_path,
    )
    # It unlocks every department's keys first (scrypt keystores): ~20 s on a busy 2-core machine.
    wait_until_up(
        process, httpx.Request("GET", f"{settings.api_url}/health"), name="API", log_path=log_path,
        timeout=90,
    )  # fmt: skip
    return process


def explorer_env(settings: CitySettings) -> dict[str, str]:
    """The explorer reads the chain through the gateway and the manifests, nothing of the API."""
    return {
        "CITY_EXPLORER_RPC_URL": settings.gateway_url,
        "CITY_EXPLORER_DEPLOYMENTS_DIR": str(settings.deployments_dir),
        "CITY_EXPLORER_DATA_DIR": str(settings.data_dir),
        "CITY_EXPLORER_HOST": settings.explorer_host,
        "CITY_EXPLORER_PORT": str(settings.explorer_port),
    }


def start_explorer(
    settings: CitySettings, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log_path = settings.data_dir / "explorer.log"
    process = _spawn(
        [sys.executable, "-m", "explorer"], {**explorer_env(settings), **(env or {})}, log_path
    )
    wait_until_up(
        process, httpx.Request("GET", f"{settings.explorer_url}/static/explorer.css"),
        name="explorer", log_path=log_path,
    )  # fmt: skip
    return process


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
