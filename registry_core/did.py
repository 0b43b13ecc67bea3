"""did:ethr identifiers and an ERC-1056 resolver for the city chain, including resolution as of a block.

Identifiers follow the did:ethr method specification: ``did:ethr:<network>:<address>`` where the
network id is the chain id in hex (``0xcb5e`` for the city chain 52062); without a network id the
DID lives on mainnet (chain 1). Addresses are written in lower case; parsing accepts any case.

Documents are built exactly as ``ethr-did-resolver`` builds them from the registry's events
(``DIDOwnerChanged``, ``DIDDelegateChanged``, ``DIDAttributeChanged``), so a standard did:ethr
resolver configured with our chain id, RPC URL and registry address produces the same document:

- ``#controller``: ``EcdsaSecp256k1RecoveryMethod2020`` with ``blockchainAccountId``
  ``eip155:<chainId>:<owner>`` (checksummed), in ``authentication`` and ``assertionMethod``;
- ``veriKey``/``sigAuth`` delegates: ``#delegate-N`` of the same type (``sigAuth`` also in
  ``authentication``);
- ``did/pub/Secp256k1/veriKey/hex`` (and ``/sigAuth``) attributes: ``#delegate-N`` of type
  ``EcdsaSecp256k1VerificationKey2019`` with ``publicKeyHex``;
- ``did/svc/<Type>`` attributes: ``#service-N`` services;
- owner ``0x0``: deactivated.

``N`` counts every delegate and ``did/pub`` attribute event in chain order, also expired ones, as the
reference resolver does. Resolution *as of* a block keeps only the events up to that block and
judges ``validTo`` against that block's timestamp: a credential signed before a key rotation is
checked against the document that was valid when it was issued.

History is read with one ``eth_getLogs`` query per identity (topic = identity) from the registry's
deploy block, which works on any node without historical state (anvil after a restart, Besu with
pruning). :class:`DidHistory` is plain data (JSON round trip), so trust bundles carry it offline.

(Near 500 lines: identifiers, history and the document builder follow one method specification
over one event set, and the builder must match the reference resolver line for line.)
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from eth_utils.address import is_hex_address
from eth_utils.address import to_checksum_address as _to_checksum_address

from registry_core.abi import ContractABI
from registry_core.codes import bytes32_to_code
from registry_core.errors import RegistryCoreError
from registry_core.rpc import RpcClient

NULL_ADDRESS = "0x0000000000000000000000000000000000000000"
DID_CONTEXT = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/suites/secp256k1recovery-2020/v2",
]
RECOVERY_METHOD = "EcdsaSecp256k1RecoveryMethod2020"
VERIFICATION_KEY = "EcdsaSecp256k1VerificationKey2019"
_DID = re.compile(r"^did:ethr:(?:(0x[0-9a-fA-F]{1,16}|[a-z][a-z0-9-]{0,31}):)?(0x[0-9a-fA-F]{40})$")
_NAMED_NETWORKS = {"mainnet": 1, "sepolia": 11155111}
_ATTRIBUTE = re.compile(r"^did/(pub|svc)/(\w+)(/(\w+))?(/(\w+))?$")
_LEGACY_ATTR_TYPES = {
    "sigAuth": "SignatureAuthentication2018",
    "veriKey": "VerificationKey2018",
    "enc": "KeyAgreementKey2019",
}
_LEGACY_ALGOS = {
    "Secp256k1VerificationKey2018": VERIFICATION_KEY,
    "Secp256k1SignatureAuthentication2018": VERIFICATION_KEY,
    "Ed25519VerificationKey2018": "Ed25519VerificationKey2018",
    "Ed25519SignatureAuthentication2018": "Ed25519VerificationKey2018",
}


@lru_cache(maxsize=65536)
def to_checksum_address(address: str) -> str:
    """EIP-55 form (cached: eth_utils spends ~40 µs per call, on the verification hot path)."""
    return str(_to_checksum_address(address))


class DidError(RegistryCoreError):
    """A DID is malformed, belongs to another chain, or cannot be resolved."""


@dataclass(frozen=True)
class EthrDid:
    chain_id: int
    address: str  # EIP-55 checksummed

    def __str__(self) -> str:
        # Parsed DIDs are shared (``parse_did`` caches them) and their text is needed on every
        # verification: keep it beside the fields (not one of them: equality stays the fields').
        text: str | None = self.__dict__.get("_text")
        if text is None:
            text = make_did(self.address, self.chain_id)
            object.__setattr__(self, "_text", text)
        return text


def make_did(address: str, chain_id: int) -> str:
    """``did:ethr:0x<chain id hex>:0x<address lower case>`` (mainnet DIDs carry no network id)."""
    if not is_hex_address(address):
        raise DidError(f"not an Ethereum address: {address!r:.60}")
    if chain_id == 1:
        return f"did:ethr:{address.lower()}"
    return f"did:ethr:{hex(chain_id)}:{address.lower()}"


def parse_did(did: str) -> EthrDid:
    """Split a did:ethr into chain id and address; a DID URL fragment (``#…``) is ignored."""
    if not isinstance(did, str) or len(did) > 200:
        raise DidError("a did:ethr is a string of at most 200 characters")
    return _parse_did(did)


@lru_cache(maxsize=65536)
def _parse_did(did: str) -> EthrDid:
    if len(did) > 200:
        raise DidError("a did:ethr is a string of at most 200 characters")
    match = _DID.match(did.split("#", 1)[0])
    if not match:
        raise DidError(f"not a did:ethr identifier with an address: {did!r:.80}")
    network, address = match.groups()
    if network is None:
        chain_id = 1
    elif network.startswith("0x"):
        chain_id = int(network, 16)
    elif network in _NAMED_NETWORKS:
        chain_id = _NAMED_NETWORKS[network]
    else:
        raise DidError(f"unknown did:ethr network {network!r}")
    return EthrDid(chain_id, to_checksum_address(address))


def account_id_address(blockchain_account_id: str) -> str | None:
    """The address of a CAIP-10 ``eip155:<chain>:<address>`` (or legacy ``<address>@eip155:<chain>``)."""
    if blockchain_account_id.startswith("eip155:"):
        candidate = blockchain_account_id.rsplit(":", 1)[-1]
    else:
        candidate = blockchain_account_id.split("@", 1)[0]
    return candidate.lower() if is_hex_address(candidate) else None


@dataclass(frozen=True)
class DidEvent:
    """One ERC-1056 event of an identity, reduced to what document building needs."""

    kind: str  # "owner" | "delegate" | "attribute"
    block: int
    log_index: int
    owner: str = ""
    name: str = ""  # delegate type or attribute name
    value: str = ""  # delegate address or attribute value (0x hex)
    valid_to: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "block": self.block,
            "log_index": self.log_index,
            "owner": self.owner,
            "name": self.name,
            "value": self.value,
            "valid_to": str(self.valid_to),  # uint256: beyond JSON's exact integers
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DidEvent:
        return cls(
            kind=str(data["kind"]),
            block=int(data["block"]),
            log_index=int(data["log_index"]),
            owner=str(data.get("owner", "")),
            name=str(data.get("name", "")),
            value=str(data.get("value", "")),
            valid_to=int(data.get("valid_to", 0)),
        )


@dataclass(frozen=True)
class DidHistory:
    """All registry events of one identity up to ``as_of_block``, in chain order."""

    did: EthrDid
    events: tuple[DidEvent, ...]
    as_of_block: int

    def __hash__(self) -> int:
        # Histories key the document cache on every verification: hash the events only once.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.did, self.events, self.as_of_block))
            object.__setattr__(self, "_hash", cached)
        return cached

    def document(self, *, block: int | None = None, timestamp: int | None = None) -> DidResolution:
        """The DID document as of ``block`` (default: the newest known), judging expiry at
        ``timestamp`` (default: now). Documents for a fixed time are cached."""
        if timestamp is None:
            return build_document(self, block=block, timestamp=None)
        return _cached_document(self, block, timestamp)

    def to_json(self) -> dict[str, Any]:
        return {
            "did": str(self.did),
            "as_of_block": self.as_of_block,
            "events": [event.to_json() for event in self.events],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DidHistory:
        return cls(
            did=parse_did(str(data["did"])),
            events=tuple(DidEvent.from_json(e) for e in data["events"]),
            as_of_block=int(data["as_of_block"]),
        )


@dataclass(frozen=True)
class DidResolution:
    """A W3C DID resolution result: document plus metadata."""

    document: dict[str, Any]
    deactivated: bool
    version_block: int | None  # block of the last change included (None: never changed)
    controller: str  # current owner address (checksummed)
    signers: frozenset[str] = field(default_factory=frozenset)  # lower-case addresses
    public_keys: frozenset[str] = field(default_factory=frozenset)  # hex, as published

    def can_assert(self, *, address: str | None = None, public_key_hex: str | None = None) -> bool:
        """Whether ``address`` (or the public key) is an ``assertionMethod`` of the document."""
        if self.deactivated:
            return False
        if address is not None and address.lower() in self.signers:
            return True
        return public_key_hex is not None and public_key_hex.lower() in self.public_keys


def build_document(
    history: DidHistory, *, block: int | None = None, timestamp: int | None = None
) -> DidResolution:
    did_text = str(history.did)
    chain_id = history.did.chain_id
    now = int(time.time()) if timestamp is None else timestamp
    controller = history.did.address
    delegate_count = 0
    service_count = 0
    keys: dict[str, dict[str, Any]] = {}
    auth: dict[str, str] = {}
    services: dict[str, dict[str, Any]] = {}
    deactivated = False
    version_block: int | None = None
    for event in history.events:
        if block is not None and event.block > block:
            break
        version_block = event.block
        index = f"{event.kind}-{event.name}-{event.value}"
        if event.kind == "owner":
            controller = to_checksum_address(event.owner)
            if event.owner.lower() == NULL_ADDRESS:
                deactivated = True
                break
            continue
        valid = event.valid_to >= now and event.valid_to != 0
        pub_match = _ATTRIBUTE.match(event.name) if event.kind == "attribute" else None
        if not valid:
            if event.kind == "delegate" or (pub_match and pub_match.group(1) == "pub"):
                delegate_count += 1
            elif pub_match and pub_match.group(1) == "svc":
                service_count += 1
            keys.pop(index, None)
            auth.pop(index, None)
            services.pop(index, None)
            continue
        if event.kind == "delegate":
            delegate_count += 1
            if event.name in ("sigAuth", "veriKey"):
                key_id = f"{did_text}#delegate-{delegate_count}"
                keys[index] = {
                    "id": key_id,
                    "type": RECOVERY_METHOD,
                    "controller": did_text,
                    "blockchainAccountId": f"eip155:{chain_id}:{to_checksum_address(event.value)}",
                }
                if event.name == "sigAuth":
                    auth[index] = key_id
        elif pub_match:
            section, algorithm, purpose, encoding = (
                pub_match.group(1),
                pub_match.group(2),
                pub_match.group(4),
                pub_match.group(6),
            )
            if section == "pub":
                delegate_count += 1
                kind = f"{algorithm}{_LEGACY_ATTR_TYPES.get(purpose or '', purpose or '')}"
                key: dict[str, Any] = {
                    "id": f"{did_text}#delegate-{delegate_count}",
                    "type": _LEGACY_ALGOS.get(kind, algorithm),
                    "controller": did_text,
                }
                raw = event.value.removeprefix("0x")
                if encoding in (None, "hex"):
                    key["publicKeyHex"] = raw
                else:
                    key["value"] = raw
                keys[index] = key
                if purpose == "sigAuth":
                    auth[index] = key["id"]
            else:
                service_count += 1
                try:
                    endpoint = bytes.fromhex(event.value.removeprefix("0x")).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    endpoint = event.value
                services[index] = {
                    "id": f"{did_text}#service-{service_count}",
                    "type": algorithm,
                    "serviceEndpoint": endpoint,
                }
    if deactivated:
        document: dict[str, Any] = {"@context": DID_CONTEXT, "id": did_text}
        return DidResolution(document, True, version_block, controller)
    controller_key = {
        "id": f"{did_text}#controller",
        "type": RECOVERY_METHOD,
        "controller": did_text,
        "blockchainAccountId": f"eip155:{chain_id}:{controller}",
    }
    methods = [controller_key, *keys.values()]
    document = {
        "@context": DID_CONTEXT,
        "id": did_text,
        "verificationMethod": methods,
        "authentication": [controller_key["id"], *auth.values()],
        "assertionMethod": [m["id"] for m in methods],
    }
    if services:
        document["service"] = list(services.values())
    signers = frozenset(
        address
        for m in methods
        if "blockchainAccountId" in m
        and (address := account_id_address(m["blockchainAccountId"])) is not None
    )
    public_keys = frozenset(m["publicKeyHex"].lower() for m in methods if "publicKeyHex" in m)
    return DidResolution(document, False, version_block, controller, signers, public_keys)


@lru_cache(maxsize=4096)
def _cached_document(history: DidHistory, block: int | None, timestamp: int) -> DidResolution:
    return build_document(history, block=block, timestamp=timestamp)


def decode_did_logs(
    interface: ContractABI, did: EthrDid, logs: Sequence[dict[str, Any]], as_of_block: int
) -> DidHistory:
    events: list[DidEvent] = []
    for log in logs:
        decoded = interface.decode_log(log)
        if decoded is None:
            continue
        block = int(log["blockNumber"], 16)
        log_index = int(log["logIndex"], 16)
        args = decoded.args
        if decoded.name == "DIDOwnerChanged":
            events.append(DidEvent("owner", block, log_index, owner=str(args["owner"])))
        elif decoded.name == "DIDDelegateChanged":
            events.append(
                DidEvent(
                    "delegate",
                    block,
                    log_index,
                    name=bytes32_to_code(args["delegateType"]),
                    value=str(args["delegate"]).lower(),
                    valid_to=int(args["validTo"]),
                )
            )
        elif decoded.name == "DIDAttributeChanged":
            events.append(
                DidEvent(
                    "attribute",
                    block,
                    log_index,
                    name=bytes32_to_code(args["name"]),
                    value="0x" + bytes(args["value"]).hex(),
                    valid_to=int(args["validTo"]),
                )
            )
    events.sort(key=lambda e: (e.block, e.log_index))
    return DidHistory(did, tuple(events), as_of_block)


class EthrDidResolver:
    """Resolves did:ethr DIDs of one chain from its ERC-1056 registry, with a warm cache.

    Histories are cached per identity and refreshed when older than ``ttl`` seconds; documents as
    of a block below the cached head never change, so they are served from the cache for good.
    """

    def __init__(
        self,
        *,
        rpc: RpcClient,
        registry: str,
        abi: Sequence[dict[str, Any]],
        chain_id: int,
        from_block: int = 0,
        ttl: float = 5.0,
    ) -> None:
        self.rpc = rpc
        self.registry = to_checksum_address(registry)
        self.interface = ContractABI(abi)
        self.chain_id = chain_id
        self.from_block = from_block
        self.ttl = ttl
        self._cache: dict[str, tuple[float, DidHistory]] = {}
        self._lock = threading.Lock()

    def _check_chain(self, did: str) -> EthrDid:
        parsed = parse_did(did)
        if parsed.chain_id != self.chain_id:
            raise DidError(
                f"{did} belongs to chain {parsed.chain_id}, this resolver serves chain {self.chain_id}"
            )
        return parsed

    def history(self, did: str, *, min_block: int | None = None) -> DidHistory:
        """The identity's events; cached unless older than ``ttl`` or not reaching ``min_block``."""
        parsed = self._check_chain(did)
        key = parsed.address
        with self._lock:
            cached = self._cache.get(key)
        fresh = cached is not None and (
            (min_block is not None and cached[1].as_of_block >= min_block)
            or (min_block is None and time.monotonic() - cached[0] < self.ttl)
        )
        if cached is not None and fresh:
            return cached[1]
        head, logs = self.rpc.batch(
            [
                ("eth_blockNumber", []),
                (
                    "eth_getLogs",
                    [
                        {
                            "address": self.registry,
                            "fromBlock": hex(self.from_block),
                            "toBlock": "latest",
                            "topics": [None, "0x" + bytes.fromhex(key[2:]).rjust(32, b"\0").hex()],
                        }
                    ],
                ),
            ]
        )
        if isinstance(head, Exception) or isinstance(logs, Exception):
            raise DidError(
                f"cannot read the DID registry: {head if isinstance(head, Exception) else logs}"
            )
        # The logs may include blocks mined after eth_blockNumber answered; count them in.
        as_of = max([int(head, 16), *(int(log["blockNumber"], 16) for log in logs)])
        history = decode_did_logs(self.interface, parsed, logs, as_of)
        with self._lock:
            self._cache[key] = (time.monotonic(), history)
        return history

    def resolve(
        self, did: str, *, block: int | None = None, timestamp: int | None = None
    ) -> DidResolution:
        """The document now, or as of ``block`` (with expiry judged at ``timestamp``)."""
        history = self.history(did, min_block=block)
        return history.document(block=block, timestamp=timestamp)

    def resolve_latest(self, did: str) -> DidResolution:
        """The document as of the chain's head (a change mined a moment ago counts; sign-in and
        key proofs need that, a cached history may be ``ttl`` seconds old)."""
        return self.history(did, min_block=self.rpc.block_number()).document()

    def resolution_result(self, did: str, *, block: int | None = None) -> dict[str, Any]:
        """A DID resolution result as W3C DID Resolution describes it (for the API)."""
        resolution = self.resolve(did, block=block)
        metadata: dict[str, Any] = {}
        if resolution.deactivated:
            metadata["deactivated"] = True
        if resolution.version_block is not None:
            metadata["versionId"] = str(resolution.version_block)
        return {
            "didDocument": resolution.document,
            "didDocumentMetadata": metadata,
            "didResolutionMetadata": {"contentType": "application/did+json"},
        }
