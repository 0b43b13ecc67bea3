"""The chain node as the layers above ``chain/`` see it: a handle they pass on, never call.

Services and routes hand it to ``chain/`` reads and to the core's chain-reading objects (issuer,
verifier source, trust bundle); only those speak JSON-RPC (tests/api/test_layers.py checks that
no service imports ``registry_core.rpc`` or calls a method of the handle).
"""

from __future__ import annotations

from typing import TypeAlias

from registry_core.rpc import RpcClient

Node: TypeAlias = RpcClient
