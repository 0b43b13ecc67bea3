"""The register API against real anvil + the real gateway, on SQLite and on PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from registry_api.chain import contracts, hub
from registry_api.chain.indexer import rebuild
from registry_api.core.config import Settings
from registry_api.core.db import session_scope
from registry_api.core.security import Department
from registry_api.main import create_app
from registry_api.models.tables import (
    ChainBatch,
    ChainRegister,
    ChainVersion,
    Record,
    RecordVersion,
    Write,
)
from registry_api.services import record_writes
from registry_api.services import registers as service
from registry_core.merkle import verify
from tests.api.conftest import PASSPHRASE, Departments, make_key, problem_of
from tests.api_process import poll

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["business_name", "legal_form", "postal_code"],
    "properties": {
        # searchable: in the plaintext index (contents are stored encrypted)
        "business_name": {"type": "string", "minLength": 1, "maxLength": 200, "x-searchable": True},
        "legal_form": {"enum": ["GmbH", "UG", "eK", "GbR"]},
        "postal_code": {"type": "string", "pattern": "^[0-9]{5}$", "x-searchable": True},
    },
    "additionalProperties": False,
}


def business(name: str, postal_code: str = "52062") -> dict[str, Any]:
    return {"business_name": name, "legal_form": "GmbH", "postal_code": postal_code}


@dataclass
class Api:
    client: TestClient
    register_id: str
    fb02: dict[str, str]
    fb33: dict[str, str]
    fb32: dict[str, str]

    @property
    def engine(self) -> Any:
        return self.client.app.state.engine  # type: ignore[attr-defined]

    def writes(self) -> int:
        with Session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(Write)).one())

    def records(self) -> int:
        with Session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(Record)).one())

    def anchored(self, write_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            body: dict[str, Any] = self.client.get(
                f"/writes/{write_id}", headers=headers or self.fb02
            ).json()
            assert body["status"] != "failed", body
            return body if body["status"] == "anchored" else None

        return poll(check, what=f"write {write_id} to be anchored")


@pytest.fixture(scope="module")
def api(
    database_url: str,
    gateway_url: str,
    deployments_dir: Path,
    departments: Departments,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Api]:
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=tmp_path_factory.mktemp("api-data"),
        database_url=database_url,
        keys_dir=departments.keys_dir,
        keystore_passphrase=PASSPHRASE,
        bulk_max_records=200,
    )
    register_id = "TRADE" + secrets.token_hex(3).upper()
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        api = Api(
            client=client,
            register_id=register_id,
            fb02={"X-API-Key": make_key(engine, "FB02", [register_id])},
            fb33={"X-API-Key": make_key(engine, "FB33", ["*"])},
            fb32={"X-API-Key": make_key(engine, "FB32", ["*"])},
        )
        response = client.post(
            "/registers",
            json={"id": register_id, "name": "Gewerberegister / Trade register", "schema": SCHEMA},
            headers=api.fb02,
        )
        assert response.status_code == 202, response.text
        api.anchored(response.json()["write_id"])
        yield api


def test_register_is_created_and_anchored(api: Api) -> None:
    body = api.client.get(f"/registers/{api.register_id}").json()
    assert body["department"] == "FB02" and body["status"] == "anchored"
    assert body["schema"] == SCHEMA and body["schema_hash"].startswith("0x")
    listed = api.client.get("/registers").json()
    assert api.register_id in [r["id"] for r in listed["data"]]


def test_single_record_lifecycle_create_amend_close(api: Api) -> None:
    base = f"/registers/{api.register_id}/records"
    created = api.client.post(
        base, json={"content": business("Printen Müller GmbH")}, headers=api.fb02
    )
    assert created.status_code == 202, created.text
    assert created.headers["location"] == created.json()["status_url"]
    record_id = created.json()["record_id"]
    amended = api.client.post(
        f"{base}/{record_id}/amend",
        json={"content": business("Printen Müller GmbH", "52064"), "expected_version": 0},
        headers=api.fb02,
    )
    assert amended.status_code == 202, amended.text
    closed = api.client.post(
        f"{base}/{record_id}/close", json={"content": {"closed_on": "2026-11-30"}}, headers=api.fb02
    )
    assert closed.status_code == 202, closed.text
    for response in (created, amended, closed):
        api.anchored(response.json()["write_id"])
    record = api.client.get(f"{base}/{record_id}", headers=api.fb02).json()
    assert record["status"] == "closed" and record["mode"] == "single"
    assert [v["status"] for v in record["versions"]] == ["amended", "amended", "closed"]
    for version in record["versions"]:
        assert version["write"]["tx_hash"] and version["write"]["block_number"]
        assert version["on_chain"]["verified"], version
    assert [v["on_chain"]["status"] for v in record["versions"]] == ["amended", "amended", "closed"]
    again = api.client.post(
        f"{base}/{record_id}/amend", json={"content": business("Neu GmbH")}, headers=api.fb02
    )
    assert problem_of(again, 409)["type"].endswith("record-not-active")


def test_bulk_records_are_anchored_in_a_batch_with_proofs(api: Api) -> None:
    base = f"/registers/{api.register_id}/records"
    records = [business(f"Bulk Betrieb {i} GmbH") for i in range(40)]
    response = api.client.post(f"{base}/bulk", json={"records": records}, headers=api.fb02)
    assert response.status_code == 202, response.text
    writes = response.json()["writes"]
    assert response.json()["count"] == 40
    api.anchored(writes[-1]["write_id"])
    record = api.client.get(f"{base}/{writes[0]['record_id']}", headers=api.fb02).json()
    (version,) = record["versions"]
    assert record["mode"] == "batch" and version["on_chain"] == {
        "verified": True,
        "status": "active",
        "erasure_reason": None,
    }
    leaf = hub.batch_leaf(
        register_id=api.register_id,
        record_id=record["id"],
        version_index=0,
        content_hash=version["content_hash"],
        previous_hash=version["previous_hash"],
        status="active",
    )
    assert hub.hx(leaf) == version["leaf"]
    assert verify(
        hub.b32(version["write"]["merkle_root"]), leaf, [hub.b32(p) for p in version["proof"]]
    )


def test_batch_record_amend_then_erase(api: Api) -> None:
    base = f"/registers/{api.register_id}/records"
    response = api.client.post(
        f"{base}/bulk", json={"records": [business("Zu Löschen GmbH")]}, headers=api.fb02
    )
    record_id = response.json()["writes"][0]["record_id"]
    amended = api.client.post(
        f"{base}/{record_id}/amend", json={"content": business("Zu Löschen UG")}, headers=api.fb02
    )
    assert amended.status_code == 202, amended.text
    erased = api.client.post(
        f"{base}/{record_id}/erase", json={"reason": "data-subject-request"}, headers=api.fb02
    )
    assert erased.status_code == 202, erased.text
    assert erased.json()["count"] == 2
    for write in erased.json()["writes"]:
        api.anchored(write["write_id"])
    record = api.client.get(f"{base}/{record_id}", headers=api.fb02).json()
    assert record["status"] == "erased"
    for version in record["versions"]:
        assert version["content"] is None and version["salt"] is None
        assert (
            version["on_chain"]["status"] == "erased" and version["on_chain"]["erasure_reason"] == 1
        )


def test_erasing_an_old_version_keeps_the_record_findable(api: Api) -> None:
    base = f"/registers/{api.register_id}/records"
    marker = secrets.token_hex(4)
    created = api.client.post(
        base, json={"content": business(f"Alt {marker} GmbH")}, headers=api.fb02
    )
    record_id = created.json()["record_id"]
    amended = api.client.post(
        f"{base}/{record_id}/amend",
        json={"content": business(f"Neu {marker} GmbH")},
        headers=api.fb02,
    )
    assert amended.status_code == 202, amended.text
    erased = api.client.post(
        f"{base}/{record_id}/erase",
        json={"reason": "data-subject-request", "versions": [0]},
        headers=api.fb02,
    )
    assert erased.status_code == 202, erased.text
    found = api.client.get(base, params={"q": f"Neu {marker}"}, headers=api.fb02).json()
    assert [r["id"] for r in found["data"]] == [record_id], found


def test_single_record_erase(api: Api) -> None:
    base = f"/registers/{api.register_id}/records"
    created = api.client.post(base, json={"content": business("Einzel GmbH")}, headers=api.fb02)
    record_id = created.json()["record_id"]
    erased = api.client.post(
        f"{base}/{record_id}/erase", json={"reason": "entered-in-error"}, headers=api.fb02
    )
    api.anchored(erased.json()["writes"][0]["write_id"])
    record = api.client.get(f"{base}/{record_id}", headers=api.fb02).json()
    assert record["versions"][0]["on_chain"]["status"] == "erased"
    assert record["versions"][0]["on_chain"]["erasure_reason"] == 5


def test_single_writes_share_a_transaction_and_a_failing_call_fails_alone(api: Api) -> None:
    """Single writes of one sender round go out as one tryEach; a call the chain refuses is
    reported for its own write only (here: a version whose hash was zeroed in the store behind
    the API's back, which createRecord refuses), the others are anchored."""
    signer = api.client.app.state.signers["FB02"]  # type: ignore[attr-defined]
    department = Department(code="FB02", key_id="test", registers=frozenset({"*"}))
    with session_scope(api.engine) as session:  # one commit: the sender sees all three at once
        register = service.get_register(session=session, register_id=api.register_id)
        accepted = record_writes.create_records(
            session=session,
            department=department,
            signer=signer,
            register=register,
            contents=[business(f"Gruppe {i} GmbH") for i in range(3)],
            mode="single",
        )
        session.execute(
            update(RecordVersion)
            .where(col(RecordVersion.record_id) == accepted[1].record_id)
            .values(content_hash=hub.ZERO_HASH)
        )

    def settled() -> list[dict[str, Any]] | None:
        bodies = [
            api.client.get(f"/writes/{w.write_id}", headers=api.fb02).json() for w in accepted
        ]
        return bodies if all(b["status"] in ("anchored", "failed") for b in bodies) else None

    first, broken, last = poll(settled, what="the three single writes to settle")
    assert first["status"] == last["status"] == "anchored", (first, last)
    assert first["tx_hash"] == last["tx_hash"] == broken["tx_hash"], "one shared transaction"
    assert broken["status"] == "failed", broken
    assert "RegisterInvalidContentHash" in broken["error"], broken
    for write in (first, last):
        record = api.client.get(
            f"/registers/{api.register_id}/records/{write['record_id']}", headers=api.fb02
        ).json()
        assert record["versions"][0]["on_chain"]["status"] == "active", record


def test_list_and_search_with_pagination(api: Api) -> None:
    base = f"/registers/{api.register_id}/records"
    marker = secrets.token_hex(4)
    response = api.client.post(
        f"{base}/bulk",
        json={"records": [business(f"Suchbar {marker} {i} GmbH") for i in range(5)]},
        headers=api.fb02,
    )
    assert response.status_code == 202
    page = api.client.get(base, params={"q": marker, "limit": 2, "offset": 0}, headers=api.fb02)
    assert page.status_code == 200, page.text
    assert page.json()["count"] == 5 and len(page.json()["data"]) == 2
    rest = api.client.get(base, params={"q": marker, "limit": 10, "offset": 2}, headers=api.fb02)
    assert len(rest.json()["data"]) == 3
    assert all(marker in r["latest"]["business_name"] for r in rest.json()["data"])
    everything = api.client.get(base, params={"status": "active"}, headers=api.fb02).json()
    assert everything["count"] >= 5


def test_same_idempotency_key_and_body_gives_the_same_answer(api: Api) -> None:
    base = f"/registers/{api.register_id}/records"
    headers = {**api.fb02, "Idempotency-Key": secrets.token_hex(8)}
    first = api.client.post(base, json={"content": business("Einmal GmbH")}, headers=headers)
    writes = api.writes()
    second = api.client.post(base, json={"content": business("Einmal GmbH")}, headers=headers)
    assert second.status_code == 202 and second.json() == first.json()
    assert api.writes() == writes


def test_same_idempotency_key_with_another_body_is_a_problem(api: Api) -> None:
    base = f"/registers/{api.register_id}/records"
    headers = {**api.fb02, "Idempotency-Key": secrets.token_hex(8)}
    api.client.post(base, json={"content": business("Erst GmbH")}, headers=headers)
    writes = api.writes()
    other = api.client.post(base, json={"content": business("Anders GmbH")}, headers=headers)
    assert "Idempotency-Key" in problem_of(other, 422)["detail"]
    assert api.writes() == writes


def test_schema_invalid_record_is_refused(api: Api) -> None:
    writes, records = api.writes(), api.records()
    response = api.client.post(
        f"/registers/{api.register_id}/records",
        json={"content": {"business_name": "X", "legal_form": "Ltd", "postal_code": "5206"}},
        headers=api.fb02,
    )
    body = problem_of(response, 422)
    assert body["type"].endswith("schema-violation") and "legal_form" in body["detail"] + str(
        body["errors"]
    )
    assert (api.writes(), api.records()) == (writes, records)


def test_unknown_register_is_404(api: Api) -> None:
    writes = api.writes()
    response = api.client.post(
        "/registers/NOSUCHREG/records", json={"content": business("X GmbH")}, headers=api.fb33
    )
    assert "NOSUCHREG" in problem_of(response, 404)["detail"]
    assert api.writes() == writes


def test_other_departments_key_is_403(api: Api) -> None:
    writes = api.writes()
    response = api.client.post(
        f"/registers/{api.register_id}/records",
        json={"content": business("X GmbH")},
        headers=api.fb33,
    )
    body = problem_of(response, 403)
    assert "FB02" in body["detail"] and "FB33" in body["detail"]
    assert api.writes() == writes


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({}, "missing-api-key"),
        ({"X-API-Key": "crk_0123456789abcdef_" + "A" * 43}, "invalid-api-key"),
        ({"X-API-Key": "not-a-key"}, "invalid-api-key"),
    ],
)
def test_missing_or_forged_api_key_is_401(api: Api, headers: dict[str, str], kind: str) -> None:
    writes = api.writes()
    response = api.client.post(
        f"/registers/{api.register_id}/records",
        json={"content": business("X GmbH")},
        headers=headers,
    )
    assert problem_of(response, 401)["type"].endswith(kind)
    assert api.writes() == writes


