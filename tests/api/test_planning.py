"""The planner as a pure function: outbox rows in, transactions out, no chain and no store.

The manifest carries the real compiled ABIs (from the compile cache) at made-up addresses.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from registry_api.chain import contracts, hub
from registry_api.chain.planning import Limits, TxPlan, plan_round
from registry_api.chain.planning import credentials as credential_planner
from registry_api.chain.planning import registers as register_planner
from registry_api.chain.planning.domains import PLANNERS
from registry_api.chain.planning.registers import RegisterContext
from registry_api.models.tables import Register
from registry_core.codes import code_to_bytes32
from registry_core.manifest import DeployedContract, DeploymentManifest
from registry_core.merkle import verify
from scripts.compile import compile_contracts

STATUS = "CredentialStatusRegistry"


@pytest.fixture(scope="module")
def manifest() -> DeploymentManifest:
    compiled = compile_contracts()
    return DeploymentManifest(
        chain_id=52062,
        compiler="test",
        source_commit="test",
        contracts={
            name: DeployedContract(
                name=name,
                address="0x" + f"{index + 1:040x}",
                abi=compiled[name].abi,
                deploy_block=0,
                deploy_tx="0x",
                bytecode_hash="0x",
                code_hash="0x",
            )
            for index, name in enumerate((hub.HUB, STATUS, "EthereumDIDRegistry"))
        },
    )


@dataclass
class Row:
    """An outbox row as the sender reads it (the planner needs attribute access only)."""

    seq: int
    planner: str
    kind: str
    target: str
    payload: dict[str, Any] | None = None
    mode: str = "single"
    register_id: str | None = None
    record_id: str | None = None
    version_index: int | None = None
    erasure_reason: int | None = None
    replans: int = 0
    id: str = field(default_factory=lambda: secrets.token_hex(16))
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Version:
    record_id: str
    version_index: int
    content_hash: str
    previous_hash: str
    anchored_status: str
    write_id: str


class Outbox:
    """Builds rows in outbox order, and the planners' context for register rows."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.versions: dict[tuple[str, int], Version] = {}
        self.registers: dict[str, Register] = {}
        self.anchoring: dict[str, Any] = {}

    def _add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def record(self, kind: str, register: str = "TRADE", mode: str = "single", **extra: Any) -> Row:
        seq = len(self.rows) + 1
        record_id = extra.pop("record_id", hub.hx(secrets.token_bytes(32)))
        index = extra.pop("version_index", 0)
        row = Row(
            seq,
            "registers",
            kind,
            hub.HUB,
            mode=mode,
            register_id=register,
            record_id=record_id,
            version_index=index,
            **extra,
        )
        self.versions.setdefault(
            (record_id, index),
            Version(
                record_id,
                index,
                hub.hx(secrets.token_bytes(32)),
                hub.ZERO_HASH,
                "active",
                row.id,
            ),
        )
        return self._add(row)

    def register(self, register: str) -> Row:
        self.registers[register] = Register(
            id=register,
            name=register.title(),
            department="FB02",
            schema_={},
            schema_hash=hub.ZERO_HASH,
            write_id="w",
        )
        return self._add(
            Row(len(self.rows) + 1, "registers", "register", hub.HUB, register_id=register)
        )

    def issue(self, code: str = "PARKING_PERMIT", levels: int = 8) -> Row:
        payload = {"hash": hub.hx(secrets.token_bytes(32)), "type": code, "levels": levels}
        return self._add(
            Row(len(self.rows) + 1, "credentials", "credential-issue", STATUS, payload)
        )

    def status(self, function: str, **payload: Any) -> Row:
        body = {
            "function": function,
            "hash": hub.hx(secrets.token_bytes(32)),
            "reason": 6,
            **payload,
        }
        return self._add(Row(len(self.rows) + 1, "credentials", "credential-status", STATUS, body))

    def call(self, data: bytes, gas: int = 100_000) -> Row:
        payload = {"data": "0x" + data.hex(), "gas": gas}
        return self._add(
            Row(len(self.rows) + 1, "call", "did-relay", "EthereumDIDRegistry", payload)
        )

    def plan(self, manifest: DeploymentManifest, **limits: Any) -> list[TxPlan]:
        context = RegisterContext(self.versions, self.registers, self.anchoring)
        return plan_round(
            self.rows,
            planners=PLANNERS,
            loaded={"registers": context},
            manifest=manifest,
            limits=Limits(**limits),
        )


def _decoded(manifest: DeploymentManifest, target: str, data: bytes) -> tuple[str, tuple[Any, ...]]:
    decoded = contracts.interface(manifest, target).decode_call(data)
    assert decoded is not None, data.hex()
    return decoded.name, tuple(decoded.args.values())


