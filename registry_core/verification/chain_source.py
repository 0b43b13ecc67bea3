"""Online answers from the chain via the deployment manifest, with warm caches.

:class:`ChainSource` reads the chain with batched JSON-RPC calls and keeps warm caches: DID
histories (reused for any block they cover), accreditations at past times (they never change: the
registry cannot end an accreditation in the past), department of an account (60 s) and credential
status (``status_ttl``, 2 s by default: a revocation shows within that time). Status records are
per issuing department on chain, so a status is read (and cached) under the issuer's department.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from eth_utils.address import to_checksum_address

from registry_core.did import DidHistory, EthrDidResolver, parse_did
from registry_core.errors import RegistryCoreError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.vc import Envelope
from registry_core.verification.results import AnchorInfo, Mode

_MISSING: Any = object()


class _TtlCache:
    def __init__(self, ttl: float, size: int = 65536) -> None:
        self.ttl = ttl
        self.size = size
        self._items: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def peek(self, key: Any, now: float | None = None) -> Any:
        """The cached value if fresh, else ``_MISSING``."""
        item = self._items.get(key)
        if item is None:
            return _MISSING
        if self.ttl >= 0 and (time.monotonic() if now is None else now) - item[0] >= self.ttl:
            return _MISSING
        return item[1]

    def fresh(self, key: Any, now: float | None = None) -> bool:
        return self.peek(key, now) is not _MISSING

    def put(self, key: Any, value: Any, at: float | None = None) -> None:
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[key] = (time.monotonic() if at is None else at, value)

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        value = self.peek(key, now)
        if value is _MISSING:
            value = load()
            self.put(key, value, now)
        return value


class ChainSource:
    """Online answers from the chain via the deployment manifest, with warm caches."""

    mode: Mode = "online"
    anchor_window: int | None = None  # online answers are current: no third outcome
    max_age: int | None = None

    def __init__(
        self,
        *,
        rpc: RpcClient,
        manifest: DeploymentManifest,
        status_ttl: float = 2.0,
        did_ttl: float = 5.0,
    ) -> None:
        self.rpc = rpc
        self.manifest = manifest
        self.chain_id = manifest.chain_id
        self.status = manifest.contract("CredentialStatusRegistry")
        self.status_registry = self.status.address
        self.issuers = manifest.contract("TrustedIssuerRegistry")
        self.directory = manifest.contract("DepartmentDirectory")
        did_registry = manifest.contract("EthereumDIDRegistry")
        self.resolver = EthrDidResolver(
            rpc=rpc,
            registry=did_registry.address,
            abi=did_registry.abi,
            chain_id=self.chain_id,
            from_block=did_registry.deploy_block,
            ttl=did_ttl,
        )
        self._status = _TtlCache(status_ttl)
        self._departments = _TtlCache(60.0)
        self._accreditations = _TtlCache(-1)  # past answers never change
        self._recent_accreditations = _TtlCache(status_ttl)
        self._head = _TtlCache(status_ttl)

    def knowledge(self) -> tuple[int | None, int | None]:
        block = self._head.peek("head")
        if block is not _MISSING:
            return int(block), int(time.time())
        try:
            block = self._head.get("head", self.rpc.block_number)
        except RegistryCoreError:
            return None, None
        return int(block), int(time.time())

    def did_history(self, did: str, *, min_block: int | None) -> DidHistory:
        return self.resolver.history(did, min_block=min_block)

    def _call(self, contract: Any, function: str, *args: Any) -> Any:
        data = contract.interface.encode_call(function, *args)
        return contract.interface.decode_output(function, self.rpc.call(contract.address, data))

    def _status_call(
        self, credential_hash: bytes, envelope: Envelope, department: bytes
    ) -> tuple[str, bytes]:
        batch = envelope.batch
        if batch is None:
            data = self.status.interface.encode_call("status", department, credential_hash)
            return "status", data
        data = self.status.interface.encode_call(
            "statusInBatch", department, batch.root, list(batch.proof), credential_hash
        )
        return "statusInBatch", data

    @staticmethod
    def _anchor_info(values: Any) -> AnchorInfo:
        state, department, type_id_, block, at, reason, changed = values
        return AnchorInfo(
            int(state),
            bytes(department),
            bytes(type_id_),
            int(block),
            int(at),
            int(reason),
            int(changed),
        )

    def warm(self, credential_hash: bytes, envelope: Envelope, issuer_did: str) -> None:
        """Fill whatever is cold (head block, status, issuer's department, issuer's DID history)
        with one batched JSON-RPC round trip (two if the issuer's department is cold: the status
        is read under it); verification then reads the caches."""
        issuer = parse_did(issuer_did)
        calls: list[tuple[str, list[Any]]] = []
        fills: list[Callable[[Any], None]] = []
        now = time.monotonic()
        if not self._head.fresh("head", now):
            calls.append(("eth_blockNumber", []))
            fills.append(lambda reply: self._head.put("head", int(reply, 16)))
        address = issuer.address.lower()
        department = self._departments.peek(address, now)
        if department is not _MISSING:
            self._warm_status(credential_hash, envelope, department, now, calls, fills)
        else:
            data = self.directory.interface.encode_call("departmentOf", issuer.address)
            calls.append(
                ("eth_call", [{"to": self.directory.address, "data": "0x" + data.hex()}, "latest"])
            )
            fills.append(
                lambda reply: self._departments.put(
                    address,
                    bytes(
                        self.directory.interface.decode_output(
                            "departmentOf", bytes.fromhex(reply[2:])
                        )
                    ),
                )
            )
        if not calls:
            return
        for reply, fill in zip(self.rpc.batch(calls), fills, strict=True):
            if not isinstance(reply, Exception):
                fill(reply)
        if department is _MISSING:
            department = self._departments.peek(address)
            if department is not _MISSING:
                calls, fills = [], []
                self._warm_status(credential_hash, envelope, department, now, calls, fills)
                for reply, fill in zip(self.rpc.batch(calls), fills, strict=True):
                    if not isinstance(reply, Exception):
                        fill(reply)

    def _warm_status(
        self,
        credential_hash: bytes,
        envelope: Envelope,
        department: bytes,
        now: float,
        calls: list[tuple[str, list[Any]]],
        fills: list[Callable[[Any], None]],
    ) -> None:
        status_key = (department, credential_hash, envelope.batch)
        if self._status.fresh(status_key, now):
            return
        function, data = self._status_call(credential_hash, envelope, department)
        calls.append(
            ("eth_call", [{"to": self.status.address, "data": "0x" + data.hex()}, "latest"])
        )
        fills.append(
            lambda reply: self._status.put(
                status_key,
                self._anchor_info(
                    self.status.interface.decode_output(function, bytes.fromhex(reply[2:]))
                ),
            )
        )

    def anchor(self, credential_hash: bytes, envelope: Envelope, department: bytes) -> AnchorInfo:
        batch = envelope.batch
        key = (department, credential_hash, batch)
        cached: AnchorInfo = self._status.peek(key)
        if cached is not _MISSING:
            return cached

        def load() -> AnchorInfo:
            function, data = self._status_call(credential_hash, envelope, department)
            reply = self.rpc.call(self.status.address, data)
            return self._anchor_info(self.status.interface.decode_output(function, reply))

        result: AnchorInfo = self._status.get(key, load)
        return result

    def department_of(self, address: str) -> bytes:
        key = address.lower()
        cached: bytes = self._departments.peek(key)
        if cached is not _MISSING:
            return cached
        result: bytes = self._departments.get(
            key,
            lambda: bytes(self._call(self.directory, "departmentOf", to_checksum_address(address))),
        )
        return result

    def is_accredited(self, department: bytes, type_id: bytes, at: int) -> bool:
        key = (department, type_id, at)
        cached = self._accreditations.peek(key)
        if cached is not _MISSING:  # a final answer (for a time before the current block)
            return bool(cached)

        def load() -> bool:
            return bool(self._call(self.issuers, "isAccredited", department, type_id, at))

        if at >= time.time() - 5:
            # Accreditations never start or end in the past, so the answer for a time before the
            # current block is final; for "now" it could still change: cache it like a status.
            return bool(self._recent_accreditations.get(key, load))
        return bool(self._accreditations.get(key, load))
