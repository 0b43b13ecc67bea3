"""The API as a real uvicorn process on a free loopback port, for tests that need real HTTP.

Used by the crash test (SIGKILL and restart), the demo-register seeding test and the browser test
of the verification page. Also ``poll``, the tests' bounded wait for a condition.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx

from registry_api.core.db import make_engine, session_scope, upgrade
from registry_api.core.security import create_api_key
from scripts.services import ServiceError, wait_until_up
from scripts.services import stop as stop_process
from tests.conftest import free_port

T = TypeVar("T")
LOG_TAIL_LINES = 60


def poll(check: Callable[[], T | None], *, timeout: float = 60.0, what: str = "condition") -> T:
    """Return the first truthy result of ``check``; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def running(pid: int) -> bool:
    """True while ``pid`` runs (an exited child not yet reaped by init is a zombie: not running)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def credential_api_env(
    *, gateway_url: str, deployments_dir: Path, data_dir: Path, keys_dir: Path, passphrase: str
) -> dict[str, str]:
    """Settings of an API that issues and verifies credentials with the test city's keys, in its
    own SQLite store; no register signers: its worker process anchors the credentials."""
    return {
        "CITY_API_RPC_URL": gateway_url,
        "CITY_API_DEPLOYMENTS_DIR": str(deployments_dir),
        "CITY_API_DATA_DIR": str(data_dir),
        "CITY_API_DATABASE_URL": f"sqlite:///{data_dir / 'registry.db'}",  # see department_key
        "CITY_API_KEYS_DIR": str(keys_dir),
        "CITY_API_KEYSTORE_PASSPHRASE": passphrase,
        "CITY_API_SIGNERS": "{}",
        # Issuance never waits for a fee (the payment tests seed fees on the same chain).
        "CITY_API_FEE_TYPES": "[]",
    }


def department_key(data_dir: Path, *, department: str, credential_types: list[str]) -> str:
    """Migrate the store of ``credential_api_env`` and make an API key for the department."""
    database_url = f"sqlite:///{data_dir / 'registry.db'}"
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            _, token = create_api_key(
                session=session,
                department=department,
                registers=[],
                credential_types=credential_types,
            )
    finally:
        engine.dispose()
    return token


class ApiProcess:
    """``uvicorn registry_api.main:app`` on 127.0.0.1:<free port>, configured by ``env``
    (``CITY_API_*`` on top of this process's environment), logging to ``log_path``."""

    def __init__(self, *, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start the API and wait until it answers; fail with the end of its log if it does not."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "registry_api.main:app",
                 "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        try:
            wait_until_up(
                self.process,
                httpx.Request("GET", f"{self.url}/registers"),
                name=f"the API (uvicorn at {self.url})",
                log_path=self.log_path,
                timeout=timeout,
            )
        except ServiceError as exc:
            self.stop()
            raise AssertionError(f"{exc}\n{self.log_tail()}") from None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return f"(no log at {self.log_path})"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- last {lines} lines of {self.log_path} ---\n{tail}"

    def children(self) -> list[int]:
        assert self.process is not None
        pid = self.process.pid
        found: list[int] = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
        return found

    def kill(self) -> None:
        """SIGKILL the API; its worker child process must follow it (no orphan keeps sending)."""
        assert self.process is not None
        workers = self.children()
        assert workers, "the API runs its senders in a child process by default"
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        poll(
            lambda: not any(running(pid) for pid in workers),
            timeout=10,
            what="the API's worker process to exit with the API",
        )

    def stop(self) -> None:
        """SIGTERM (SIGKILL if it does not exit within 30 s); a no-op once it has exited."""
        if self.process is not None:
            stop_process(self.process, timeout=30)
