"""The kit folder ``registry network init`` writes, and the operations on it.

    network/
      network.json            the kit's facts (chain, validators, enodes, ports; no secret)
      genesis.json            the QBFT genesis, the same file for every node
      keys/deployer.json      encrypted key of the one-off deployer (it creates the council)
      keys/validator-N.json   encrypted node key of validator N
      node-N/config.toml      Besu's configuration of node N (start Besu in this folder)
      node-N/static-nodes.json
      node-N/permissions_config.toml   the accounts allow-list (regenerate with `registry allowlist`)

The validator set's council is fixed in the genesis before any contract exists: it is the
address of the first contract the kit's deployer key creates (``CREATE`` from nonce 0), and
``registry deploy --kit`` creates the ``CityCouncil`` with exactly that transaction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

import rlp
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from registry_core.errors import RegistryCoreError
from registry_core.keystore import Keystore
from scripts.besu_allowlist import render_toml
from scripts.compile import compile_contracts
from scripts.network.genesis import ChainSettings, qbft_genesis
from scripts.network.nodes import (
    Node,
    node_config,
    port_offsets,
    public_key_of,
    render_config,
    render_static_nodes,
    validator_key_name,
    write_plain_key,
)
from scripts.network.validator_set import (
    MIN_VALIDATORS,
    VALIDATOR_SET,
    VALIDATOR_SET_ADDRESS,
    validator_set_alloc,
)

KIT_FORMAT = "city-besu-network/1"
KIT_FILE = "network.json"
DEPLOYER_KEY = "deployer"
PERMISSIONS_FILE = "permissions_config.toml"


class KitError(RegistryCoreError):
    """The kit cannot be written or used as asked."""


def create_address(sender: str, nonce: int) -> str:
    """The address of the contract that ``sender`` creates with its transaction ``nonce``."""
    digest = keccak(rlp.encode([bytes.fromhex(sender.removeprefix("0x")), nonce]))
    return str(to_checksum_address(digest[12:]))


@dataclass(frozen=True)
class NetworkKit:
    directory: Path
    chain: ChainSettings
    validator_set: str  # the ValidatorSet contract's address (genesis alloc)
    council: str  # where the CityCouncil must be: the deployer's first contract
    deployer: str
    key_dir: PurePosixPath  # memory-backed folder the node keys are decrypted into
    nodes: tuple[Node, ...]

    @property
    def keystore(self) -> Keystore:
        return Keystore(self.directory / "keys")

    def node(self, index: int) -> Node:
        for node in self.nodes:
            if node.index == index:
                return node
        known = ", ".join(str(node.index) for node in self.nodes)
        raise KitError(f"the kit has no node {index} (it has {known})")

    def plain_key_path(self, node: Node) -> Path:
        return Path(node_config(node, self.key_dir)["node-private-key-file"])

    def to_json(self) -> dict[str, Any]:
        return {
            "format": KIT_FORMAT,
            "chain_id": self.chain.chain_id,
            "block_period_seconds": self.chain.block_period_seconds,
            "request_timeout_seconds": self.chain.request_timeout_seconds,
            "gas_limit": self.chain.gas_limit,
            "genesis_timestamp": self.chain.timestamp,
            "validator_set": self.validator_set,
            "council": self.council,
            "deployer": self.deployer,
            "key_dir": str(self.key_dir),
            "nodes": [node.to_json() for node in self.nodes],
        }


def load_kit(directory: Path) -> NetworkKit:
    try:
        data = json.loads((directory / KIT_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KitError(
            f"no network kit in {directory} (no {KIT_FILE}): run `registry network init`"
        ) from None
    if data.get("format") != KIT_FORMAT:
        raise KitError(f"{directory / KIT_FILE} is not a {KIT_FORMAT} kit")
    return NetworkKit(
        directory=directory,
        chain=ChainSettings(
            chain_id=int(data["chain_id"]),
            block_period_seconds=int(data["block_period_seconds"]),
            gas_limit=int(data["gas_limit"]),
            timestamp=int(data["genesis_timestamp"]),
        ),
        validator_set=str(data["validator_set"]),
        council=str(data["council"]),
        deployer=str(data["deployer"]),
        key_dir=PurePosixPath(data["key_dir"]),
        nodes=tuple(Node.from_json(node) for node in data["nodes"]),
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _write_node(kit: NetworkKit, node: Node, permissions: str) -> None:
    folder = kit.directory / node.name
    _write(folder / "config.toml", render_config(node, node_config(node, kit.key_dir)))
    _write(folder / PERMISSIONS_FILE, permissions)


def _write_static_nodes(kit: NetworkKit) -> None:
    for node in kit.nodes:
        _write(kit.directory / node.name / "static-nodes.json", render_static_nodes(kit.nodes))


def _save(kit: NetworkKit) -> None:
    _write(kit.directory / KIT_FILE, json.dumps(kit.to_json(), indent=2) + "\n")


@dataclass(frozen=True)
class Ports:
    p2p: int
    rpc: int
    metrics: int


def _new_node(account: LocalAccount, index: int, host: str, offset: int, ports: Ports) -> Node:
    return Node(
        index=index,
        address=str(account.address),
        public_key=public_key_of(account),
        host=host,
        p2p_port=ports.p2p + offset,
        rpc_port=ports.rpc + offset,
        metrics_port=ports.metrics + offset,
    )


class KitArgumentError(KitError):
    """The kit asked for cannot exist (too few validators, hosts that do not fit, ...)."""


def check_kit_arguments(
    *, directory: Path, validators: int, hosts: Sequence[str], key_dir: PurePosixPath
) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise KitArgumentError(
            f"{directory} is not empty; a kit is written once (its keys are new each time)"
        )
    if validators < MIN_VALIDATORS:
        raise KitArgumentError(
            f"{validators} validators: QBFT needs at least {MIN_VALIDATORS} to tolerate a fault"
        )
    if len(hosts) not in (1, validators):
        raise KitArgumentError(
            f"give one host for all nodes or {validators} (one per node), not {len(hosts)}"
        )
    if not key_dir.is_absolute():
        raise KitArgumentError(
            f"the key folder {key_dir} must be an absolute path (Besu starts in the node's folder)"
        )


def init_kit(
    *,
    directory: Path,
    validators: int,
    passphrase: str,
    chain_id: int,
    block_period_seconds: int,
    gas_limit: int,
    hosts: Sequence[str],
    ports: Ports,
    key_dir: PurePosixPath,
    scrypt_n: int | None = None,
    clock: Callable[[], float] = time.time,
) -> NetworkKit:
    """Write a new kit for ``validators`` nodes; ``hosts``: one host for all, or one per node."""
    check_kit_arguments(directory=directory, validators=validators, hosts=hosts, key_dir=key_dir)
    node_hosts = list(hosts) * validators if len(hosts) == 1 else list(hosts)
    runtime = compile_contracts()[VALIDATOR_SET].runtime_bytecode
    keystore = Keystore(directory / "keys")
    deployer = keystore.create(DEPLOYER_KEY, passphrase, scrypt_n=scrypt_n)
    nodes = tuple(
        _new_node(keystore.create(validator_key_name(index), passphrase, scrypt_n=scrypt_n),
                  index, host, offset, ports)
        for index, (host, offset) in enumerate(zip(node_hosts, port_offsets(node_hosts), strict=True), 1)
    )  # fmt: skip
    kit = NetworkKit(
        directory=directory,
        chain=ChainSettings(chain_id, block_period_seconds, gas_limit, int(clock())),
        validator_set=VALIDATOR_SET_ADDRESS,
        council=create_address(deployer.address, 0),
        deployer=str(deployer.address),
        key_dir=key_dir,
        nodes=nodes,
    )
    alloc = {
        VALIDATOR_SET_ADDRESS: validator_set_alloc(
            runtime, kit.council, [node.address for node in nodes]
        )
    }
    genesis = qbft_genesis(kit.chain, validator_contract=VALIDATOR_SET_ADDRESS, alloc=alloc)
    _write(directory / "genesis.json", json.dumps(genesis, indent=2) + "\n")
    # Until the contracts exist only the deployer transacts; `registry allowlist` then writes
    # the list from the chain (council members, department and allowed accounts).
    permissions = render_toml([kit.deployer])
    for node in nodes:
        _write_node(kit, node, permissions)
    _write_static_nodes(kit)
    _save(kit)
    return kit


def add_node(
    kit: NetworkKit, *, passphrase: str, host: str, ports: Ports, scrypt_n: int | None = None
) -> tuple[NetworkKit, Node]:
    """A new validator node in the kit (key, folder, its enode in every node's static nodes).

    It joins the validator set only when the council adds its address (``addValidator``)."""
    index = max(node.index for node in kit.nodes) + 1
    offset = sum(1 for node in kit.nodes if node.host == host)
    account = kit.keystore.create(validator_key_name(index), passphrase, scrypt_n=scrypt_n)
    node = _new_node(account, index, host, offset, ports)
    grown = replace(kit, nodes=(*kit.nodes, node))
    newest = kit.directory / kit.nodes[-1].name / PERMISSIONS_FILE
    _write_node(grown, node, newest.read_text(encoding="utf-8"))
    _write_static_nodes(grown)
    _save(grown)
    return grown, node


def unlock_node_key(kit: NetworkKit, node: Node, passphrase: str) -> Path:
    """Decrypt ``node``'s key into the memory-backed file its configuration names."""
    path = kit.plain_key_path(node)
    write_plain_key(kit.keystore.load(node.key_name, passphrase), path)
    return path
