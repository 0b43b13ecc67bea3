"""The API's outbox senders and indexer as a child process, supervised by the API.

Signing, sending and indexing then run on another core than request handling and do not compete
with request threads for the API's GIL (``python -m scripts.bench_registers`` measures both modes).
The child's stdin is a pipe from the API that serves three purposes:

* the first line hands over the settings (with the keystore passphrase, which thus never appears in
  the child's command line or environment);
* each further line names a department (or a signer address) whose senders should wake up now
  (a write was committed);
  wakes are hints: if the pipe is full, a wake is dropped and the sender finds the write within its
  poll interval anyway;
* end of file means the API is gone (also after SIGKILL): the child exits at once, exactly as if it
  had been killed with the API; the outbox makes that safe.

If the child dies on its own, the API logs it and starts a new one (with a growing pause).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading

from registry_api.core.config import Settings

log = logging.getLogger(__name__)

RESTART_PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0)


def settings_line(settings: Settings) -> bytes:
    document = settings.model_dump(mode="json")
    document["keystore_passphrase"] = settings.keystore_passphrase.get_secret_value()
    return json.dumps(document).encode() + b"\n"


class WorkerProcess:
    def __init__(self, settings: Settings, env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.env = env or {}  # added to the child's environment (its metrics folder)
        self._process: subprocess.Popen[bytes] | None = None
        self._pipe: int | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, name="worker-supervisor")

    def start(self) -> None:
        self._spawn()
        self._supervisor.daemon = True
        self._supervisor.start()

    def _spawn(self) -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "registry_api.worker", "--from-parent"],
            stdin=subprocess.PIPE,
            close_fds=True,
            env={**os.environ, **self.env},
        )
        assert process.stdin is not None
        pipe = process.stdin.fileno()
        os.write(pipe, settings_line(self.settings))  # far below the pipe's buffer size
        os.set_blocking(pipe, False)  # a request thread never waits for the child
        with self._lock:
            self._process, self._pipe = process, pipe
        log.info("worker process %d started", process.pid)

    def _supervise(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            process = self._process
            assert process is not None
            code = process.wait()
            if self._stopping.is_set():
                return
            pause = RESTART_PAUSES[min(failures, len(RESTART_PAUSES) - 1)]
            log.error(
                "worker process %d exited with %s; starting a new one in %.0f s",
                process.pid,
                code,
                pause,
            )
            failures += 1
            if self._stopping.wait(pause):
                return
            self._close_pipe()
            self._spawn()

    def alive(self) -> bool:
        """The child runs (the supervisor restarts it when it dies)."""
        process = self._process
        return process is not None and process.poll() is None

    def wake(self, department_or_signer: str) -> None:
        with self._lock:
            pipe = self._pipe
            if pipe is None:
                return
            # A hint only: if the pipe is full or the child is restarting, the sender polls anyway.
            with contextlib.suppress(BlockingIOError, BrokenPipeError):
                os.write(pipe, department_or_signer.encode() + b"\n")

    def _close_pipe(self) -> None:
        with self._lock:
            process, self._pipe = self._process, None
        if process is not None and process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (the child finishes its round and releases its leases), then close the pipe."""
        self._stopping.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("worker process %d did not stop; killing it", process.pid)
                process.kill()
                process.wait()
        self._close_pipe()
