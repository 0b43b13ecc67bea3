"""Fault: the store is restored from a backup taken earlier while the chain moved on.

Timeline: writes anchored; the senders held back while more writes queue (pending in the backup);
the backup; the senders go on (the queued writes are anchored: the "lost timeline") and later
writes are anchored too; the API stops; the backup is put back; the API starts.

Counts asserted: the API starts and sees the chain ahead of its store; pending writes whose call is
on chain are settled from it (the same transaction as in the lost timeline); pending writes that
may sit in a Merkle batch the store does not know are held, not sent again; the transactions of
writes accepted after the backup are listed (``registry outbox held``); new writes get nonces the
chain never used (no transaction replaced, the chain's count of the keys' transactions is exactly
what was sent).
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from registry_api.chain.sender import recovery
from registry_api.core.config import Settings
from registry_api.main import create_app
from registry_api.models.tables import ChainTx, Write
from registry_core.did import make_did
from registry_core.rpc import RpcClient
from tests.api.conftest import PASSPHRASE, make_key
from tests.api.faults import (
    DEPARTMENTS,
    PERMIT,
    SCHEMA,
    FaultKeys,
    held_back,
    keys_fixture,
)
from tests.api_process import poll

pytestmark = pytest.mark.timeout(300)
keys = keys_fixture()


class Api:
    def __init__(self, client: TestClient, registers: str, credentials: str) -> None:
        self.client = client
        self.registers = {"X-API-Key": registers}
        self.credentials = {"X-API-Key": credentials}

    @property
    def engine(self) -> Any:
        return self.client.app.state.engine  # type: ignore[attr-defined]

    def record(self, register_id: str, n: str) -> str:
        answer = self.client.post(
            f"/registers/{register_id}/records", json={"content": {"n": n}}, headers=self.registers
        )
        assert answer.status_code == 202, answer.text
        return str(answer.json()["write_id"])

    def bulk(self, register_id: str, count: int) -> list[str]:
        answer = self.client.post(
            f"/registers/{register_id}/records/bulk",
            json={"records": [{"n": f"bulk{i}"} for i in range(count)]},
            headers=self.registers,
        )
        assert answer.status_code == 202, answer.text
        return [w["write_id"] for w in answer.json()["writes"]]

    def issue(self) -> str:
        holder = make_did(Account.create().address, 52062)
        answer = self.client.post(
            "/credentials",
            json={"type": "PARKING_PERMIT", "holder_did": holder, "claims": PERMIT},
            headers=self.credentials,
        )
        assert answer.status_code in (201, 202), answer.text
        return str(answer.json()["write_id"])

    def writes(self, ids: list[str]) -> dict[str, Write]:
        with Session(self.engine) as session:
            return {
                w.id: w for w in session.exec(select(Write).where(col(Write.id).in_(ids))).all()
            }

    def settle(self, ids: list[str], statuses: tuple[str, ...] = ("anchored",)) -> dict[str, Write]:
        return poll(
            lambda: (
                (found := self.writes(ids))
                and all(w.status in statuses for w in found.values())
                and found
            ),
            timeout=60,
            what=f"{len(ids)} writes to be {' or '.join(statuses)}",
        )

    def tx(self, write: Write) -> ChainTx:
        with Session(self.engine) as session:
            found = session.get(ChainTx, write.tx_id)
        assert found is not None, write
        return found


def _backup(source: Path, target: Path) -> None:
    """An online backup (SQLite's backup API), as an operator's nightly job would take it."""
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)


def test_a_store_restored_from_a_backup_reconciles_holds_and_never_reuses_a_nonce(
    keys: FaultKeys,
    gateway_url: str,
    gateway_rpc: RpcClient,
    deployments_dir: Path,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    database = tmp_path / "registry.db"
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=tmp_path,
        database_url=f"sqlite:///{database}",
        keys_dir=keys.keys_dir,
        keystore_passphrase=PASSPHRASE,
        signers={c: f"dept-{c.lower()}" for c in DEPARTMENTS},
        credential_keys={c: f"vc-{c.lower()}" for c in DEPARTMENTS},
        workers="thread",
        indexer_poll_seconds=5.0,
        credential_wait_seconds=0.5,
    )
    register_signer = keys.registers["FB33"].address
    credential_signer = keys.credentials["FB32"].address
    register_id = "BAK" + secrets.token_hex(3).upper()
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        api = Api(
            client,
            make_key(engine, "FB33", ["*"]),
            make_key(engine, "FB32", [], ["PARKING_PERMIT"]),
        )
        created = client.post(
            "/registers",
            json={"id": register_id, "name": "Backup", "schema": SCHEMA},
            headers=api.registers,
        )
        bulk_register = "BAT" + secrets.token_hex(3).upper()
        batch = client.post(
            "/registers",
            json={"id": bulk_register, "name": "Batch", "schema": SCHEMA},
            headers=api.registers,
        )
        api.settle([created.json()["write_id"], batch.json()["write_id"]])
        api.settle(
            [api.record(register_id, f"a{i}") for i in range(3)] + [api.issue() for _ in range(2)]
        )

        with held_back(engine, [register_signer, credential_signer]):
            pending_singles = [api.record(register_id, f"p{i}") for i in range(3)]
            pending_bulk = api.bulk(bulk_register, 5)
            with ThreadPoolExecutor(3) as pool:
                pending_issues = list(pool.map(lambda _: api.issue(), range(3)))
            _backup(database, tmp_path / "backup.db")
        lost_timeline = api.settle(pending_singles + pending_bulk + pending_issues)
        lost_singles = {w: api.tx(lost_timeline[w]).tx_hash for w in pending_singles}
        after_backup = api.settle(
            [api.record(register_id, f"b{i}") for i in range(2)] + [api.issue()]
        )
        after_backup_txs = {api.tx(w).tx_hash for w in after_backup.values()}
    chain_nonces = {s: gateway_rpc.nonce(s, "latest") for s in (register_signer, credential_signer)}

    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(tmp_path / "backup.db", database)
    # The backup holds the leases of its time (here the test's stand-in owner, for 5 minutes);
    # their owners are gone. They would expire (CITY_API_LEASE_SECONDS); the test saves the wait.
    with sqlite3.connect(database) as restored:
        restored.execute("DELETE FROM sender_lease")

    with TestClient(create_app(settings)) as client:
        api = Api(client, api.registers["X-API-Key"], api.credentials["X-API-Key"])
        # The senders reconcile before they plan anything.
        reconciled = api.settle(
            pending_singles + pending_bulk + pending_issues, statuses=("anchored", "held")
        )
        fresh = api.settle([api.record(register_id, f"c{i}") for i in range(2)] + [api.issue()])
        with Session(api.engine) as session:
            found = recovery.unknown_transactions(session)
            new_txs = session.exec(
                select(ChainTx).where(col(ChainTx.id).in_([w.tx_id for w in fresh.values()]))
            ).all()
            replaced = session.exec(select(ChainTx).where(ChainTx.status == "replaced")).all()
    held = sorted(w for w, write in reconciled.items() if write.status == "held")
    settled_from_chain = {w: api.tx(reconciled[w]).tx_hash for w in pending_singles}
    unknown = {tx.tx_hash for tx in found}
    listing = subprocess.run(
        [sys.executable, "-m", "registry_api.admin", "outbox", "held"],
        env={**os.environ, "CITY_API_DATABASE_URL": settings.database},
        capture_output=True,
        text=True,
        timeout=120,
    )
    counts = {
        "pending at the backup": len(pending_singles + pending_bulk + pending_issues),
        "settled from the chain": sum(1 for w in reconciled.values() if w.status == "anchored"),
        "held": len(held),
        "transactions unknown to the store": len(unknown),
        "new writes anchored": len(fresh),
        "replaced": len(replaced),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(f"\nstore restored from a backup: {counts}")
    assert settled_from_chain == lost_singles, "the pending singles were not settled from the chain"
    assert held == sorted(pending_bulk + pending_issues), counts
    assert after_backup_txs <= unknown, (after_backup_txs, unknown)
    assert all(tx.nonce >= chain_nonces[tx.signer] for tx in new_txs), "a nonce was used again"
    assert counts["replaced"] == 0, counts
    for signer, before in chain_nonces.items():
        sent = sum(1 for tx in new_txs if tx.signer == signer)
        assert gateway_rpc.nonce(signer, "latest") == before + sent
    assert listing.returncode == 0, listing.stderr
    assert all(f"held  {w}" in listing.stdout for w in held), listing.stdout
    assert all(h in listing.stdout for h in after_backup_txs), listing.stdout
