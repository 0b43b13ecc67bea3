"""The Besu network kit's files, checked against Besu's documented formats (no Besu binary is
reachable here; the facts and their sources are in tests/scripts/besu_documented.py)."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import stat
import tomllib
from collections.abc import Iterator
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from typer.testing import CliRunner

from scripts import cli
from scripts.commands import network as network_commands
from scripts.network.genesis import QBFT_MIX_HASH, qbft_extra_data
from scripts.network.kit import NetworkKit, Ports, add_node, init_kit, load_kit, unlock_node_key
from scripts.network.nodes import NodeKeyError
from scripts.network.validator_set import VALIDATOR_SET_ADDRESS
from tests.fixture_keys import TEST_SCRYPT_N
from tests.scripts import besu_documented as besu

PASSPHRASE = "kit-test-passphrase-not-a-secret"  # test fixture
HOSTS = ["10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3"]  # two nodes share 10.0.0.1

runner = CliRunner()


@pytest.fixture(scope="module")
def memory_dir() -> Iterator[PurePosixPath]:
    """A folder of this module alone in /dev/shm (tmpfs), removed afterwards."""
    path = Path("/dev/shm") / f"city-besu-test-{secrets.token_hex(4)}"
    yield PurePosixPath(path)
    shutil.rmtree(path, ignore_errors=True)


def make_kit(directory: Path, key_dir: PurePosixPath, hosts: list[str] = HOSTS) -> NetworkKit:
    return init_kit(
        directory=directory, validators=4, passphrase=PASSPHRASE, chain_id=52062,
        block_period_seconds=2, gas_limit=30_000_000, hosts=hosts,
        ports=Ports(p2p=30303, rpc=8546, metrics=9545), key_dir=key_dir,
        scrypt_n=TEST_SCRYPT_N, clock=lambda: 1_767_225_600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory, memory_dir: PurePosixPath) -> NetworkKit:
    return make_kit(tmp_path_factory.mktemp("kit") / "network", memory_dir)


@pytest.fixture(scope="module")
def genesis(kit: NetworkKit) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((kit.directory / "genesis.json").read_text())
    return data


def config_of(kit: NetworkKit, index: int) -> dict[str, Any]:
    return tomllib.loads((kit.directory / f"node-{index}" / "config.toml").read_text())


# ---- extraData: against Besu's documented examples -----------------------------------------------


def test_extra_data_matches_the_rlp_besu_documents_for_four_validators() -> None:
    assert qbft_extra_data(besu.RLP_ENCODE_VALIDATORS) == besu.RLP_ENCODE_EXTRA_DATA
    assert qbft_extra_data(besu.HEADER_GENESIS_VALIDATORS) == besu.HEADER_GENESIS_EXTRA_DATA


def test_contract_selection_extra_data_is_besus_documented_value(genesis: dict[str, Any]) -> None:
    assert genesis["extraData"] == besu.CONTRACT_GENESIS["extraData"]
    vanity, validators, votes, round_, seals = rlp.decode(bytes.fromhex(genesis["extraData"][2:]))
    assert (vanity, validators, votes, round_, seals) == (bytes(32), [], [], b"", [])


# ---- genesis.json ----------------------------------------------------------------------------------


def test_genesis_has_the_keys_of_besus_contract_selection_example(genesis: dict[str, Any]) -> None:
    documented = besu.CONTRACT_GENESIS
    assert set(documented) <= set(genesis), set(documented) - set(genesis)
    assert set(genesis["config"]["qbft"]) == set(documented["config"]["qbft"])
    for constant in (
        "nonce",
        "difficulty",
        "mixHash",
        "coinbase",
        "number",
        "gasUsed",
        "parentHash",
    ):
        assert genesis[constant] == documented[constant], constant
    assert genesis["mixHash"] == QBFT_MIX_HASH
    entry = genesis["alloc"][genesis["config"]["qbft"]["validatorcontractaddress"]]
    assert set(entry) <= set(documented["alloc"][VALIDATOR_SET_ADDRESS])
    for key, value in entry["storage"].items():
        assert re.fullmatch("[0-9a-f]{64}", key) and re.fullmatch("[0-9a-f]{64}", value), (
            key,
            value,
        )
    assert re.fullmatch("0x[0-9a-f]+", entry["code"]) and len(entry["code"]) > 100


def test_genesis_is_gas_free_on_our_chain_with_the_advised_timeout(genesis: dict[str, Any]) -> None:
    config = genesis["config"]
    assert config["chainId"] == 52062
    assert config["zeroBaseFee"] is True and config["londonBlock"] == 0  # free-gas.md, step 4
    assert genesis["baseFeePerGas"] == "0x0"
    qbft = config["qbft"]
    assert qbft["blockperiodseconds"] == 2
    assert qbft["requesttimeoutseconds"] == 2 * qbft["blockperiodseconds"]
    assert qbft["validatorcontractaddress"] == VALIDATOR_SET_ADDRESS
    assert VALIDATOR_SET_ADDRESS in genesis["alloc"]  # "must be identical to the address in alloc"
    assert config["shanghaiTime"] == 0 and config["cancunTime"] == 0  # the contracts' evm version


# ---- node configuration ----------------------------------------------------------------------------


def test_every_config_key_is_a_documented_besu_option_of_the_documented_kind(
    kit: NetworkKit,
) -> None:
    for node in kit.nodes:
        config = config_of(kit, node.index)
        assert set(config) <= besu.OPTIONS, set(config) - besu.OPTIONS
        for key, value in config.items():
            if key in besu.STRING_OPTIONS:
                assert isinstance(value, str), key
            elif key in besu.INTEGER_OPTIONS:
                assert isinstance(value, int) and not isinstance(value, bool), key
            elif key in besu.BOOLEAN_OPTIONS:
                assert isinstance(value, bool), key
            else:
                assert key in besu.LIST_OPTIONS and isinstance(value, list), key
        assert set(config["rpc-http-api"]) <= besu.RPC_APIS
        assert config["sync-mode"] in besu.SYNC_MODES
        assert config["data-storage-format"] in besu.STORAGE_FORMATS


def test_configs_are_gas_free_loopback_rpc_and_point_at_the_kits_files(kit: NetworkKit) -> None:
    for node in kit.nodes:
        folder = kit.directory / node.name
        config = config_of(kit, node.index)
        assert config["min-gas-price"] == 0 and config["tx-pool-min-gas-price"] == "0"
        assert config["rpc-http-host"] == "127.0.0.1" and config["metrics-host"] == "127.0.0.1"
        assert config["discovery-enabled"] is False
        assert (folder / config["genesis-file"]).resolve() == kit.directory / "genesis.json"
        for relative in ("static-nodes-file", "permissions-accounts-config-file"):
            assert (folder / config[relative]).is_file(), relative
        key_file = PurePosixPath(config["node-private-key-file"])
        assert key_file.is_absolute() and key_file.parent == kit.key_dir


def test_nodes_on_one_host_get_distinct_ports(kit: NetworkKit) -> None:
    ports = {(n.host, n.p2p_port) for n in kit.nodes}
    assert len(ports) == 4
    assert [n.p2p_port for n in kit.nodes] == [30303, 30303, 30304, 30303]
    assert [n.rpc_port for n in kit.nodes] == [8546, 8546, 8547, 8546]


def test_static_nodes_list_every_validator_by_documented_enode_url(kit: NetworkKit) -> None:
    expected = [node.enode for node in kit.nodes]
    for node in kit.nodes:
        listed = json.loads((kit.directory / node.name / "static-nodes.json").read_text())
        assert listed == expected
    for node, enode in zip(kit.nodes, expected, strict=True):
        assert re.fullmatch(besu.ENODE, enode), enode
        assert enode.endswith(f"@{node.host}:{node.p2p_port}")
        # The enode id is the node key's public key: its keccak gives the validator address.
        public_key = bytes.fromhex(enode.removeprefix("enode://").split("@")[0])
        assert to_checksum_address(keccak(public_key)[12:]) == node.address


def test_permissions_file_allows_only_the_deployer_until_the_city_exists(kit: NetworkKit) -> None:
    for node in kit.nodes:
        parsed = tomllib.loads((kit.directory / node.name / "permissions_config.toml").read_text())
        assert parsed == {"accounts-allowlist": [kit.deployer]}


def test_validator_set_storage_names_the_council_the_deployer_creates(
    kit: NetworkKit, genesis: dict[str, Any]
) -> None:
    storage = genesis["alloc"][VALIDATOR_SET_ADDRESS]["storage"]
    assert int(storage["00" * 32], 16) == int(kit.council, 16)  # slot 0: council
    assert int(storage[f"{1:064x}"], 16) == 4  # slot 1: four validators
    # CREATE address of the deployer's nonce-0 transaction (yellow paper: keccak(rlp([s, n])))
    expected = keccak(rlp.encode([bytes.fromhex(kit.deployer[2:]), 0]))[12:]
    assert kit.council == to_checksum_address(expected)


# ---- keys ------------------------------------------------------------------------------------------


def test_keys_at_rest_are_encrypted_web3_secret_storage(kit: NetworkKit) -> None:
    for name in ["deployer", *(node.key_name for node in kit.nodes)]:
        path = kit.directory / "keys" / f"{name}.json"
        data = json.loads(path.read_text())
        assert data["version"] == 3 and data["crypto"]["kdf"] == "scrypt"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = bytes(kit.keystore.load("validator-1", PASSPHRASE).key).hex()
    for path in kit.directory.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), f"plain key in {path}"


def test_unlock_writes_besus_key_file_format_into_memory(kit: NetworkKit) -> None:
    node = kit.node(2)
    path = unlock_node_key(kit, node, PASSPHRASE)
    text = path.read_text()
    assert text.splitlines() == [text] and re.fullmatch(besu.KEY_FILE, text), text
    assert Account.from_key(text).address == node.address
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path == Path(config_of(kit, 2)["node-private-key-file"])


def test_unlock_refuses_a_folder_on_disk(tmp_path: Path) -> None:
    on_disk = make_kit(tmp_path / "network", PurePosixPath(tmp_path / "plain-keys"))
    with pytest.raises(NodeKeyError, match="not in memory"):
        unlock_node_key(on_disk, on_disk.node(1), PASSPHRASE)
    assert not (tmp_path / "plain-keys").exists()


def test_unlock_refuses_a_memory_folder_others_can_read(tmp_path: Path) -> None:
    shared = Path("/dev/shm") / f"city-besu-open-{secrets.token_hex(4)}"
    shared.mkdir()
    shared.chmod(0o755)
    try:
        open_kit = make_kit(tmp_path / "network", PurePosixPath(shared))
        with pytest.raises(NodeKeyError, match="closed to others"):
            unlock_node_key(open_kit, open_kit.node(1), PASSPHRASE)
        assert not any(shared.iterdir())
    finally:
        shutil.rmtree(shared)


def test_add_node_extends_every_static_nodes_list(
    tmp_path: Path, memory_dir: PurePosixPath
) -> None:
    small = make_kit(tmp_path / "network", memory_dir, hosts=["127.0.0.1"])
    grown, node = add_node(
        small, passphrase=PASSPHRASE, host="127.0.0.1",
        ports=Ports(p2p=30303, rpc=8546, metrics=9545), scrypt_n=TEST_SCRYPT_N,
    )  # fmt: skip
    assert node.index == 5 and node.p2p_port == 30307 and node.rpc_port == 8550
    assert load_kit(small.directory) == grown
    for each in grown.nodes:
        listed = json.loads((small.directory / each.name / "static-nodes.json").read_text())
        assert listed[-1] == node.enode and len(listed) == 5
    assert (
        tomllib.loads((small.directory / node.name / "config.toml").read_text())["p2p-port"]
        == 30307
    )


# ---- the command line ------------------------------------------------------------------------------


def test_network_init_refusals(tmp_path: Path) -> None:
    few = runner.invoke(
        cli.app, ["network", "init", "--validators", "3", "--out", str(tmp_path / "a")]
    )
    assert few.exit_code == 2 and "at least 4" in few.stderr
    hosts = runner.invoke(
        cli.app, ["network", "init", "--validators", "4", "--host", "a", "--host", "b",
                  "--out", str(tmp_path / "b")],
    )  # fmt: skip
    assert hosts.exit_code == 2 and "one host for all nodes or 4" in hosts.stderr
    relative = runner.invoke(
        cli.app,
        ["network", "init", "--validators", "4", "--key-dir", "keys", "--out", str(tmp_path / "c")],
    )
    assert relative.exit_code == 2 and "absolute path" in relative.stderr
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "genesis.json").write_text("{}")
    taken = runner.invoke(
        cli.app, ["network", "init", "--validators", "4", "--out", str(tmp_path / "full")]
    )
    assert taken.exit_code == 2 and "not empty" in taken.stderr
    short = runner.invoke(
        cli.app, ["network", "init", "--validators", "4", "--out", str(tmp_path / "d")],
        env={"CITY_NETWORK_PASSPHRASE": "short"},
    )  # fmt: skip
    assert short.exit_code == 2 and "at least 12 characters" in short.stderr
    assert not any((tmp_path / name).exists() for name in "abcd")


def test_network_init_writes_the_kit_and_reports_it_as_json(
    tmp_path: Path, memory_dir: PurePosixPath, monkeypatch: pytest.MonkeyPatch
) -> None:
    # test fixture: cheap scrypt, so that five keys take milliseconds, not seconds
    monkeypatch.setattr(network_commands, "init_kit", partial(init_kit, scrypt_n=TEST_SCRYPT_N))
    result = runner.invoke(
        cli.app,
        ["network", "init", "--validators", "5", "--out", str(tmp_path / "net"), "--block-period",
         "5", "--key-dir", str(memory_dir), "--json"],
        env={"CITY_NETWORK_PASSPHRASE": PASSPHRASE},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    kit = load_kit(tmp_path / "net")
    assert report["council"] == kit.council and len(report["nodes"]) == 5
    assert report["request_timeout_seconds"] == 10
    unlocked = runner.invoke(
        cli.app, ["network", "unlock", "3", "--kit", str(tmp_path / "net")],
        env={"CITY_NETWORK_PASSPHRASE": PASSPHRASE},
    )  # fmt: skip
    assert unlocked.exit_code == 0, unlocked.output
    assert unlocked.stdout.strip() == str(kit.plain_key_path(kit.node(3)))
    unknown = runner.invoke(
        cli.app, ["network", "unlock", "9", "--kit", str(tmp_path / "net")],
        env={"CITY_NETWORK_PASSPHRASE": PASSPHRASE},
    )  # fmt: skip
    assert unknown.exit_code == 2 and "no node 9" in unknown.stderr
    wrong = runner.invoke(
        cli.app, ["network", "unlock", "3", "--kit", str(tmp_path / "net")],
        env={"CITY_NETWORK_PASSPHRASE": "another-passphrase"},
    )  # fmt: skip
    assert wrong.exit_code == 1 and "wrong passphrase" in wrong.stderr
