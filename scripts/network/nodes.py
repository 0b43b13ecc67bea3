"""The validator nodes: keys, enode URLs and Besu's TOML configuration of each node.

A node's key is an ordinary secp256k1 key; its address is the validator's address. At rest it is
a Web3 Secret Storage file (scrypt, ``registry_core.keystore``). Besu reads its key only as a
plain file (one line, ``0x`` and 64 hex digits), so the node's start decrypts it into
memory-backed storage (tmpfs) and Besu reads it from there.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from eth_account.signers.local import LocalAccount

from registry_core.errors import RegistryCoreError

DEFAULT_P2P_PORT = 30303  # Besu's default
DEFAULT_RPC_PORT = 8546  # the node port the gateway forwards to (CITY_GATEWAY_UPSTREAM_URL)
DEFAULT_METRICS_PORT = 9545  # Besu's default
# tmpfs on Linux; the folder is made owner-only and the key files are written 0600.
DEFAULT_KEY_DIR = PurePosixPath("/dev/shm/city-besu")  # noqa: S108
MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})
# Only what operators and the gateway need, on loopback: the gateway is the public endpoint.
RPC_APIS = ["ETH", "NET", "WEB3", "QBFT", "PERM"]


class NodeKeyError(RegistryCoreError):
    """A node key cannot be written where it was asked."""


def validator_key_name(index: int) -> str:
    """The name of validator ``index``'s node key in the kit's keystore."""
    return f"validator-{index}"


@dataclass(frozen=True)
class Node:
    """One validator node of the kit (public facts only)."""

    index: int  # 1-based: node-1, node-2, …
    address: str  # the validator address (of the node key)
    public_key: str  # 128 hex digits: the enode id
    host: str
    p2p_port: int
    rpc_port: int
    metrics_port: int

    @property
    def name(self) -> str:
        return f"node-{self.index}"

    @property
    def key_name(self) -> str:
        return validator_key_name(self.index)

    @property
    def enode(self) -> str:
        return f"enode://{self.public_key}@{self.host}:{self.p2p_port}"

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "address": self.address,
            "public_key": self.public_key,
            "enode": self.enode,
            "host": self.host,
            "p2p_port": self.p2p_port,
            "rpc_port": self.rpc_port,
            "metrics_port": self.metrics_port,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Node:
        return cls(
            index=int(data["index"]),
            address=str(data["address"]),
            public_key=str(data["public_key"]),
            host=str(data["host"]),
            p2p_port=int(data["p2p_port"]),
            rpc_port=int(data["rpc_port"]),
            metrics_port=int(data["metrics_port"]),
        )


def public_key_of(account: LocalAccount) -> str:
    """The uncompressed public key without its 0x04 prefix: the enode id."""
    return str(account._key_obj.public_key.to_bytes().hex())


def port_offsets(hosts: Sequence[str]) -> list[int]:
    """For each node, how many nodes before it share its host (their ports must differ)."""
    seen: Counter[str] = Counter()
    offsets = []
    for host in hosts:
        offsets.append(seen[host])
        seen[host] += 1
    return offsets


def node_config(node: Node, key_dir: PurePosixPath) -> dict[str, Any]:
    """Besu's configuration of ``node`` (keys are Besu's command line options without ``--``;
    paths are relative to the node's folder, where the node is started)."""
    return {
        "genesis-file": "../genesis.json",
        "data-path": "data",
        "node-private-key-file": str(key_dir / f"{node.name}.key"),
        # Free gas: a node with a higher minimum silently drops the city's zero-price
        # transactions; the pool's own minimum defaults to 1000 wei.
        "min-gas-price": 0,
        "tx-pool-min-gas-price": "0",
        "p2p-host": node.host,
        "p2p-port": node.p2p_port,
        "discovery-enabled": False,
        "static-nodes-file": "static-nodes.json",
        "sync-mode": "FULL",
        "data-storage-format": "BONSAI",
        "rpc-http-enabled": True,
        "rpc-http-host": "127.0.0.1",
        "rpc-http-port": node.rpc_port,
        "rpc-http-api": RPC_APIS,
        "host-allowlist": ["localhost", "127.0.0.1"],
        "permissions-accounts-config-file-enabled": True,
        "permissions-accounts-config-file": "permissions_config.toml",
        "metrics-enabled": True,
        "metrics-host": "127.0.0.1",
        "metrics-port": node.metrics_port,
    }


def _toml_value(value: Any) -> str:
    # JSON's string escapes are valid TOML basic-string escapes.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def render_config(node: Node, config: dict[str, Any]) -> str:
    lines = [
        f"# Besu configuration of {node.name} (validator {node.address}), written by",
        "# `registry network init`. Start the node from this folder (see the README's runbook).",
    ]
    lines += [f"{key}={_toml_value(value)}" for key, value in config.items()]
    return "\n".join(lines) + "\n"


def render_static_nodes(nodes: Sequence[Node]) -> str:
    """``static-nodes.json``: the same list of every validator's enode URL on every node."""
    return json.dumps([node.enode for node in nodes], indent=2) + "\n"


def filesystem_type(path: Path) -> str:
    """The type of the file system that holds ``path`` (from /proc/self/mounts)."""
    target = path.resolve()
    best, kind = Path("/"), ""
    for line in Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = Path(fields[1].replace("\\040", " "))
        if target.is_relative_to(mount) and len(mount.parts) >= len(best.parts):
            best, kind = mount, fields[2]
    return kind


def write_plain_key(account: LocalAccount, path: Path) -> None:
    """Write the key as Besu reads it (one line, ``0x`` + 64 hex digits), owner-only, and only
    into memory-backed storage: a plain key never reaches a disk."""
    kind = filesystem_type(path.parent)
    if kind not in MEMORY_FILESYSTEMS:
        raise NodeKeyError(
            f"{path.parent} is on {kind or 'an unknown file system'}, not in memory (tmpfs); "
            "a plain node key must not reach a disk: use e.g. /dev/shm or $XDG_RUNTIME_DIR"
        )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = path.parent.stat()
    if folder.st_uid != os.getuid() or folder.st_mode & 0o077:
        raise NodeKeyError(
            f"{path.parent} must belong to this user and be closed to others (mode 0700)"
        )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write("0x" + bytes(account.key).hex())
