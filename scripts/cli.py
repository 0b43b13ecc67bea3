"""``registry``: the operator's command line.

``demo`` and ``chain`` live here; every other command group is a module in ``scripts/commands/``
(found at start, so adding a group is a one-file change). Conventions (``--help`` everywhere,
``--json`` for scripts, exit status 0 done / 1 failed / 2 invalid arguments or settings) come
from ``registry_core.cli``.
"""

from __future__ import annotations

import importlib
import pkgutil
import signal
import subprocess
import sys
import threading
from types import FrameType

from pydantic import ValidationError

import scripts.commands
from registry_core.cli import EXIT_USAGE, CommandLine, fail, run
from registry_core.errors import RegistryCoreError
from registry_core.keystore import Keystore
from registry_core.rpc import RpcClient
from scripts.chain import EmbeddedChain
from scripts.credentials_seed import seed_demo_credentials
from scripts.demo_city import (
    COUNCIL_THRESHOLD,
    allow_relay,
    council_keys,
    department_keys,
    relay_key,
    seed_demo_city,
)
from scripts.demo_registers import allow_register_creators, demo_api_key, seed_demo_registers
from scripts.deploy import deploy_city
from scripts.services import api_env, start_api, start_explorer, start_gateway, stop
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
    """Chain + gateway + deployment + demo city + API + explorer; Ctrl-C stops everything cleanly."""
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
        relay = relay_key(keystore, passphrase)
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
            decisions += allow_relay(
                rpc=gateway, manifest=result.manifest, council=council, relay=relay.address
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
        say("starting the auditors' explorer")
        children.append(start_explorer(settings))
        council_address = result.manifest.address("CityCouncil")
        print(
            "\nThe demo city is running:\n"
            f"  chain RPC (gateway)  {settings.gateway_url}\n"
            f"  registry API         {settings.api_url}   (docs: {settings.api_url}/docs)\n"
            f"  health               {settings.api_url}/health\n"
            f"  registers            {settings.api_url}/registers   (FB02's demo API key: "
            f"{settings.data_dir / 'demo-api-key'})\n"
            f"  explorer (auditors)  {settings.explorer_url}\n"
            f"  chain id             {settings.chain_id}\n"
            f"  council              {council_address} (2 of 3; `registry council pending`, "
            f"members' keys {settings.keys_dir / 'council-N.json'})\n"
            f"  data                 {settings.data_dir}\n"
            "Press Ctrl-C to stop; `make demo` again resumes the same chain and data.\n",
            flush=True,
        )
        _wait_for_stop_signal()
        say("stopping")
    finally:
        # The services run in sessions of their own (Ctrl-C reaches only this process), so they
        # stop in reverse order: the explorer, the API (its worker finishes its round first), the
        # gateway, the chain.
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


app = CommandLine(
    name="registry",
    help="The city registry's operator commands: the demo city, the embedded chain, "
    "deployment, the API's store and the Besu network kit. `registry COMMAND --help` for more.",
)


def _settings() -> CitySettings:
    try:
        return CitySettings()
    except ValidationError as exc:
        fail(f"invalid settings: {exc}", EXIT_USAGE)


@app.command("demo")
def demo() -> None:
    """Run the demo city: embedded chain, gateway, contracts, demo data and the API; Ctrl-C stops
    everything cleanly and `registry demo` again resumes the same chain and data."""
    try:
        run_demo(_settings())
    except RegistryCoreError as exc:
        fail(f"registry demo failed: {exc.detail}")


@app.command("chain")
def chain() -> None:
    """Run only the embedded chain (anvil on loopback, state kept in the data folder)."""
    try:
        run_chain(_settings())
    except RegistryCoreError as exc:
        fail(f"registry chain failed: {exc.detail}")


def _add_command_groups() -> None:
    for module in pkgutil.iter_modules(scripts.commands.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"scripts.commands.{module.name}").register(app)


_add_command_groups()


def main(argv: list[str] | None = None) -> int:
    return run(app, argv, prog_name="registry")


if __name__ == "__main__":
    sys.exit(main())
