"""The explorer's view of the chain: one JSON-RPC client per thread, the deployment manifest, the
chain head (cached for a second) and the deployment check (code on chain vs the manifest's code
hashes, cached), and the cache with its indexer and name book.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from explorer.config import ExplorerSettings
from explorer.indexer import Indexer
from explorer.naming import NameBook, Names
from explorer.store import IndexState, make_engine
from registry_core.keccak import keccak256
from registry_core.manifest import DeploymentManifest, ManifestWatcher
from registry_core.rpc import RpcClient


@dataclass(frozen=True)
class CodeCheck:
    """A manifest contract whose code on chain differs from the manifest's code hash."""

    name: str
    address: str
    expected: str
    found: str


class Explorer:
    def __init__(self, settings: ExplorerSettings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.sqlalchemy_url())
        self.manifests = ManifestWatcher(settings.deployments_dir)
        self._local = threading.local()
        self._chain_id: int | None = None
        self._head: tuple[float, int] = (0.0, 0)
        self._code: tuple[float, list[CodeCheck]] | None = None
        self.names_book = NameBook(self.engine)
        self.indexer = Indexer(
            engine=self.engine,
            rpc_factory=self.new_rpc,
            manifest=self.manifest,
            page_blocks=settings.page_blocks,
        )

    def new_rpc(self) -> RpcClient:
        return RpcClient(self.settings.rpc_url, timeout=self.settings.rpc_timeout_seconds)

    @property
    def rpc(self) -> RpcClient:
        """This thread's client (httpx clients are not shared between request threads)."""
        client = getattr(self._local, "rpc", None)
        if client is None:
            client = self._local.rpc = self.new_rpc()
        return client

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self.rpc.chain_id()
        return self._chain_id

    def manifest(self) -> DeploymentManifest:
        return self.manifests.load(self.chain_id())

    def head(self) -> int:
        at, number = self._head
        if time.monotonic() - at > self.settings.head_cache_seconds:
            number = self.rpc.block_number()
            self._head = (time.monotonic(), number)
        return number

    def state(self) -> IndexState | None:
        return self.indexer.state()

    def names(self) -> Names:
        state = self.state()
        return self.names_book.get(self.manifest(), state.changed_at if state else -1)

    def code_mismatches(self) -> list[CodeCheck]:
        """Manifest contracts whose runtime code on chain does not have the manifest's hash."""
        cached = self._code
        if cached is not None and time.monotonic() - cached[0] < self.settings.code_check_seconds:
            return cached[1]
        manifest = self.manifest()
        contracts = list(manifest.contracts.values())
        replies = self.rpc.batch([("eth_getCode", [c.address, "latest"]) for c in contracts])
        found = []
        for contract, reply in zip(contracts, replies, strict=True):
            code = bytes.fromhex(reply[2:]) if isinstance(reply, str) else b""
            digest = "0x" + keccak256(code).hex()
            if digest.lower() != contract.code_hash.lower():
                found.append(CodeCheck(contract.name, contract.address, contract.code_hash, digest))
        self._code = (time.monotonic(), found)
        return found
