"""The generic outbox against the real gateway and anvil: a call another domain enqueues, the
bounded wait, a nonce taken behind the sender's back, and calls that run out of gas.

One API (senders as threads) on SQLite for the module; FB02's register key signs.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from registry_api.chain import contracts, outbox
from registry_api.chain.indexer import INDEXER_LEASE, Indexer
from registry_api.chain.sender.nonces import NonceBook
from registry_api.core.config import Settings
from registry_api.core.db import insert_rows, make_engine, session_scope, upgrade
from registry_api.core.security import Department
from registry_api.main import create_app
from registry_api.models.tables import ChainTx, SenderLease, Write
from registry_api.services import record_writes
from registry_api.services import registers as service
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from tests.api.conftest import PASSPHRASE, Departments, make_key
from tests.api_process import poll

DID = "EthereumDIDRegistry"
SCHEMA = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}


@dataclass
class Api:
    client: TestClient
    headers: dict[str, str]
    signer: str
    department: str

    @property
    def state(self) -> Any:
        return self.client.app.state  # type: ignore[attr-defined]

    def enqueue_attribute(self, manifest: DeploymentManifest, value: bytes) -> str:
        """A DID attribute of FB02's own identity, enqueued as a generic call write."""
        data = contracts.encode(
            manifest, DID, "setAttribute", self.signer, b"city/test".ljust(32, b"\0"), value, 3600
        )
        with session_scope(self.state.engine) as session:
            write = outbox.enqueue_call(
                session,
                department="FB02",
                signer=self.signer,
                target=DID,
                data=data,
                gas=200_000,
                kind="did-attribute",
                reference=value.hex(),
            )
        self.state.pipeline.wake(write.signer)
        return write.id


def _api(
    departments: Departments,
    gateway_url: str,
    deployments_dir: Path,
    data: Path,
    *,
    department: str = "FB02",
    gas_factor: float = 1.0,
) -> Iterator[Api]:
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=data,
        keys_dir=departments.keys_dir,
        keystore_passphrase=PASSPHRASE,
        signers={department: f"dept-{department.lower()}"},
        credential_keys={},
        workers="thread",
        indexer_poll_seconds=5.0,
        sender_gas_factor=gas_factor,
    )
    with TestClient(create_app(settings)) as client:
        state = client.app.state  # type: ignore[attr-defined]
        headers = {"X-API-Key": make_key(state.engine, department, ["*"])}
        yield Api(client, headers, state.signers[department], department)


@pytest.fixture(scope="module")
def api(
    gateway_url: str,
    deployments_dir: Path,
    departments: Departments,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Api]:
    data = tmp_path_factory.mktemp("outbox")
    yield from _api(departments, gateway_url, deployments_dir, data)


def _attribute_events(rpc: RpcClient, manifest: DeploymentManifest, value: bytes) -> int:
    registry = manifest.contract(DID)
    decoded = (
        registry.interface.decode_log(e)
        for e in rpc.get_logs(address=registry.address, from_block=0)
    )
    return sum(
        1 for e in decoded if e and e.name == "DIDAttributeChanged" and e.args["value"] == value
    )


def test_a_generic_call_is_sent_once_and_its_wait_is_bounded(
    api: Api, city: DeploymentManifest, gateway_rpc: RpcClient
) -> None:
    value = secrets.token_bytes(20)
    write_id = api.enqueue_attribute(city, value)

    settled = api.state.waiter.wait_blocking([write_id], 30)

    assert settled[write_id].status == "anchored", settled
    body = api.client.get(f"/writes/{write_id}", headers=api.headers).json()
    assert (body["kind"], body["status"], body["register_id"]) == (
        "did-attribute",
        "anchored",
        None,
    )
    assert body["call_index"] is None and body["tx_hash"] and body["block_number"]
    with Session(api.state.engine) as session:
        tx = session.exec(select(ChainTx).where(ChainTx.tx_hash == body["tx_hash"])).one()
    assert (tx.target, tx.function) == (DID, "setAttribute")
    assert _attribute_events(gateway_rpc, city, value) == 1
    started = time.monotonic()
    assert api.state.waiter.wait_blocking(["0" * 32], 0.3) == {}
    assert time.monotonic() - started < 2.0
    with pytest.raises(ValueError, match="gas must be"), Session(api.state.engine) as session:
        outbox.enqueue_call(
            session, department="FB02", signer=api.signer, target=DID, data=b"\x01",
            gas=1000, kind="x",
        )  # fmt: skip


