"""The network kit against a real chain (the session's anvil): the genesis storage of the
validator set equals a deployed instance, `registry deploy --kit` makes the validator set's
council, the council changes the set, and `registry network status` reads validators' activity.

anvil stands in for Besu here: `anvil_setCode` / `anvil_setStorageAt` install the genesis
`alloc` (as Besu does at block 0) and `anvil_setCoinbase` plays the rotating QBFT proposer; they
are sent to the node's own port, never through the gateway.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from typer.testing import CliRunner

from registry_core.abi import ContractABI
from registry_core.council import (
    ADD_VALIDATOR,
    REMOVE_VALIDATOR,
    GovernanceError,
    decide,
    decode_decision,
    simulate,
)
from registry_core.errors import TransactionFailedError
from registry_core.manifest import DeploymentManifest, load_manifest
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from scripts import cli
from scripts.compile import CompiledContract, compile_contracts
from scripts.network.deployment import deploy_on_network
from scripts.network.kit import KitError, NetworkKit, Ports, init_kit
from scripts.network.status import network_status, quorum
from scripts.network.validator_set import MAX_VALIDATORS, MIN_VALIDATORS, validator_set_alloc
from tests.fixture_keys import TEST_SCRYPT_N

PASSPHRASE = "kit-test-passphrase-not-a-secret"  # test fixture

runner = CliRunner()


@pytest.fixture(scope="module")
def validator_set_contract() -> CompiledContract:
    return compile_contracts()["ValidatorSet"]


@pytest.fixture(scope="module")
def interface(validator_set_contract: CompiledContract) -> ContractABI:
    return ContractABI(validator_set_contract.abi)


def view(rpc: RpcClient, interface: ContractABI, address: str, name: str, *args: Any) -> Any:
    return interface.decode_output(name, rpc.call(address, interface.encode_call(name, *args)))


def install_genesis_alloc(rpc: RpcClient, address: str, entry: dict[str, Any]) -> None:
    """What Besu does with a genesis alloc entry, done to anvil (node port, test only)."""
    rpc.request("anvil_setCode", [address, entry["code"]])
    for slot, value in entry["storage"].items():
        rpc.request("anvil_setStorageAt", [address, "0x" + slot, "0x" + value])


def addresses(count: int) -> list[str]:
    return [str(Account.create().address) for _ in range(count)]


def make_kit(directory: Path) -> NetworkKit:
    return init_kit(
        directory=directory, validators=4, passphrase=PASSPHRASE, chain_id=52062,
        block_period_seconds=2, gas_limit=30_000_000, hosts=["127.0.0.1"],
        ports=Ports(p2p=30303, rpc=8546, metrics=9545),
        key_dir=PurePosixPath("/dev/shm") / f"city-besu-test-{secrets.token_hex(4)}",
        scrypt_n=TEST_SCRYPT_N,
    )  # fmt: skip


# ---- genesis storage = constructor storage --------------------------------------------------------


def test_genesis_alloc_gives_the_same_validator_set_as_a_deployed_instance(
    node_rpc: RpcClient, validator_set_contract: CompiledContract, interface: ContractABI
) -> None:
    council, validators = addresses(1)[0], addresses(5)
    deployer = Signer(Account.create(), node_rpc)
    receipt = deployer.transact(
        to=None,
        data=interface.encode_deploy(validator_set_contract.bytecode, council, validators),
        interface=interface,
    )
    deployed = to_checksum_address(receipt["contractAddress"])
    entry = validator_set_alloc(validator_set_contract.runtime_bytecode, council, validators)
    genesis = to_checksum_address("0x" + secrets.token_hex(20))
    install_genesis_alloc(node_rpc, genesis, entry)

    assert node_rpc.get_code(genesis) == node_rpc.get_code(deployed)
    for slot, value in entry["storage"].items():
        stored = node_rpc.request("eth_getStorageAt", [deployed, "0x" + slot, "latest"])
        assert int(stored, 16) == int(value, 16), f"slot {slot}: deployed {stored}, genesis {value}"
    for name in ("getValidators", "validatorCount", "council", "MIN_VALIDATORS", "MAX_VALIDATORS"):
        assert view(node_rpc, interface, genesis, name) == view(node_rpc, interface, deployed, name)
    assert view(node_rpc, interface, genesis, "getValidators") == validators
    assert (
        view(node_rpc, interface, deployed, "MIN_VALIDATORS"),
        view(node_rpc, interface, deployed, "MAX_VALIDATORS"),
    ) == (MIN_VALIDATORS, MAX_VALIDATORS)
    for validator in validators:
        assert view(node_rpc, interface, genesis, "isValidator", validator) is True
    assert view(node_rpc, interface, genesis, "isValidator", council) is False


# ---- a city deployed onto the kit's network ------------------------------------------------------


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetworkKit]:
    made = make_kit(tmp_path_factory.mktemp("chain-kit") / "network")
    yield made
    shutil.rmtree(Path(str(made.key_dir)), ignore_errors=True)


@pytest.fixture(scope="module")
def network_city(
    node_rpc: RpcClient,
    kit: NetworkKit,
    council_keys: list[LocalAccount],
    tmp_path_factory: pytest.TempPathFactory,
) -> DeploymentManifest:
    """The kit's genesis validator set on the chain, and the city deployed with the kit."""
    genesis = json.loads((kit.directory / "genesis.json").read_text())
    install_genesis_alloc(node_rpc, kit.validator_set, genesis["alloc"][kit.validator_set])
    return deploy_on_network(
        rpc=node_rpc, kit=kit, passphrase=PASSPHRASE,
        council_members=[key.address for key in council_keys], threshold=2,
        deployments_dir=tmp_path_factory.mktemp("network-deployments"),
    ).manifest  # fmt: skip


