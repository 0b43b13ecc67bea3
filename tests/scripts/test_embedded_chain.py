"""The embedded chain keeps every block and record across restarts."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.codes import code_to_bytes32
from registry_core.council import ADD_DEPARTMENT, chain_view, decide
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.chain import ChainError, EmbeddedChain
from scripts.deploy import deploy_city
from tests.conftest import free_port


def directory_view(rpc: RpcClient, manifest: DeploymentManifest, function: str, *args: object):
    return chain_view(rpc, manifest)("DepartmentDirectory", function, *args)


def dumped_since(state_file: Path, mtime_ns: int) -> bool:
    """Whether anvil finished writing a complete state dump after ``mtime_ns``."""
    if not state_file.exists() or state_file.stat().st_mtime_ns == mtime_ns:
        return False
    try:
        orjson.loads(state_file.read_bytes())
    except orjson.JSONDecodeError:
        return False  # a dump is being written right now
    return True


@pytest.fixture
def fresh_chain(tmp_path: Path):
    node = EmbeddedChain(data_dir=tmp_path / "chain", port=free_port())
    node.start()
    yield node
    node.stop()


def deploy_and_seed(
    node: EmbeddedChain, deployments: Path, council: list[LocalAccount]
) -> DeploymentManifest:
    with RpcClient(node.url) as rpc:
        manifest = deploy_city(
            rpc=rpc,
            council_members=[key.address for key in council],
            threshold=2,
            deployments_dir=deployments,
        ).manifest
        decide(
            rpc=rpc,
            manifest=manifest,
            members=council,
            decision=ADD_DEPARTMENT.decide(
                department="FB02", name="Wirtschaftsförderung / Economic Development"
            ),
        )
    return manifest


def test_restart_keeps_deployment_and_council_state(fresh_chain: EmbeddedChain, tmp_path: Path):
    council = [Account.create() for _ in range(3)]
    manifest = deploy_and_seed(fresh_chain, tmp_path / "deployments", council)
    with RpcClient(fresh_chain.url) as rpc:
        head = rpc.block_number()
    fresh_chain.stop()
    fresh_chain.start()
    with RpcClient(fresh_chain.url) as rpc:
        assert rpc.block_number() == head
        name, active, _ = directory_view(rpc, manifest, "department", code_to_bytes32("FB02"))
        assert (name, active) == ("Wirtschaftsförderung / Economic Development", True)
        council_contract = manifest.contract("CityCouncil")
        members = council_contract.interface.decode_output(
            "members",
            rpc.call(council_contract.address, council_contract.interface.encode_call("members")),
        )
        assert sorted(members) == sorted(key.address for key in council)
        # Re-running the deployment against the restarted chain changes nothing.
        again = deploy_city(
            rpc=rpc,
            council_members=[key.address for key in council],
            threshold=2,
            deployments_dir=tmp_path / "deployments",
        )
        assert again.changed is False


def test_hard_kill_loses_at_most_the_last_state_interval(
    fresh_chain: EmbeddedChain, tmp_path: Path
):
    council = [Account.create() for _ in range(3)]
    deploy_and_seed(fresh_chain, tmp_path / "deployments", council)
    with RpcClient(fresh_chain.url) as rpc:
        head = rpc.block_number()
    state = fresh_chain.state_file
    written_before = state.stat().st_mtime_ns if state.exists() else 0
    deadline = time.monotonic() + 10
    # Poll (bounded) for the next complete periodic dump, which holds the blocks mined above.
    while not dumped_since(fresh_chain.state_file, written_before):
        assert time.monotonic() < deadline, "anvil wrote no periodic state dump within 10 s"
        time.sleep(0.05)
    fresh_chain.kill()
    fresh_chain.start()
    with RpcClient(fresh_chain.url) as rpc:
        assert rpc.block_number() >= head


def test_anvil_refuses_to_listen_beyond_loopback(tmp_path: Path):
    with pytest.raises(ChainError, match="loopback"):
        EmbeddedChain(data_dir=tmp_path, host="0.0.0.0")


def test_torn_state_file_falls_back_to_the_copy_from_the_last_start(
    fresh_chain: EmbeddedChain, tmp_path: Path
):
    council = [Account.create() for _ in range(3)]
    manifest = deploy_and_seed(fresh_chain, tmp_path / "deployments", council)
    fresh_chain.stop()  # clean stop: full state dumped
    fresh_chain.start()  # this start keeps a copy of the good state
    with RpcClient(fresh_chain.url) as rpc:
        head = rpc.block_number()
    fresh_chain.stop()
    # A hard kill in the middle of anvil's in-place rewrite leaves a truncated file.
    state = fresh_chain.state_file.read_bytes()
    fresh_chain.state_file.write_bytes(state[: len(state) // 2])
    fresh_chain.start()
    with RpcClient(fresh_chain.url) as rpc:
        assert rpc.block_number() == head
        name, _, _ = directory_view(rpc, manifest, "department", code_to_bytes32("FB02"))
        assert name.startswith("Wirtschaftsförderung")
    assert list(fresh_chain.data_dir.glob("chain-state.torn-*.json")), "the torn file is kept"


def test_start_refuses_a_port_taken_by_another_node(fresh_chain: EmbeddedChain, tmp_path: Path):
    second = EmbeddedChain(data_dir=tmp_path / "other", port=fresh_chain.port)
    with pytest.raises(ChainError, match="is taken"):
        second.start()
