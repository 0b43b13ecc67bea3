"""The embedded chain: anvil from node_modules, gas-free, permissioned through the gateway.

anvil listens on loopback only and is reached by the gateway and by operator scripts; clients use
the gateway. State is kept in ``<data_dir>/chain-state.json``: anvil loads it at start, dumps it on
a clean stop (SIGTERM/SIGINT) and every ``state_interval`` seconds while running. A hard kill
(SIGKILL, power loss) therefore loses at most the blocks of the last ``state_interval`` seconds
(1 s by default, anvil's smallest interval); the API's outbox resubmits writes whose blocks were lost.

anvil rewrites the state file in place (truncate, then write). A hard kill during one of those
writes leaves a torn file that anvil refuses to load. So every start first checks the file: a good
one is copied to ``chain-state.previous.json``; a torn one is set aside and the copy from the last
start is restored, losing the blocks since that start (again resubmitted by the outbox).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import orjson

from registry_core.errors import RegistryCoreError, RpcConnectionError
from registry_core.rpc import RpcClient
from scripts.paths import ANVIL

DEFAULT_CHAIN_ID = 52062
STATE_FILE = "chain-state.json"
PREVIOUS_STATE_FILE = "chain-state.previous.json"
LOG_FILE = "anvil.log"

log = logging.getLogger(__name__)


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


class ChainError(RegistryCoreError):
    """The embedded chain could not be started or stopped."""


class EmbeddedChain:
    """One anvil process with its state persisted under ``data_dir``."""

    def __init__(
        self,
        *,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 8546,
        chain_id: int = DEFAULT_CHAIN_ID,
        state_interval: int = 1,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ChainError(f"anvil must listen on loopback only, not {host!r}")
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.chain_id = chain_id
        self.state_interval = state_interval
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state_file(self) -> Path:
        return self.data_dir / STATE_FILE

    def command(self) -> list[str]:
        return [
            str(ANVIL),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            # Gas-free permissioned chain: no fees, no funded dev accounts, no unlocked keys.
            "--gas-price", "0",
            "--base-fee", "0",
            "--accounts", "0",
            "--state", str(self.state_file),
            "--state-interval", str(self.state_interval),
        ]  # fmt: skip

    def start(self, timeout: float = 30.0) -> None:
        if not ANVIL.exists():
            raise ChainError(f"anvil not found at {ANVIL}; run `npm ci` (or `make setup`)")
        if _port_in_use(self.host, self.port):
            raise ChainError(
                f"port {self.port} on {self.host} is taken (another node still running?); "
                "stop it or choose another port"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._check_state_file()
        with (self.data_dir / LOG_FILE).open("ab") as anvil_log:
            # A session of its own: Ctrl-C stops the demo in order (scripts/cli.py), anvil last.
            self._process = subprocess.Popen(
                self.command(),
                stdout=anvil_log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._wait_ready(timeout)

    def _check_state_file(self) -> None:
        """Keep a copy of a good state file; replace a torn one by the copy from the last start."""
        state, previous = self.state_file, self.data_dir / PREVIOUS_STATE_FILE
        if not state.exists():
            return
        try:
            orjson.loads(state.read_bytes())
        except orjson.JSONDecodeError:
            torn = state.with_name(f"chain-state.torn-{int(time.time())}.json")
            state.rename(torn)
            if not previous.exists():
                raise ChainError(
                    f"the chain state {state} is torn (set aside as {torn.name}) and there is no "
                    "earlier copy to restore"
                ) from None
            shutil.copyfile(previous, state)
            log.warning(
                "torn chain state set aside as %s; restored the copy from the last start", torn
            )
            return
        tmp = previous.with_suffix(".tmp")
        shutil.copyfile(state, tmp)
        os.replace(tmp, previous)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with RpcClient(self.url, timeout=2.0) as rpc:
            while True:
                if self._process is not None and self._process.poll() is not None:
                    raise ChainError(
                        f"anvil exited with code {self._process.returncode} at start; "
                        f"see {self.data_dir / LOG_FILE} (is port {self.port} taken?)"
                    )
                try:
                    chain_id = rpc.chain_id()
                except RpcConnectionError:
                    if time.monotonic() > deadline:
                        raise ChainError(
                            f"anvil did not answer at {self.url} within {timeout:.0f} s"
                        ) from None
                    time.sleep(0.05)
                    continue
                if chain_id != self.chain_id:
                    raise ChainError(
                        f"a node with chain id {chain_id} (not {self.chain_id}) answers at {self.url}"
                    )
                return

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 30.0) -> None:
        """Stop cleanly: SIGTERM makes anvil dump its whole state before it exits."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
                raise ChainError(
                    f"anvil did not stop within {timeout:.0f} s and was killed"
                ) from None
        self._process = None

    def kill(self) -> None:
        """Simulate a crash: SIGKILL, no final state dump."""
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self._process = None

    def __enter__(self) -> EmbeddedChain:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
