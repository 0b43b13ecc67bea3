"""``registry network …``: the Besu QBFT network kit (see the README's runbook)."""

from __future__ import annotations

import time
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

import typer

from registry_core.cli import (
    CommandLine,
    JsonFlag,
    fail,
    print_json,
    print_line,
    print_table,
    refuse,
    say,
)
from registry_core.council import ADD_VALIDATOR, REMOVE_VALIDATOR, simulate
from registry_core.errors import RegistryCoreError
from registry_core.manifest import load_manifest
from registry_core.rpc import RpcClient
from scripts.commands._options import DEPLOYMENTS, GATEWAY_URL, DeploymentsOption, kit_passphrase
from scripts.network.kit import (
    NetworkKit,
    Ports,
    add_node,
    check_kit_arguments,
    init_kit,
    load_kit,
    unlock_node_key,
)
from scripts.network.nodes import (
    DEFAULT_KEY_DIR,
    DEFAULT_METRICS_PORT,
    DEFAULT_P2P_PORT,
    DEFAULT_RPC_PORT,
)
from scripts.network.status import network_status
from scripts.network.validator_set import MIN_VALIDATORS, VALIDATOR_SET
from scripts.settings import CitySettings

DEFAULT_GAS_LIMIT = 30_000_000  # the embedded chain's block gas limit

group = CommandLine(
    help="The Besu QBFT network kit: genesis, validator keys (encrypted), node configs, and the "
    "validators' state. The README's runbook says how to start, grow and heal the network."
)

KitOption = Annotated[
    Path, typer.Option("--kit", metavar="DIR", help="the kit folder `network init` wrote")
]
RpcOption = Annotated[
    str, typer.Option("--rpc", metavar="URL", help="an RPC endpoint of the network (the gateway)")
]
P2pPortOption = Annotated[
    int, typer.Option(min=1, max=65535, help="P2P port (more nodes on one host: the next ones)")
]
RpcPortOption = Annotated[
    int, typer.Option(min=1, max=65535, help="JSON-RPC port, on loopback (more nodes: the next)")
]
MetricsPortOption = Annotated[
    int, typer.Option(min=1, max=65535, help="Prometheus metrics port, on loopback")
]


def _load(kit: Path) -> NetworkKit:
    try:
        return load_kit(kit)
    except RegistryCoreError as exc:
        fail(exc.detail)


@group.command("init")
def init(
    validators: Annotated[
        int, typer.Option(help=f"number of validator nodes (at least {MIN_VALIDATORS})")
    ],
    out: Annotated[
        Path, typer.Option(metavar="DIR", help="the kit folder to write (must be new or empty)")
    ] = Path("network"),
    chain_id: Annotated[
        int, typer.Option(min=1, envvar="CITY_CHAIN_ID", help="the city's chain id")
    ] = CitySettings.model_fields["chain_id"].default,
    block_period: Annotated[
        int, typer.Option(min=1, help="seconds between blocks; the round timeout is twice this")
    ] = 2,
    gas_limit: Annotated[
        int, typer.Option(min=1_000_000, help="block gas limit")
    ] = DEFAULT_GAS_LIMIT,
    host: Annotated[
        list[str],
        typer.Option(
            metavar="HOST",
            help="the nodes' P2P host (IP address): one for all, or one per node in order",
        ),
    ] = ["127.0.0.1"],  # noqa: B006  (Typer reads the default; it is never mutated)
    p2p_port: P2pPortOption = DEFAULT_P2P_PORT,
    rpc_port: RpcPortOption = DEFAULT_RPC_PORT,
    metrics_port: MetricsPortOption = DEFAULT_METRICS_PORT,
    key_dir: Annotated[
        str,
        typer.Option(metavar="DIR", help="memory-backed (tmpfs) folder for the plain node keys"),
    ] = str(DEFAULT_KEY_DIR),
    as_json: JsonFlag = False,
) -> None:
    """Write a new QBFT network kit: genesis (gas-free, contract validator selection), the
    validators' node keys and a one-off deployer key (encrypted with $CITY_NETWORK_PASSPHRASE
    or a passphrase asked for), each node's config.toml, static-nodes.json and
    permissions_config.toml, and network.json."""
    try:
        check_kit_arguments(
            directory=out, validators=validators, hosts=host, key_dir=PurePosixPath(key_dir)
        )
    except RegistryCoreError as exc:
        refuse(exc.detail)
    passphrase = kit_passphrase(new=True)
    try:
        kit = init_kit(
            directory=out,
            validators=validators,
            passphrase=passphrase,
            chain_id=chain_id,
            block_period_seconds=block_period,
            gas_limit=gas_limit,
            hosts=host,
            ports=Ports(p2p=p2p_port, rpc=rpc_port, metrics=metrics_port),
            key_dir=PurePosixPath(key_dir),
        )
    except RegistryCoreError as exc:
        fail(f"network init failed: {exc.detail}")
    if as_json:
        print_json({"kit": str(out), **kit.to_json()})
        return
    say(f"wrote the kit for chain {kit.chain.chain_id} to {out}; the validators:")
    print_table(
        ("NODE", "VALIDATOR", "ENODE"),
        [(node.name, node.address, node.enode) for node in kit.nodes],
    )
    say(
        f"council (created by `registry deploy --kit {out}`): {kit.council}; "
        f"deployer {kit.deployer} (the only account allowed until then)"
    )


