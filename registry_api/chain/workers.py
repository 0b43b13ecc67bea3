"""Background workers: one outbox sender per department signer and one indexer, as threads.

They run in the worker process (``registry_api.worker``) or, with ``CITY_API_WORKERS=thread``, in
the API process. Department keys are unlocked from the encrypted keystore once at start and live
only in memory; they are never logged.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from registry_api.chain.indexer import Indexer
from registry_api.chain.sender import Sender
from registry_api.core.config import Settings
from registry_core.errors import KeystoreError
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest, ManifestWatcher
from registry_core.rpc import RpcClient

log = logging.getLogger(__name__)


class ManifestCache:
    """The deployment manifest of the chain behind ``rpc_url``, re-read when its file changes."""

    def __init__(self, *, deployments_dir: Path, rpc_url: str) -> None:
        self.rpc_url = rpc_url
        self._manifests = ManifestWatcher(deployments_dir)
        self._chain_id: int | None = None

    def __call__(self) -> DeploymentManifest:
        if self._chain_id is None:
            with RpcClient(self.rpc_url, timeout=10.0) as rpc:
                self._chain_id = rpc.chain_id()
        return self._manifests.load(self._chain_id)


def unlock_signers(settings: Settings) -> dict[str, LocalAccount]:
    """Each department's signing key from the keystore; departments without a key are skipped."""
    keystore = Keystore(settings.keystore_dir)
    passphrase = settings.keystore_passphrase.get_secret_value()
    accounts: dict[str, LocalAccount] = {}
    for department, key_name in settings.signers.items():
        if not keystore.exists(key_name):
            log.warning("no key %r for department %s: its writes are refused", key_name, department)
            continue
        try:
            accounts[department] = keystore.load(key_name, passphrase)
        except KeystoreError as exc:
            log.error("department %s: %s", department, exc.detail)
    return accounts


class Workers:
    def __init__(
        self,
        *,
        settings: Settings,
        engine: Engine,
        read_engine: Engine,
        accounts: dict[str, LocalAccount],
        manifest: ManifestCache,
    ) -> None:
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.senders = {
            department: Sender(
                engine=engine,
                read_engine=read_engine,
                rpc_url=settings.rpc_url,
                manifest_loader=manifest,
                account=account,
                max_batch_leaves=settings.sender_max_batch_leaves,
                max_calls_per_tx=settings.sender_max_calls_per_tx,
                max_txs_per_round=settings.sender_max_txs_per_round,
                resend_after=settings.sender_resend_after_seconds,
                lease_seconds=settings.lease_seconds,
            )
            for department, account in accounts.items()
        }
        self.indexer = Indexer(
            engine=engine,
            rpc_url=settings.rpc_url,
            manifest_loader=manifest,
            poll_seconds=settings.indexer_poll_seconds,
        )

    def start(self) -> None:
        for department, sender in self.senders.items():
            self._spawn(f"sender-{department}", sender.run)
        self._spawn("indexer", self.indexer.run)

    def _spawn(self, name: str, target: object) -> None:
        thread = threading.Thread(target=target, args=(self._stop,), name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def wake(self, department: str) -> None:
        sender = self.senders.get(department)
        if sender is not None:
            sender.wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for sender in self.senders.values():
            sender.wake.set()
        for thread in self._threads:
            thread.join(timeout)
        for sender in self.senders.values():
            try:
                sender.release_lease()
            except Exception:  # the database may be gone at shutdown
                log.warning("could not release the lease of %s", sender.address)