def test_oversized_bulk_request_is_413(api: Api) -> None:
    writes = api.writes()
    response = api.client.post(
        f"/registers/{api.register_id}/records/bulk",
        json={"records": [business(f"B{i} GmbH") for i in range(201)]},
        headers=api.fb02,
    )
    body = problem_of(response, 413)
    assert "201" in body["detail"] and "200" in body["detail"]
    assert api.writes() == writes


def test_invalid_json_schema_is_refused(api: Api) -> None:
    response = api.client.post(
        "/registers",
        json={"id": "BROKEN" + secrets.token_hex(2).upper(), "name": "x", "schema": {"type": 12}},
        headers=api.fb33,
    )
    assert problem_of(response, 422)["type"].endswith("invalid-schema")


def test_contract_error_becomes_a_problem(api: Api) -> None:
    """FB32 is not allowed to create registers: the decoded custom error is the problem."""
    writes = api.writes()
    response = api.client.post(
        "/registers",
        json={
            "id": "ORDER" + secrets.token_hex(2).upper(),
            "name": "Ordnungsregister",
            "schema": SCHEMA,
        },
        headers=api.fb32,
    )
    body = problem_of(response, 403)
    assert body["contract_error"] == "RegisterCreatorNotAllowed", body
    assert api.writes() == writes