def _calls(manifest: DeploymentManifest, tx: TxPlan) -> list[bytes]:
    name, args = _decoded(manifest, tx.target, tx.data)
    assert name == "tryEach", name
    return [bytes(c) for c in args[0]]


def test_single_writes_share_a_try_each_and_each_write_keeps_its_call_index(
    manifest: DeploymentManifest,
) -> None:
    outbox = Outbox()
    rows = [outbox.record("create") for _ in range(5)]
    (tx,) = outbox.plan(manifest)
    assert tx.function == "tryEach" and tx.target == hub.HUB
    assert [(p.seq, p.call_index) for p in tx.placements] == [
        (r.seq, i) for i, r in enumerate(rows)
    ]
    inner = _calls(manifest, tx)
    for row, data in zip(rows, inner, strict=True):
        version = outbox.versions[(row.record_id, 0)]  # type: ignore[index]
        assert data == hub.encode(
            manifest, "createRecord", hub.id32("TRADE"), hub.b32(row.record_id or ""),
            hub.b32(version.content_hash),
        )  # fmt: skip
    assert tx.gas == sum(hub.GAS["createRecord"] + 10_000 for _ in rows) + 50_000


def test_groups_are_capped_and_a_group_of_one_is_the_plain_call(
    manifest: DeploymentManifest,
) -> None:
    outbox = Outbox()
    for _ in range(5):
        outbox.record("create")
    txs = outbox.plan(manifest, max_calls_per_tx=2)
    assert [t.function for t in txs] == ["tryEach", "tryEach", "createRecord"]
    assert [p.call_index for p in txs[2].placements] == [None]


def test_batch_mode_versions_become_one_root_per_register_with_proofs(
    manifest: DeploymentManifest,
) -> None:
    outbox = Outbox()
    trade = [outbox.record("create", mode="batch") for _ in range(3)]
    land = [outbox.record("create", register="LAND", mode="batch") for _ in range(2)]
    txs = outbox.plan(manifest)
    assert [t.function for t in txs] == ["anchorBatch", "anchorBatch"]
    for tx, rows in zip(txs, (trade, land), strict=True):
        assert [p.seq for p in tx.placements] == [r.seq for r in rows]
        root = tx.placements[0].root
        assert root is not None and tx.leaf_count == len(rows)
        for p in tx.placements:
            assert p.root == root and p.call_index is None
            assert p.leaf is not None and p.proof is not None and verify(root, p.leaf, p.proof)


def test_leaves_per_batch_and_transactions_per_round_are_capped(
    manifest: DeploymentManifest,
) -> None:
    outbox = Outbox()
    for _ in range(5):
        outbox.record("create", mode="batch")
    assert [t.leaf_count for t in outbox.plan(manifest, max_batch_leaves=2)] == [2, 2, 1]
    assert len(outbox.plan(manifest, max_batch_leaves=2, max_txs_per_round=2)) == 2


def test_a_register_goes_out_before_its_records_and_alone(manifest: DeploymentManifest) -> None:
    outbox = Outbox()
    outbox.register("LAND")
    outbox.record("create", register="LAND", mode="batch")
    outbox.record("create", register="LAND")
    txs = outbox.plan(manifest)
    assert [t.function for t in txs] == ["createRegister", "anchorBatch", "createRecord"]


def test_erasing_a_version_of_a_batch_planned_in_the_same_round_closes_that_batch_first(
    manifest: DeploymentManifest,
) -> None:
    outbox = Outbox()
    created = outbox.record("create", mode="batch")
    outbox.record("create", mode="batch")
    outbox.record("erase", mode="batch", record_id=created.record_id, erasure_reason=1)
    later = outbox.record("create", mode="batch")
    txs = outbox.plan(manifest)
    # The erasure is a single call: it goes out after the batches (in a group, if others join).
    assert [t.function for t in txs] == ["anchorBatch", "anchorBatch", "eraseBatchVersion"]
    first_batch = txs[0]
    assert [p.seq for p in first_batch.placements] == [1, 2]
    assert [p.seq for p in txs[1].placements] == [later.seq]
    _name, args = _decoded(manifest, hub.HUB, txs[2].data)
    placement = first_batch.placements[0]
    assert args[0] == placement.root and [bytes(p) for p in args[1]] == placement.proof


