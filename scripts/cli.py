"""``registry``: the operator's command line (demo city, embedded chain, deployment)."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from types import FrameType

from pydantic import ValidationError

from registry_core.errors import RegistryCoreError
from registry_core.keystore import Keystore
from registry_core.rpc import RpcClient
from scripts.besu_allowlist import main as allowlist_main
from scripts.chain import EmbeddedChain
from scripts.credentials_seed import seed_demo_credentials
from scripts.demo_city import COUNCIL_THRESHOLD, council_keys, department_keys, seed_demo_city
from scripts.demo_registers import allow_register_creators, demo_api_key, seed_demo_registers
from scripts.deploy import deploy_city
from scripts.deploy import main as deploy_main
from scripts.services import api_env, start_api, start_gateway, stop
from scripts.settings import CitySettings


def say(message: str) -> None:
    print(f"[city] {message}", flush=True)


def _wait_for_stop_signal() -> None:
    stopped = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    stopped.wait()


def run_demo(settings: CitySettings) -> None:
    """Chain + gateway + deployment + demo city + API; Ctrl-C stops everything cleanly."""
    chain = EmbeddedChain(
        data_dir=settings.data_dir / "chain", port=settings.node_port, chain_id=settings.chain_id
    )
    children: list[subprocess.Popen[bytes]] = []
    resumed = chain.state_file.exists()
    say(f"{'resuming' if resumed else 'starting'} the embedded chain (data in {chain.data_dir})")
    chain.start()
    try:
        passphrase = settings.keystore_passphrase.get_secret_value()
        keystore = Keystore(settings.keys_dir)
        say("unlocking council and department keys (scrypt keystores)")
        council = council_keys(keystore, passphrase)
        departments = department_keys(keystore, passphrase)
        with RpcClient(chain.url) as node:
            result = deploy_city(
                rpc=node,
                council_members=[member.address for member in council],
                threshold=COUNCIL_THRESHOLD,
                deployments_dir=settings.deployments_dir,
                log=say,
            )
        say("starting the permissioning gateway")
        children.append(start_gateway(settings))
        with RpcClient(settings.gateway_url) as gateway:
            decisions = seed_demo_city(
                rpc=gateway,
                manifest=result.manifest,
                council=council,
                accounts=departments,
                log=say,
            )
            decisions += seed_demo_credentials(
                rpc=gateway,
                manifest=result.manifest,
                council=council,
                keystore=keystore,
                passphrase=passphrase,
                log=say,
            )
            decisions += allow_register_creators(
                rpc=gateway, manifest=result.manifest, council=council, codes=["FB02"]
            )
        say(f"demo city seeded ({decisions} council decisions this run)")
        say("starting the registry API")
        children.append(start_api(settings))
        say("seeding the demo registers TRADE and PROPERTY through the API")
        token = demo_api_key(
            api_url=settings.api_url,
            key_file=settings.data_dir / "demo-api-key",
            env=api_env(settings),
        )
        seed_demo_registers(api_url=settings.api_url, token=token, log=say)
        council_address = result.manifest.address("CityCouncil")
        print(
            "\nThe demo city is running:\n"
            f"  chain RPC (gateway)  {settings.gateway_url}\n"
            f"  registry API         {settings.api_url}   (docs: {settings.api_url}/docs)\n"
            f"  health               {settings.api_url}/health\n"
            f"  registers            {settings.api_url}/registers   (FB02's demo API key: "
            f"{settings.data_dir / 'demo-api-key'})\n"
            f"  chain id             {settings.chain_id}\n"
            f"  council              {council_address} (2 of 3)\n"
            f"  data                 {settings.data_dir}\n"
            "Press Ctrl-C to stop; `make demo` again resumes the same chain and data.\n",
            flush=True,
        )
        _wait_for_stop_signal()
        say("stopping")
    finally:
        # The services run in sessions of their own (Ctrl-C reaches only this process), so they
        # stop in this order: the API (its worker finishes its round first), the gateway, the chain.
        for child in reversed(children):
            stop(child)
        chain.stop()
        say("stopped; chain state saved")


def run_chain(settings: CitySettings) -> None:
    chain = EmbeddedChain(
        data_dir=settings.data_dir / "chain", port=settings.node_port, chain_id=settings.chain_id
    )
    chain.start()
    say(f"embedded chain at {chain.url} (loopback only); Ctrl-C stops it")
    try:
        _wait_for_stop_signal()
    finally:
        chain.stop()
        say("stopped; chain state saved")


COMMANDS: dict[str, Callable[[CitySettings], None]] = {"demo": run_demo, "chain": run_chain}


def _api_admin(area: str) -> Callable[[list[str]], int]:
    """The API's own admin commands run in their own process (applications do not import each other)."""
    return lambda rest: subprocess.call([sys.executable, "-m", "registry_api.admin", area, *rest])


# Commands with their own argument parsers.
PASS_THROUGH: dict[str, Callable[[list[str]], int]] = {
    "deploy": deploy_main,
    "allowlist": allowlist_main,
    "db": _api_admin("db"),
    "api-key": _api_admin("api-key"),
    "index": _api_admin("index"),
    "outbox": _api_admin("outbox"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="registry", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the demo city: chain, gateway, contracts, API")
    sub.add_parser("chain", help="run only the embedded chain (loopback)")
    # Commands with their own parsers take every argument, --help included (add_help=False).
    for name, text in (
        ("deploy", "deploy the contracts (see `registry deploy --help`)"),
        ("allowlist", "write Besu's accounts-allowlist from the chain"),
        ("db", "the API's SQL store: `registry db upgrade`"),
        ("api-key", "department API keys: `registry api-key create|list|revoke` (--help)"),
        ("index", "`registry index rebuild`: re-read chain events from block 0"),
        ("outbox", "`registry outbox held|release|fail`: writes held after a restore"),
    ):
        sub.add_parser(name, help=text, add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command in PASS_THROUGH:
        return PASS_THROUGH[args.command](rest)
    try:
        settings = CitySettings()
    except ValidationError as exc:
        print(f"invalid settings: {exc}", file=sys.stderr)
        return 2
    try:
        COMMANDS[args.command](settings)
    except RegistryCoreError as exc:
        print(f"registry {args.command} failed: {exc.detail}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