def test_a_nonce_used_behind_the_senders_back_replans_its_writes(
    api: Api, city: DeploymentManifest, gateway_rpc: RpcClient, departments: Departments
) -> None:
    """Someone else signs with the key at the nonce the sender counts on: the sender's
    transaction is refused as 'nonce too low', its write is planned again and anchored once."""
    first = api.enqueue_attribute(city, secrets.token_bytes(20))
    assert api.state.waiter.wait_blocking([first], 30)[first].status == "anchored"
    stolen = gateway_rpc.nonce(api.signer, "latest")
    Signer(departments.accounts["FB02"], gateway_rpc).transact(
        to=city.address(DID),
        data=contracts.encode(city, DID, "setAttribute", api.signer, b"x".ljust(32, b"\0"), b"", 1),
    )
    value = secrets.token_bytes(20)
    write_id = api.enqueue_attribute(city, value)

    assert api.state.waiter.wait_blocking([write_id], 30)[write_id].status == "anchored"
    with Session(api.state.engine) as session:
        replaced = session.exec(
            select(ChainTx).where(ChainTx.signer == api.signer).where(ChainTx.nonce == stolen)
        ).one()
        write = session.exec(select(Write).where(Write.id == write_id)).one()
        tx = session.get(ChainTx, write.tx_id)
    assert replaced.status == "replaced", replaced
    assert tx is not None and tx.nonce > stolen and tx.status == "mined"
    assert _attribute_events(gateway_rpc, city, value) == 1


@pytest.fixture
def starved_api(
    gateway_url: str, deployments_dir: Path, departments: Departments, tmp_path: Path
) -> Iterator[Api]:
    """An API (FB33's key: one sender per key) whose gas limits are a fifth of the measured."""
    yield from _api(
        departments, gateway_url, deployments_dir, tmp_path, department="FB33", gas_factor=0.2
    )


def test_calls_that_run_out_of_gas_are_planned_again_alone_with_more_gas(
    starved_api: Api,
) -> None:
    """createRegister alone runs out (the transaction fails using all its gas); in a tryEach of
    three createRecord calls the last ones run out (BatchedCallFailed without revert data). Both
    are planned again with twice the gas, alone, and anchored."""
    api = starved_api
    register_id = "GAS" + secrets.token_hex(3).upper()
    created = api.client.post(
        "/registers", json={"id": register_id, "name": "Gas", "schema": SCHEMA}, headers=api.headers
    )
    assert created.status_code == 202, created.text

    def settled(write_ids: list[str]) -> list[dict[str, Any]] | None:
        bodies = [api.client.get(f"/writes/{w}", headers=api.headers).json() for w in write_ids]
        return bodies if all(b["status"] in ("anchored", "failed") for b in bodies) else None

    (register,) = poll(lambda: settled([created.json()["write_id"]]), timeout=60, what="register")
    assert register["status"] == "anchored", register
    with session_scope(api.state.engine) as session:  # one commit: one round, one tryEach
        department = Department(code=api.department, key_id="test", registers=frozenset({"*"}))
        accepted = record_writes.create_records(
            session=session,
            department=department,
            signer=api.signer,
            register=service.get_register(session=session, register_id=register_id),
            contents=[{"name": f"N{i}"} for i in range(3)],
            mode="single",
        )
    api.state.pipeline.wake(api.department)
    records = poll(lambda: settled([w.write_id for w in accepted]), timeout=60, what="records")
    assert [r["status"] for r in records] == ["anchored"] * 3, records
    with Session(api.state.engine) as session:
        writes = session.exec(
            select(Write).where(
                col(Write.id).in_([created.json()["write_id"], *(w.write_id for w in accepted)])
            )
        ).all()
        txs = {
            t.id: t for t in session.exec(select(ChainTx).where(ChainTx.signer == api.signer)).all()
        }
    replanned = {w.kind for w in writes if w.replans > 0}
    assert replanned == {"register", "create"}, [(w.kind, w.replans) for w in writes]
    out_of_gas = [t for t in txs.values() if t.status == "failed"]
    assert out_of_gas and all(t.gas_used == t.gas_limit for t in out_of_gas), out_of_gas
    for write in writes:
        if write.replans:
            tx = txs[write.tx_id or 0]
            assert tx.function != "tryEach" and write.call_index is None, (write, tx)
    failed_group = [t for t in txs.values() if t.function == "tryEach"]
    assert failed_group, "the three records first went out together"