@group.command("unlock")
def unlock(
    node: Annotated[int, typer.Argument(metavar="NODE", min=1, help="the node's number (node-N)")],
    kit: KitOption = Path("network"),
) -> None:
    """Decrypt node NODE's key into memory-backed storage (the path its config.toml names) for
    Besu to read at start; refused unless that folder is on tmpfs. Prints the path."""
    loaded = _load(kit)
    try:
        chosen = loaded.node(node)
    except RegistryCoreError as exc:
        refuse(exc.detail)
    passphrase = kit_passphrase(new=False)
    try:
        path = unlock_node_key(loaded, chosen, passphrase)
    except RegistryCoreError as exc:
        fail(f"unlock failed: {exc.detail}")
    say(f"{chosen.name}'s key (validator {chosen.address}) is in memory; start Besu now")
    print_line(str(path))


@group.command("add-node")
def add_node_command(
    host: Annotated[str, typer.Option(metavar="HOST", help="the new node's P2P host (IP address)")],
    kit: KitOption = Path("network"),
    p2p_port: P2pPortOption = DEFAULT_P2P_PORT,
    rpc_port: RpcPortOption = DEFAULT_RPC_PORT,
    metrics_port: MetricsPortOption = DEFAULT_METRICS_PORT,
    as_json: JsonFlag = False,
) -> None:
    """Add a validator node to the kit: its key, its folder, and its enode in every node's
    static-nodes.json. It validates only once the council adds its address to the validator
    set (`registry network validator-change add ADDRESS`)."""
    loaded = _load(kit)
    passphrase = kit_passphrase(new=False)
    try:
        _, node = add_node(
            loaded,
            passphrase=passphrase,
            host=host,
            ports=Ports(p2p=p2p_port, rpc=rpc_port, metrics=metrics_port),
        )
    except RegistryCoreError as exc:
        fail(f"add-node failed: {exc.detail}")
    if as_json:
        print_json(node.to_json())
        return
    say(f"wrote {kit / node.name}; copy the new static-nodes.json to every node")
    print_table(("NODE", "VALIDATOR", "ENODE"), [(node.name, node.address, node.enode)])


@group.command("status")
def status(
    rpc: RpcOption = GATEWAY_URL,
    deployments: DeploymentsOption = DEPLOYMENTS,
    window: Annotated[
        int, typer.Option(min=0, max=256, help="blocks to read (default: four rounds of the set)")
    ] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Which validators propose blocks, and whether the network makes blocks at all. Exit
    status 1 when it has stalled (fewer than 2/3 of the validators take part)."""
    try:
        with RpcClient(rpc) as node:
            contract = load_manifest(deployments, node.chain_id()).contract(VALIDATOR_SET)
            state = network_status(
                node, interface=contract.interface, validator_set=contract.address,
                now=int(time.time()), window=window,
            )  # fmt: skip
    except RegistryCoreError as exc:
        fail(f"network status failed: {exc.detail}")
    if as_json:
        print_json(state.to_json())
    else:
        print_table(
            ("VALIDATOR", "LAST PROPOSED"),
            [
                (v.address, f"block {v.last_proposed}" if v.last_proposed is not None else "-")
                for v in state.validators
            ],
        )
        say(
            f"head block {state.head} ({state.head_age_seconds} s ago), blocks "
            f"{state.first_block}-{state.head} read; {len(state.validators)} validators, each "
            f"block needs {state.quorum}"
        )
        print_line(state.verdict)
    if state.stalled:
        raise typer.Exit(1)


@group.command("validator-change")
def validator_change(
    change: Annotated[
        Literal["add", "remove"], typer.Argument(metavar="CHANGE", help="add or remove")
    ],
    validator: Annotated[str, typer.Argument(metavar="ADDRESS", help="the validator's address")],
    rpc: RpcOption = GATEWAY_URL,
    deployments: DeploymentsOption = DEPLOYMENTS,
    as_json: JsonFlag = False,
) -> None:
    """The council decision that adds or removes a validator (the intents add-validator and
    remove-validator): target, calldata and description, checked first by simulating it as the
    council (exit 1 with the contract's error if it would fail). The council then proposes,
    confirms and executes it."""
    try:
        decision = (ADD_VALIDATOR if change == "add" else REMOVE_VALIDATOR).decide(
            validator=validator
        )
    except RegistryCoreError as exc:
        refuse(exc.detail)
    try:
        with RpcClient(rpc) as node:
            manifest = load_manifest(deployments, node.chain_id())
            simulate(rpc=node, manifest=manifest, decision=decision)
    except RegistryCoreError as exc:
        fail(exc.detail)
    target, calldata = decision.call(manifest)
    proposal = {
        "target": target,
        "value": 0,
        "calldata": "0x" + calldata.hex(),
        "description": decision.description(),
    }
    if as_json:
        print_json(proposal)
        return
    for key, value in proposal.items():
        print_line(f"{key}: {value}")
    say("the council proposes this call; it takes effect from the block after its execution")


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="network")