def test_indexer_follows_events_and_rebuilds_from_block_0(api: Api) -> None:
    """The index shows the module's register and this test's own single-mode record (created and
    amended) and batch as the chain has them; a rebuild derives them again from block 0."""
    base = f"/registers/{api.register_id}/records"
    created = api.client.post(
        base, json={"content": business("Index Einzel GmbH")}, headers=api.fb02
    )
    assert created.status_code == 202, created.text
    record_id = created.json()["record_id"]
    amended = api.client.post(
        f"{base}/{record_id}/amend",
        json={"content": business("Index Einzel GmbH", "52064"), "expected_version": 0},
        headers=api.fb02,
    )
    assert amended.status_code == 202, amended.text
    bulk = api.client.post(
        f"{base}/bulk",
        json={"records": [business(f"Index Stapel {i} GmbH") for i in range(3)]},
        headers=api.fb02,
    )
    assert bulk.status_code == 202, bulk.text
    single = [api.anchored(r.json()["write_id"]) for r in (created, amended)]
    batched = [api.anchored(w["write_id"]) for w in bulk.json()["writes"]]
    (root,) = {w["merkle_root"] for w in batched}
    assert root, batched
    register_write = api.anchored(
        api.client.get(f"/registers/{api.register_id}").json()["write_id"]
    )
    register_hex = hub.hx(hub.id32(api.register_id))

    def snapshot() -> dict[str, Any]:
        with Session(api.engine) as session:
            register = session.get(ChainRegister, register_hex)
            versions = session.exec(
                select(ChainVersion)
                .where(ChainVersion.record_id == record_id)
                .order_by(col(ChainVersion.version_index))
            ).all()
            batch = session.get(ChainBatch, root)
            return {
                "register": register
                and (register.department, register.block_number, register.tx_hash),
                "versions": [
                    (v.version_index, v.register_id, v.status, v.block_number, v.tx_hash)
                    for v in versions
                ],
                "batch": batch
                and (batch.register_id, batch.leaf_count, batch.block_number, batch.tx_hash),
            }

    expected = {
        "register": (
            hub.hx(hub.id32("FB02")),
            register_write["block_number"],
            register_write["tx_hash"],
        ),
        "versions": [
            (i, register_hex, status, write["block_number"], write["tx_hash"])
            for i, (status, write) in enumerate(zip(("amended", "active"), single, strict=True))
        ],
        "batch": (register_hex, 3, batched[0]["block_number"], batched[0]["tx_hash"]),
    }

    def wait_for_index(what: str) -> None:
        try:
            poll(lambda: snapshot() == expected, what=what)
        except AssertionError as timeout:
            assert snapshot() == expected, str(timeout)  # shows what the index holds instead
            raise

    wait_for_index("the indexer to follow this test's events")
    # Spoil the index where only a rebuild from block 0 can repair it (the indexer does not read
    # these blocks again by itself), then rebuild.
    with session_scope(api.engine) as session:
        session.execute(delete(ChainVersion).where(col(ChainVersion.record_id) == record_id))
        session.execute(delete(ChainBatch).where(col(ChainBatch.merkle_root) == root))
    spoiled = snapshot()
    assert spoiled["versions"] == [] and spoiled["batch"] is None, spoiled
    rebuild(engine=api.engine)
    wait_for_index("the index rebuilt from block 0")