def test_deploy_with_the_kit_creates_the_council_the_genesis_names(
    node_rpc: RpcClient, kit: NetworkKit, network_city: DeploymentManifest, interface: ContractABI
) -> None:
    assert network_city.address("CityCouncil") == kit.council
    entry = network_city.contract("ValidatorSet")
    assert (entry.address, entry.deploy_block, entry.deploy_tx) == (kit.validator_set, 0, "")
    assert view(node_rpc, interface, kit.validator_set, "council") == kit.council
    assert view(node_rpc, interface, kit.validator_set, "getValidators") == [
        node.address for node in kit.nodes
    ]


def test_only_a_council_decision_changes_the_validators(
    node_rpc: RpcClient,
    kit: NetworkKit,
    network_city: DeploymentManifest,
    council_keys: list[LocalAccount],
    interface: ContractABI,
) -> None:
    newcomer = addresses(1)[0]
    member = Signer(council_keys[0], node_rpc)
    with pytest.raises(TransactionFailedError, match="ValidatorSetCallerNotCouncil"):
        member.transact(
            to=kit.validator_set, data=interface.encode_call("addValidator", newcomer),
            interface=interface,
        )  # fmt: skip
    joining = ADD_VALIDATOR.decide(validator=newcomer)
    target, calldata = joining.call(network_city)
    assert decode_decision(network_city, target, calldata) == joining  # members read it back
    simulate(rpc=node_rpc, manifest=network_city, decision=joining)
    assert joining.description() == f"Validator {newcomer} aufnehmen / Add validator {newcomer}"
    decide(rpc=node_rpc, manifest=network_city, members=council_keys, decision=joining)
    assert newcomer in view(node_rpc, interface, kit.validator_set, "getValidators")
    leaving = kit.nodes[0].address
    decide(
        rpc=node_rpc, manifest=network_city, members=council_keys,
        decision=REMOVE_VALIDATOR.decide(validator=leaving),
    )  # fmt: skip
    now = view(node_rpc, interface, kit.validator_set, "getValidators")
    assert leaving not in now and len(now) == 4
    with pytest.raises(GovernanceError, match="ValidatorSetTooSmall"):
        simulate(
            rpc=node_rpc, manifest=network_city,
            decision=REMOVE_VALIDATOR.decide(validator=now[0]),
        )  # fmt: skip
    with pytest.raises(GovernanceError, match="ValidatorSetAlreadyValidator"):
        simulate(
            rpc=node_rpc, manifest=network_city, decision=ADD_VALIDATOR.decide(validator=now[0])
        )