def test_a_nonce_given_back_is_handed_out_before_the_next_and_never_one_the_chain_used(
    api: Api,
) -> None:
    """Nonces 10, 12 and 13 are held (11 was refused for good and given back): 11 comes first,
    then 14; a chain that counts 20 transactions moves the next nonce to 20."""
    signer = "0x" + secrets.token_hex(20)
    with session_scope(api.state.engine) as session:
        for nonce in (10, 12, 13):
            session.add(
                ChainTx(
                    signer=signer, nonce=nonce, target="RegisterHub", function="createRecord",
                    raw="", tx_hash="0x" + secrets.token_hex(32), status="sent",
                )
            )  # fmt: skip
    book = NonceBook(signer)
    with Session(api.state.engine) as session:
        book.load(session, chain_nonce=10)
        assert book.gaps == [11]
        taken = book.take(3)
        assert taken == [11, 14, 15]
        book.commit(taken)
        assert book.gaps == [] and book.take(1) == [16]
        book.load(session, chain_nonce=20)
        assert book.gaps == [] and book.take(2) == [20, 21]


def test_the_backlog_is_read_without_an_index_on_status(database_url: str) -> None:
    """No outbox index covers ``status`` (migration 0011): the backlog reads pending and held
    writes through ``ix_write_open`` and submitted ones through their open transactions; settled
    and refused writes are not in it."""
    upgrade(database_url)
    engine = make_engine(database_url)
    signer = "0x" + secrets.token_hex(20)

    def write(status: str, tx_id: int | None = None) -> Write:
        row = outbox.new_write(
            department="FB02", signer=signer, planner="call", kind="test", target=DID
        )
        row.status, row.tx_id = status, tx_id
        return row

    try:
        with session_scope(engine) as session:
            txs = [
                ChainTx(signer=signer, nonce=n, target=DID, function="f", raw="", tx_hash=f"0x{n}",
                        status=status)
                for n, status in enumerate(("sent", "sent", "mined"))
            ]  # fmt: skip
            session.add_all(txs)
            session.flush()
            sent, also_sent, mined = (tx.id for tx in txs)
            session.add_all(
                [write("pending"), write("pending"), write("held"), write("failed"),
                 write("submitted", sent), write("submitted", sent),
                 write("submitted", also_sent), write("anchored", mined)]
            )  # fmt: skip
        with Session(engine) as session:
            found = {(b.status, b.count) for b in outbox.backlog(session) if b.signer == signer}
            held = [w.id for w in outbox.held_writes(session) if w.signer == signer]
        assert found == {("pending", 2), ("held", 1), ("submitted", 3)}
        with session_scope(engine) as session:
            assert outbox.release_held(session, held) == 1
        with Session(engine) as session:
            found = {(b.status, b.count) for b in outbox.backlog(session) if b.signer == signer}
        assert found == {("pending", 3), ("submitted", 3)}
    finally:
        engine.dispose()


def test_rows_inserted_at_once_read_back_and_a_duplicate_is_an_integrity_error(
    database_url: str,
) -> None:
    """``insert_rows`` (COPY on PostgreSQL): JSON and NULL values read back as given, and a
    unique violation is SQLAlchemy's IntegrityError, as an INSERT's would be."""
    upgrade(database_url)
    engine = make_engine(database_url)
    table = Write.__table__  # type: ignore[attr-defined]
    rows = [
        {**outbox.new_write(department="FB02", signer="0x" + "22" * 20, planner="call",
                            kind="test", target=DID, payload={"n": n, "ü": [1, None]}).model_dump(
            exclude={"seq"}), "reference": None}
        for n in range(3)
    ]  # fmt: skip
    try:
        with session_scope(engine) as session:
            insert_rows(session, table, rows)
        with Session(engine) as session:
            found = session.exec(
                select(Write.payload, Write.reference).where(
                    col(Write.id).in_([r["id"] for r in rows])
                )
            ).all()
        assert sorted(p["n"] for p, _ in found) == [0, 1, 2]
        assert all(p["ü"] == [1, None] and ref is None for p, ref in found)
        with pytest.raises(IntegrityError), session_scope(engine) as session:
            insert_rows(session, table, rows[:2])
    finally:
        engine.dispose()


def test_one_indexer_runs_per_store_and_another_takes_over_when_it_stops(
    database_url: str,
) -> None:
    """Replicas on one store index the chain once: the indexer lease (chain/indexer.py)."""
    upgrade(database_url)
    engine = make_engine(database_url)
    unused_node = "http://127.0.0.1:9"  # the lease is decided in the store alone

    def indexer(owner: str) -> Indexer:
        found = Indexer(engine=engine, rpc_url=unused_node, manifest_loader=lambda: None)  # type: ignore[arg-type,return-value]
        found.lease.owner = owner
        return found

    first, second = indexer("replica-a:1:test"), indexer("replica-b:1:test")
    try:
        assert first._holds() and not second._holds()
        assert first._holds()  # renewing is holding
        first.lease.release()  # its replica stops
        assert second._holds()
    finally:
        first.rpc.close()
        second.rpc.close()
        with session_scope(engine) as session:
            session.execute(delete(SenderLease).where(col(SenderLease.signer) == INDEXER_LEASE))
        engine.dispose()
