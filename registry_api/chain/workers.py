"""Background workers: one outbox sender per signing key, one indexer (one per store, under a
lease), the channel settler (``chain/settler.py``) and the loops the caller adds (the retention
purge), as threads; on PostgreSQL also the wake relay to the other replicas' workers
(``chain/wake_relay.py``).

They run in the worker process (``registry_api.worker``) or, with ``CITY_API_WORKERS=thread``, in
the API process. The keys (each department's register key and credential key, and the relay
keys) are unlocked from the encrypted keystore once at start and live only in memory; they are
never logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine

from registry_api.chain.indexer import Indexer
from registry_api.chain.keys import SigningKey
from registry_api.chain.planning import Limits
from registry_api.chain.sender import Sender
from registry_api.chain.settler import ChannelSettler
from registry_api.chain.wake_relay import WakeRelay
from registry_api.core.config import Settings
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


def sender_limits(settings: Settings) -> Limits:
    return Limits(
        max_batch_leaves=settings.sender_max_batch_leaves,
        max_calls_per_tx=settings.sender_max_calls_per_tx,
        max_txs_per_round=settings.sender_max_txs_per_round,
        max_credential_group=settings.credential_group_max,
        gas_factor=settings.sender_gas_factor,
    )


class Workers:
    def __init__(
        self,
        *,
        settings: Settings,
        engine: Engine,
        read_engine: Engine,
        keys: list[SigningKey],
        manifest: ManifestCache,
        loops: Sequence[tuple[str, Callable[[threading.Event], None]]] = (),
    ) -> None:
        """``loops``: (name, run) of more threads; ``run(stop)`` returns once ``stop`` is set."""
        self._stop = threading.Event()
        self._loops = list(loops)
        self._threads: list[threading.Thread] = []
        self.departments: dict[str, str | None] = {}  # signer address -> its department
        self.senders: dict[str, Sender] = {}  # signer address -> its sender
        limits = sender_limits(settings)
        for key in keys:
            address = key.account.address
            if address in self.senders:
                continue  # one key under two names: one sender
            self.departments[address] = key.department
            self.senders[address] = Sender(
                engine=engine,
                read_engine=read_engine,
                rpc_url=settings.rpc_url,
                manifest_loader=manifest,
                account=key.account,
                limits=limits,
                resend_after=settings.sender_resend_after_seconds,
                lease_seconds=settings.lease_seconds,
                idle_seconds=settings.idle_poll_seconds,
            )
        self.indexer = Indexer(
            engine=engine,
            rpc_url=settings.rpc_url,
            manifest_loader=manifest,
            poll_seconds=settings.indexer_poll_seconds,
            idle_seconds=settings.idle_poll_seconds,
            lease_seconds=settings.lease_seconds,
        )
        by_name = {key.name: key.account.address for key in keys}
        self.settler = ChannelSettler(
            engine=engine,
            rpc_url=settings.rpc_url,
            manifest_loader=manifest,
            signers={
                code: by_name[name] for code, name in settings.signers.items() if name in by_name
            },
            margin_seconds=settings.channel_settle_margin_seconds,
            poll_seconds=settings.settler_poll_seconds,
            wake=self.wake,
            idle_seconds=settings.idle_poll_seconds,
        )
        # Replicas on one PostgreSQL pass wakes to the worker holding the lease (wake_relay.py).
        self.relay = (
            WakeRelay(engine, self.wake_own) if engine.dialect.name == "postgresql" else None
        )

    def start(self) -> None:
        for address, sender in self.senders.items():
            self._spawn(f"sender-{address[:10]}", sender.run)
        self._spawn("indexer", self.indexer.run)
        self._spawn("channel-settler", self.settler.run)
        for name, run in self._loops:
            self._spawn(name, run)
        if self.relay is not None:
            self._spawn("wake-relay-listen", self.relay.listening)
            self._spawn("wake-relay-publish", self.relay.publishing)

    def _spawn(self, name: str, target: object) -> None:
        thread = threading.Thread(target=target, args=(self._stop,), name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def alive(self) -> bool:
        return bool(self._threads) and all(thread.is_alive() for thread in self._threads)

    def wake(self, department_or_signer: str) -> None:
        """Wake the senders of a department, or the sender of one signer address; where one of
        them is not here or does not hold its lease here, pass the wake on to the other replicas."""
        woken = self.wake_own(department_or_signer)
        if self.relay is not None and not (woken and all(s.lease.held for s in woken)):
            self.relay.publish(department_or_signer)

    def wake_own(self, department_or_signer: str) -> list[Sender]:
        """Wake this worker's senders of a department or signer (a wake another passed on)."""
        woken = [
            sender
            for address, sender in self.senders.items()
            if department_or_signer in (address, self.departments.get(address))
        ]
        for sender in woken:
            sender.wake.set()
        return woken

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current rounds, then release the leases (another worker may take over)."""
        self._stop.set()
        for sender in self.senders.values():
            sender.wake.set()
        if self.relay is not None:
            self.relay.close()
        for thread in self._threads:
            thread.join(timeout)
        for sender in self.senders.values():
            try:
                sender.lease.release()
            except Exception:  # the database may be gone at shutdown
                log.warning("could not release the lease of %s", sender.address)