def test_openapi_documents_the_register_endpoints(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/registers", "/registers/{register_id}/records/bulk", "/writes/{write_id}"):
        assert path in paths
    bulk = paths["/registers/{register_id}/records/bulk"]["post"]
    assert "413" in bulk["responses"]
    assert "example" in bulk["responses"]["413"]["content"]["application/problem+json"]


def test_fast_batch_leaf_equals_the_abi_encoded_leaf() -> None:
    fields = {
        "register_id": "TRADE",
        "record_id": "0x" + "ab" * 32,
        "version_index": 7,
        "content_hash": "0x" + "12" * 32,
        "previous_hash": "0x" + "00" * 32,
        "status": "closed",
    }
    assert hub.batch_leaf(**fields) == hub.batch_leaf_reference(**fields)  # type: ignore[arg-type]


def test_word_encoding_gives_the_same_bytes_as_eth_abi() -> None:
    from eth_abi.exceptions import ValueOutOfBounds

    from registry_core.abi import ContractABI

    word = {"type": "function", "stateMutability": "nonpayable", "outputs": []}
    codec = ContractABI(
        [
            {**word, "name": "createRecord", "inputs": [
                {"name": "a", "type": "bytes32"}, {"name": "b", "type": "bytes32"},
                {"name": "c", "type": "bytes32"}]},
            {**word, "name": "anchorBatch", "inputs": [
                {"name": "a", "type": "bytes32"}, {"name": "b", "type": "bytes32"},
                {"name": "n", "type": "uint16"}]},
            {**word, "name": "eraseVersion", "inputs": [
                {"name": "a", "type": "bytes32"}, {"name": "i", "type": "uint64"},
                {"name": "r", "type": "uint8"}]},
        ]
    )  # fmt: skip
    cases = [
        ("createRecord", (b"\x01" * 32, b"\xfe" * 32, bytes(32))),
        ("anchorBatch", (b"\x02" * 32, b"\x03" * 32, 1024)),
        ("eraseVersion", (b"\x04" * 32, 2**64 - 1, 5)),
    ]
    for function, args in cases:
        assert contracts.encode_call(codec, function, *args) == codec.encode_call(function, *args)
    with pytest.raises(ValueOutOfBounds):  # out of range: left to eth_abi
        contracts.encode_call(codec, "anchorBatch", b"\x02" * 32, b"\x03" * 32, 2**16)


def test_a_word_plan_never_serves_a_later_codec_with_a_reused_id() -> None:
    """CPython reuses a freed object's id at once: a plan cached by id(codec) would encode the
    next codec's call with the old codec's selector."""
    from registry_core.abi import ContractABI

    def codec(kind: str) -> ContractABI:
        return ContractABI(
            [{"type": "function", "name": "f", "stateMutability": "nonpayable", "outputs": [],
              "inputs": [{"name": "a", "type": kind}]}]
        )  # fmt: skip

    for _ in range(50):
        first = codec("uint256")
        contracts.encode_call(first, "f", 5)
        del first
        second = codec("uint64")  # most often at the address the first one had
        assert contracts.encode_call(second, "f", 5) == second.encode_call("f", 5)


def test_fast_signer_gives_the_same_bytes_as_eth_account() -> None:
    from eth_account import Account
    from eth_utils.address import to_checksum_address

    from registry_api.chain.signing import FastSigner

    account = Account.create()
    to = to_checksum_address("0x" + "5a" * 20)
    for nonce, data in ((0, b""), (7, b"\x01\x02" * 40), (1234, bytes(range(256)))):
        expected = account.sign_transaction(
            {"type": 2, "chainId": 52062, "nonce": nonce, "gas": 250_000, "maxFeePerGas": 0,
             "maxPriorityFeePerGas": 0, "value": 0, "data": data, "to": to}
        ).raw_transaction  # fmt: skip
        assert FastSigner(account, 52062).sign(to=to, data=data, nonce=nonce, gas=250_000) == bytes(
            expected
        )