def test_redeploying_with_the_kit_changes_nothing(
    node_rpc: RpcClient,
    kit: NetworkKit,
    network_city: DeploymentManifest,
    council_keys: list[LocalAccount],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployments = tmp_path / "deployments"
    deployments.mkdir()
    (deployments / "52062.json").write_text(json.dumps(network_city.to_json()))
    head = node_rpc.block_number()
    monkeypatch.setenv("CITY_NETWORK_PASSPHRASE", PASSPHRASE)
    members = [word for key in council_keys for word in ("--council", key.address)]
    result = runner.invoke(
        cli.app,
        ["deploy", "--kit", str(kit.directory), *members, "--threshold", "2",
         "--rpc", node_rpc.url, "--deployments", str(deployments), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changed"] is False
    assert node_rpc.block_number() == head
    assert load_manifest(deployments, 52062) == network_city


def test_a_kit_whose_deployer_was_used_otherwise_is_refused(
    node_rpc: RpcClient, council_keys: list[LocalAccount], tmp_path: Path
) -> None:
    made = make_kit(tmp_path / "network")
    genesis = json.loads((made.directory / "genesis.json").read_text())
    # Its own address for the set, so that the module's city keeps the one at 0x…7777.
    spoilt = replace(made, validator_set=to_checksum_address("0x" + secrets.token_hex(20)))
    install_genesis_alloc(node_rpc, spoilt.validator_set, genesis["alloc"][made.validator_set])
    deployer = spoilt.keystore.load("deployer", PASSPHRASE)
    Signer(deployer, node_rpc).transact(to=deployer.address, data=b"")  # nonce 0 spent
    with pytest.raises(KitError, match="can never be governed"):
        deploy_on_network(
            rpc=node_rpc, kit=spoilt, passphrase=PASSPHRASE,
            council_members=[key.address for key in council_keys], threshold=2,
            deployments_dir=tmp_path / "deployments",
        )  # fmt: skip


# ---- validator activity --------------------------------------------------------------------------


@pytest.fixture
def coinbase(node_rpc: RpcClient) -> Iterator[None]:
    yield
    node_rpc.request("anvil_setCoinbase", ["0x" + "00" * 20])


def propose(rpc: RpcClient, proposer: str, blocks: int = 1) -> None:
    """Mine ``blocks`` blocks with ``proposer`` in their miner field, as QBFT's proposer would."""
    rpc.request("anvil_setCoinbase", [proposer])
    for _ in range(blocks):
        rpc.request("evm_mine", [])


@pytest.mark.usefixtures("coinbase")
def test_status_names_the_validators_that_propose_nothing(
    node_rpc: RpcClient, validator_set_contract: CompiledContract, interface: ContractABI
) -> None:
    validators = addresses(4)
    address = to_checksum_address("0x" + secrets.token_hex(20))
    entry = validator_set_alloc(
        validator_set_contract.runtime_bytecode, addresses(1)[0], validators
    )
    install_genesis_alloc(node_rpc, address, entry)
    for proposer in validators[:3]:
        propose(node_rpc, proposer, blocks=2)
    head = node_rpc.request("eth_getBlockByNumber", ["latest", False])
    now = int(head["timestamp"], 16)

    state = network_status(node_rpc, interface=interface, validator_set=address, now=now, window=6)
    assert [v.last_proposed for v in state.validators][3] is None
    assert state.silent == [validators[3]]
    assert (state.quorum, state.tolerated, state.stalled) == (3, 1, False)
    assert state.verdict.startswith("DEGRADED: 1 of 4")
    narrow = network_status(node_rpc, interface=interface, validator_set=address, now=now, window=2)
    assert narrow.silent == validators[:2] + validators[3:] and narrow.verdict.startswith("AT RISK")
    later = network_status(node_rpc, interface=interface, validator_set=address, now=now + 600)
    assert later.stalled and later.verdict.startswith("STALLED")


def test_quorum_is_besus_two_thirds_rounded_up() -> None:
    assert [quorum(n) for n in (4, 5, 6, 7, 10)] == [3, 4, 4, 5, 7]


# ---- the command line, through the public gateway (standard JSON-RPC only) ------------------------


@pytest.fixture
def network_deployments(network_city: DeploymentManifest, tmp_path: Path) -> Path:
    (tmp_path / "52062.json").write_text(json.dumps(network_city.to_json()))
    return tmp_path


def test_status_and_validator_change_commands_work_through_the_gateway(
    gateway_url: str, network_city: DeploymentManifest, network_deployments: Path
) -> None:
    where = ["--rpc", gateway_url, "--deployments", str(network_deployments)]
    status = runner.invoke(cli.app, ["network", "status", *where, "--json"])
    report = json.loads(status.stdout)
    assert len(report["validators"]) >= MIN_VALIDATORS
    # anvil mines only on demand, so its head may look stalled: the exit status says which
    assert status.exit_code == (1 if report["stalled"] else 0), status.output
    newcomer = addresses(1)[0]
    proposal = runner.invoke(
        cli.app, ["network", "validator-change", "add", newcomer, *where, "--json"]
    )
    assert proposal.exit_code == 0, proposal.output
    decision = ADD_VALIDATOR.decide(validator=newcomer)
    target, calldata = decision.call(network_city)
    assert json.loads(proposal.stdout) == {
        "target": target, "value": 0, "calldata": "0x" + calldata.hex(),
        "description": decision.description(),
    }  # fmt: skip
    assert target == network_city.address("ValidatorSet")
    member = view_validators(gateway_url, network_city)[0]
    refused = runner.invoke(cli.app, ["network", "validator-change", "add", member, *where])
    assert refused.exit_code == 1 and "ValidatorSetAlreadyValidator" in refused.stderr
    bad = runner.invoke(cli.app, ["network", "validator-change", "add", "0x12", *where])
    assert bad.exit_code == 2 and "is not an address" in bad.stderr


def view_validators(url: str, manifest: DeploymentManifest) -> list[str]:
    contract = manifest.contract("ValidatorSet")
    with RpcClient(url) as rpc:
        return list(view(rpc, contract.interface, contract.address, "getValidators"))
