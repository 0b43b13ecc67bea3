"""A throw-away city for the benchmarks and the soak: one home for what they all set up.

Its own anvil (under ``root``), the contracts deployed with a council of three (threshold two),
the gateway in front of the chain, the demo departments (FB02 with one or more keystore
accounts, FB33, FB32), FB02 allowed to create registers, optionally the credential types with
FB32's key in the keystore. The API processes a script starts go into ``processes``; leaving
the ``with`` block stops them (newest first), then the gateway, then the chain.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.council import ADD_ACCOUNT, ALLOW_REGISTER_CREATOR, decide
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from scripts.bench_gateway import start_gateway
from scripts.chain import EmbeddedChain
from scripts.credentials_seed import seed_credential_types
from scripts.demo_city import seed_demo_city
from scripts.deploy import deploy_city
from scripts.services import free_port


class ThrowawayCity:
    """``with ThrowawayCity(root, passphrase=...) as city:`` a running city under ``root``.

    ``fb02_keys``: keystore entries of FB02's accounts (the first added by the demo seed, the
    others by council decisions). ``credential_key``: a keystore entry for FB32's account, and
    the credential types seeded; without it FB32 gets a fresh account (``city.fb32``, e.g. the
    sender of raw baseline transactions).
    """

    def __init__(
        self,
        root: Path,
        *,
        passphrase: str,
        fb02_keys: Sequence[str] = ("dept-fb02",),
        credential_key: str | None = None,
        gateway_log: str = "gateway.log",
    ) -> None:
        self.root = root
        self.passphrase = passphrase
        self.fb02_keys = list(fb02_keys)
        self.credential_key = credential_key
        self.gateway_log = gateway_log
        self.deployments_dir = root / "deployments"
        self.keys_dir = root / "keys"
        self.chain = EmbeddedChain(data_dir=root / "chain", port=free_port())
        self.processes: list[subprocess.Popen[bytes]] = []
        self.council: list[LocalAccount] = []
        self.fb02: list[LocalAccount] = []
        self.fb32: LocalAccount = Account.create()
        self.manifest: DeploymentManifest
        self.gateway_url = ""

    def __enter__(self) -> ThrowawayCity:
        self.chain.start()
        try:
            self._build()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _build(self) -> None:
        keystore = Keystore(self.keys_dir)
        self.fb02 = [keystore.create(key, self.passphrase) for key in self.fb02_keys]
        if self.credential_key is not None:
            self.fb32 = keystore.create(self.credential_key, self.passphrase)
        with RpcClient(self.chain.url) as node:
            self.council, self.manifest = deploy_with_council(node, self.deployments_dir)
        port = free_port()
        self.processes.append(
            start_gateway(
                node_url=self.chain.url,
                port=port,
                deployments_dir=self.deployments_dir,
                log_path=self.root / self.gateway_log,
            )
        )
        self.gateway_url = f"http://127.0.0.1:{port}"
        council, manifest = self.council, self.manifest
        with RpcClient(self.gateway_url) as rpc:
            seed_departments(
                rpc, manifest, council, fb02=self.fb02[0], fb32=self.fb32,
                credential_types=self.credential_key is not None,
            )  # fmt: skip
            for signer in self.fb02[1:]:
                decide(
                    rpc=rpc, manifest=manifest, members=council,
                    decision=ADD_ACCOUNT.decide(department="FB02", account=signer.address),
                )  # fmt: skip
            decide(
                rpc=rpc, manifest=manifest, members=council,
                decision=ALLOW_REGISTER_CREATOR.decide(department="FB02"),
            )  # fmt: skip

    def __exit__(self, *_: object) -> None:
        try:
            stop_all(self.processes)
        finally:
            self.chain.stop()

    def api_env(self, *, data_dir: Path, signer: str | None = None, **extra: str) -> dict[str, str]:
        """The API's environment for this city: FB02 signs with ``signer`` (default: its first
        key), FB32 with the credential key if there is one; ``extra`` as ``CITY_API_*`` names."""
        env = {
            "CITY_API_RPC_URL": self.gateway_url,
            "CITY_API_DEPLOYMENTS_DIR": str(self.deployments_dir),
            "CITY_API_DATA_DIR": str(data_dir),
            "CITY_API_KEYS_DIR": str(self.keys_dir),
            "CITY_API_KEYSTORE_PASSPHRASE": self.passphrase,
            "CITY_API_SIGNERS": json.dumps({"FB02": signer or self.fb02_keys[0]}),
        }
        if self.credential_key is not None:
            env["CITY_API_CREDENTIAL_KEYS"] = json.dumps({"FB32": self.credential_key})
        return env | extra


def deploy_with_council(
    rpc: RpcClient, deployments_dir: Path
) -> tuple[list[LocalAccount], DeploymentManifest]:
    """The contracts deployed by a fresh council of three (threshold two): (council, manifest)."""
    council = [Account.create() for _ in range(3)]
    manifest = deploy_city(
        rpc=rpc, council_members=[c.address for c in council], threshold=2,
        deployments_dir=deployments_dir,
    ).manifest  # fmt: skip
    return council, manifest


def seed_departments(
    rpc: RpcClient,
    manifest: DeploymentManifest,
    council: list[LocalAccount],
    *,
    fb02: LocalAccount | None = None,
    fb32: LocalAccount | None = None,
    credential_types: bool = False,
) -> dict[str, LocalAccount]:
    """The demo departments FB02, FB33, FB32 (fresh accounts unless given), optionally the
    credential types; their accounts by department."""
    accounts = {
        "FB02": fb02 or Account.create(),
        "FB33": Account.create(),
        "FB32": fb32 or Account.create(),
    }
    seed_demo_city(rpc=rpc, manifest=manifest, council=council, accounts=accounts)
    if credential_types:
        seed_credential_types(rpc=rpc, manifest=manifest, council=council)
    return accounts


def api_key(env: dict[str, str], *scope: str) -> str:
    """A new API key (``registry_api.admin api-key create *scope``) in the store ``env`` names."""
    return subprocess.run(
        [sys.executable, "-m", "registry_api.admin", "api-key", "create", *scope],
        env={**os.environ, **env}, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """Terminate the processes newest first, each waited for (30 s, then killed)."""
    for process in reversed(processes):
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    processes.clear()
