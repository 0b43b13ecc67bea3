"""Which JSON-RPC methods the gateway forwards, answers itself, checks, or refuses, and why.

Allowed are the standard read methods any client needs, the filter methods, and
``eth_sendRawTransaction`` (checked against the on-chain permissioning first). Everything else is
refused with a message naming the reason; unknown methods are refused too (allow-list, not deny-list).
"""

from __future__ import annotations

import enum


class Route(enum.Enum):
    FORWARD = "forward"  # pass through to the node unchanged
    LOCAL = "local"  # answered by the gateway (constant values)
    RAW_TRANSACTION = "raw_transaction"  # decoded, checked, then forwarded
    REFUSE = "refuse"


FORWARDED: frozenset[str] = frozenset(
    {
        "web3_clientVersion",
        "net_listening",
        "eth_blockNumber",
        "eth_syncing",
        "eth_gasPrice",
        "eth_maxPriorityFeePerGas",
        "eth_feeHistory",
        "eth_getBalance",
        "eth_getCode",
        "eth_getStorageAt",
        "eth_getProof",
        "eth_getTransactionCount",
        "eth_call",
        "eth_estimateGas",
        "eth_createAccessList",
        "eth_getBlockByNumber",
        "eth_getBlockByHash",
        "eth_getBlockTransactionCountByNumber",
        "eth_getBlockTransactionCountByHash",
        "eth_getTransactionByHash",
        "eth_getTransactionByBlockHashAndIndex",
        "eth_getTransactionByBlockNumberAndIndex",
        "eth_getTransactionReceipt",
        "eth_getBlockReceipts",
        "eth_getLogs",
        "eth_newFilter",
        "eth_newBlockFilter",
        "eth_getFilterChanges",
        "eth_getFilterLogs",
        "eth_uninstallFilter",
    }
)

# Values that never change for a chain: fetched from the node once, then answered locally.
CACHED: frozenset[str] = frozenset({"eth_chainId", "net_version"})
# The node holds no keys for clients; it must not reveal (or pretend to have) any.
LOCAL: frozenset[str] = CACHED | {"eth_accounts"}

SEND_RAW_TRANSACTION = "eth_sendRawTransaction"

_SIGN_LOCALLY = (
    "the node holds no keys for clients; sign locally and send the signed transaction with "
    "eth_sendRawTransaction"
)
_EXACT_REASONS: dict[str, str] = {
    "eth_sendTransaction": (
        "the gateway only accepts transactions signed by the sender (eth_sendRawTransaction)"
    ),
    "eth_signTransaction": _SIGN_LOCALLY,
    "eth_subscribe": (
        "subscriptions need a WebSocket and the gateway serves HTTP only; "
        "use eth_newFilter / eth_newBlockFilter and eth_getFilterChanges"
    ),
    "eth_unsubscribe": "subscriptions are not supported; use eth_uninstallFilter for filters",
}
_PREFIX_REASONS: tuple[tuple[str, str], ...] = (
    ("eth_sign", "the node holds no keys for clients; sign locally"),
    ("personal_", "the node holds no keys or accounts for clients; sign locally"),
    ("anvil_", "node administration methods are not exposed"),
    ("evm_", "node administration methods are not exposed"),
    ("hardhat_", "node administration methods are not exposed"),
    ("admin_", "node administration methods are not exposed"),
    ("miner_", "node administration methods are not exposed"),
    ("engine_", "node administration methods are not exposed"),
    ("debug_", "debugging and tracing methods are not exposed"),
    ("trace_", "debugging and tracing methods are not exposed"),
    ("ots_", "debugging and tracing methods are not exposed"),
    ("txpool_", "transaction pool inspection is not exposed"),
)
_UNKNOWN = "the method is unknown or not on the gateway's allow-list"


def classify(method: str) -> Route:
    if method in FORWARDED:
        return Route.FORWARD
    if method == SEND_RAW_TRANSACTION:
        return Route.RAW_TRANSACTION
    if method in LOCAL:
        return Route.LOCAL
    return Route.REFUSE


def refusal_reason(method: str) -> str:
    """Why ``method`` is refused, without the method name (used in logs)."""
    reason = _EXACT_REASONS.get(method)
    if reason is not None:
        return reason
    for prefix, reason in _PREFIX_REASONS:
        if method.startswith(prefix):
            return reason
    return _UNKNOWN


def refusal_message(method: str) -> str:
    """The JSON-RPC error message for a refused method, e.g. ``anvil_mine is refused: ...``."""
    # Bound what is echoed back: the method name comes from the client.
    shown = method if len(method) <= 64 else method[:61] + "..."
    return f"{shown} is refused: {refusal_reason(method)}"