def test_a_write_that_ran_out_of_gas_goes_alone_with_twice_the_gas(
    manifest: DeploymentManifest,
) -> None:
    outbox = Outbox()
    outbox.record("create")
    outbox.record("create", replans=1)
    outbox.record("create")
    txs = outbox.plan(manifest, gas_factor=0.5)
    assert [t.function for t in txs] == ["createRecord", "tryEach"]
    assert txs[0].gas == hub.GAS["createRecord"] // 2 * 2
    assert [p.seq for p in txs[1].placements] == [1, 3]


def test_single_issuances_of_one_type_share_one_root_and_a_lone_one_is_its_own_leaf(
    manifest: DeploymentManifest,
) -> None:
    outbox = Outbox()
    permits = [outbox.issue() for _ in range(5)]
    (residence,) = [outbox.issue("RESIDENCE_CERT")]
    txs = outbox.plan(manifest, max_credential_group=4)
    assert [(t.function, t.target, t.leaf_count) for t in txs] == [
        ("anchorBatch", STATUS, 4),
        ("anchorBatch", STATUS, 1),
        ("anchorBatch", STATUS, 1),
    ]
    for tx, rows in zip(txs, (permits[:4], permits[4:], [residence]), strict=True):
        root, kind, count = _decoded(manifest, STATUS, tx.data)[1]
        assert kind == code_to_bytes32(rows[0].payload["type"]) and count == len(rows)  # type: ignore[index]
        for placement, row in zip(tx.placements, rows, strict=True):
            leaf = credential_planner.credential_leaf(hub.b32(row.payload["hash"]))  # type: ignore[index]
            assert placement.leaf == leaf and placement.root == root
            assert placement.proof is not None and verify(root, leaf, placement.proof)
    lone = txs[2].placements[0]
    assert lone.root == lone.leaf and lone.proof == []


def test_a_group_is_as_large_as_its_members_qr_codes_allow() -> None:
    """Proofs of a tree of n leaves have up to ceil(log2 n) hashes: 2 levels -> 4 per root."""
    outbox = Outbox()
    rows = [outbox.issue(levels=levels) for levels in (2, 2, 2, 2, 2, 3, 1, 1, 0, 3)]
    groups = credential_planner.groups_that_fit(rows, most=64)
    assert [[r.payload["levels"] for r in g] for g in groups] == [  # type: ignore[index]
        [2, 2, 2, 2],
        [2, 3],
        [1, 1],
        [0],
        [3],
    ]
    assert [len(g) for g in credential_planner.groups_that_fit(rows[:5], most=3)] == [3, 2]


def test_batch_issuances_and_status_changes_are_their_own_calls(
    manifest: DeploymentManifest,
) -> None:
    outbox = Outbox()
    root = secrets.token_bytes(32)
    outbox._add(
        Row(1, "credentials", "credential-batch", STATUS,
            {"root": hub.hx(root), "type": "PARKING_PERMIT", "count": 7})
    )  # fmt: skip
    suspend = outbox.status(
        "suspendBatchMember", root=hub.hx(root), proof=[hub.hx(secrets.token_bytes(32))]
    )
    outbox.status("resumeCredential")
    txs = outbox.plan(manifest)
    assert [t.function for t in txs] == ["anchorBatch", "suspendBatchMember", "resumeCredential"]
    assert _decoded(manifest, STATUS, txs[0].data)[1] == (
        root,
        code_to_bytes32("PARKING_PERMIT"),
        7,
    )
    _name, args = _decoded(manifest, STATUS, txs[1].data)
    assert args[2] == hub.b32(suspend.payload["hash"]) and args[3] == 6  # type: ignore[index]
    with pytest.raises(Exception, match="is not a status change"):
        bad = Outbox()
        bad.status("anchorCredential")
        bad.plan(manifest)


def test_generic_calls_go_out_unchanged_in_outbox_order(manifest: DeploymentManifest) -> None:
    outbox = Outbox()
    did = contracts.interface(manifest, "EthereumDIDRegistry")
    owner = "0x" + "ab" * 20
    data = did.encode_call("changeOwner", owner, owner)
    outbox.call(data, gas=90_000)
    outbox.record("create")
    outbox.call(b"\x12\x34\x56\x78", gas=30_000)
    txs = outbox.plan(manifest)
    assert [(t.function, t.target) for t in txs] == [
        ("changeOwner", "EthereumDIDRegistry"),
        ("0x12345678", "EthereumDIDRegistry"),
        ("createRecord", hub.HUB),
    ]
    assert txs[0].data == data and txs[0].gas == 90_000


def test_register_loader_context_is_what_the_planner_reads() -> None:
    """The planner reads only the context's three maps (a guard for the sender's loader)."""
    assert set(RegisterContext.__dataclass_fields__) == {"versions", "registers", "anchoring"}
    assert register_planner.plan is PLANNERS["registers"]
