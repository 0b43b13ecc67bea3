"""The chain loses its last blocks (as the embedded chain does when killed): nothing is lost.

The test drops the blocks with anvil's ``evm_snapshot``/``evm_revert`` on the node (test-only
methods; the API itself uses only standard JSON-RPC through the gateway). The sender sees that the
account's nonce fell below transactions it had seen mined and sends the same signed bytes again;
the indexer sees that a block it indexed is gone and rebuilds from block 0.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from registry_api.core.config import Settings
from registry_api.main import create_app
from registry_api.models.tables import ChainVersion
from registry_core.rpc import RpcClient
from tests.api.conftest import PASSPHRASE, Departments, make_key
from tests.api_process import poll

SCHEMA = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}


def test_writes_in_lost_blocks_are_sent_again_and_anchored_once(
    gateway_url: str,
    deployments_dir: Path,
    departments: Departments,
    node_rpc: RpcClient,
    tmp_path: Path,
) -> None:
    settings = Settings(
        rpc_url=gateway_url,
        deployments_dir=deployments_dir,
        data_dir=tmp_path,
        keys_dir=departments.keys_dir,
        keystore_passphrase=PASSPHRASE,
        signers={"FB33": "dept-fb33"},
        indexer_poll_seconds=0.1,
    )
    register_id = "LOSS" + secrets.token_hex(3).upper()
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        headers = {"X-API-Key": make_key(engine, "FB33", ["*"])}

        def anchored(write_id: str) -> dict[str, object] | None:
            body: dict[str, object] = client.get(f"/writes/{write_id}", headers=headers).json()
            return body if body["status"] == "anchored" else None

        created = client.post(
            "/registers",
            json={"id": register_id, "name": "Verlusttest", "schema": SCHEMA},
            headers=headers,
        )
        poll(lambda: anchored(created.json()["write_id"]), what="the register")

        snapshot = node_rpc.request("evm_snapshot")
        head_before = node_rpc.block_number()
        single = client.post(
            f"/registers/{register_id}/records", json={"content": {"name": "A"}}, headers=headers
        ).json()
        bulk = client.post(
            f"/registers/{register_id}/records/bulk",
            json={"records": [{"name": f"B{i}"} for i in range(10)]},
            headers=headers,
        ).json()
        first = poll(lambda: anchored(single["write_id"]), what="the single record")
        poll(lambda: anchored(bulk["writes"][-1]["write_id"]), what="the bulk records")
        poll(
            lambda: _indexed(engine, single["record_id"]),
            what="the indexer to see the single record",
        )

        assert node_rpc.request("evm_revert", [snapshot]) is True
        assert node_rpc.block_number() == head_before
        assert node_rpc.receipt(str(first["tx_hash"])) is None, "the block should be gone"

        def back_on_chain() -> bool:
            receipt = node_rpc.receipt(str(first["tx_hash"]))
            if receipt is None:
                return False
            record = client.get(
                f"/registers/{register_id}/records/{single['record_id']}", headers=headers
            ).json()
            batch = client.get(
                f"/registers/{register_id}/records/{bulk['writes'][0]['record_id']}",
                headers=headers,
            ).json()
            return bool(
                record["versions"][0]["on_chain"]
                and record["versions"][0]["on_chain"]["verified"]
                and batch["versions"][0]["on_chain"]
                and batch["versions"][0]["on_chain"]["verified"]
            )

        poll(back_on_chain, timeout=30, what="the lost transactions to be mined again")
        # The same signed transaction, mined again: same hash, counted once.
        again = anchored(single["write_id"])
        assert again is not None and again["tx_hash"] == first["tx_hash"]
        poll(lambda: _indexed(engine, single["record_id"]), what="the rebuilt index")


def _indexed(engine: object, record_id: str) -> bool:
    with Session(engine) as session:  # type: ignore[call-overload]
        return session.get(ChainVersion, (record_id, 0)) is not None


pytestmark = pytest.mark.timeout(120)
