"""``registry deploy`` and ``registry allowlist``: the city's contracts on a node, and Besu's
accounts allow-list from the chain's permissioning rule."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from registry_core.cli import JsonFlag, fail, print_json, print_line, say
from registry_core.errors import RegistryCoreError
from registry_core.manifest import load_manifest
from registry_core.rpc import RpcClient
from scripts.besu_allowlist import permitted_accounts, render_toml
from scripts.commands._options import DEPLOYMENTS, GATEWAY_URL, DeploymentsOption, kit_passphrase
from scripts.deploy import deploy_city
from scripts.network.deployment import deploy_on_network
from scripts.network.kit import load_kit


def deploy(
    council: Annotated[
        list[str],
        typer.Option(metavar="ADDRESS", help="council member addresses: --council 0xA… 0xB… 0xC…"),
    ],
    threshold: Annotated[int, typer.Option(min=1, help="confirmations a decision needs")],
    rpc: Annotated[
        str, typer.Option(metavar="URL", help="the node's own RPC URL (not the gateway)")
    ] = "http://127.0.0.1:8546",
    deployments: DeploymentsOption = DEPLOYMENTS,
    redeploy: Annotated[
        bool, typer.Option("--redeploy", help="deploy a new set of contracts")
    ] = False,
    kit: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="a Besu network kit (`registry network init`): deploy with its deployer key, "
            "so that the council is the genesis validator set's (passphrase: "
            "$CITY_NETWORK_PASSPHRASE or asked for)",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Deploy the city's contracts and write the deployment manifest deployments/CHAIN_ID.json.

    The deployer is a throw-away key (with --kit: the kit's deployer); every contract gets the
    council as its admin. Re-running against a chain that has the same code changes nothing
    (last line: changed | unchanged)."""
    try:
        network = load_kit(kit) if kit is not None else None
        passphrase = kit_passphrase(new=False) if network is not None else ""
        with RpcClient(rpc) as node:
            city: dict[str, Any] = {
                "rpc": node, "council_members": council, "threshold": threshold,
                "deployments_dir": deployments, "redeploy": redeploy, "log": say,
            }  # fmt: skip
            if network is None:
                result = deploy_city(**city)
            else:
                result = deploy_on_network(kit=network, passphrase=passphrase, **city)
    except RegistryCoreError as exc:
        fail(f"deploy failed: {exc.detail}")
    if as_json:
        print_json(
            {
                "changed": result.changed,
                "deployed": result.deployed,
                "chain_id": result.manifest.chain_id,
                "contracts": {
                    name: entry.address for name, entry in result.manifest.contracts.items()
                },
            }
        )
    else:
        print_line("changed" if result.changed else "unchanged")


def allowlist(
    rpc: Annotated[
        str, typer.Option(metavar="URL", help="RPC endpoint (the gateway)")
    ] = GATEWAY_URL,
    deployments: DeploymentsOption = DEPLOYMENTS,
    out: Annotated[Path, typer.Option(metavar="FILE", help="the file to write")] = Path(
        "permissions_config.toml"
    ),
    as_json: JsonFlag = False,
) -> None:
    """Write Besu's accounts-allowlist (permissions_config.toml) from the chain: council
    members, accounts of active departments and accounts the council allow-listed."""
    try:
        with RpcClient(rpc) as node:
            manifest = load_manifest(deployments, node.chain_id())
            accounts = permitted_accounts(node, manifest)
    except RegistryCoreError as exc:
        fail(f"allowlist failed: {exc.detail}")
    out.write_text(render_toml(accounts), encoding="utf-8")
    if as_json:
        print_json({"out": str(out), "accounts": accounts})
    else:
        print_line(f"wrote {len(accounts)} accounts to {out}")


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("allowlist")(allowlist)
