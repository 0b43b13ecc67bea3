"""The gateway's JSON-RPC error codes and its one exception root.

One code set, the standard JSON-RPC 2.0 codes plus two of EIP-1474's server codes:

=======  ==========================  =======================================================
code     name                        when
=======  ==========================  =======================================================
-32700   parse error                 the body is not JSON
-32600   invalid request             not a request object / batch, or an empty batch
-32601   method refused              a refused or unknown method (the message says why)
-32602   invalid params              an ``eth_sendRawTransaction`` that cannot be decoded
-32603   internal error              the chain node is unreachable or answered nonsense
-32003   transaction rejected        sender not permitted, wrong chain id, no permissioning
-32005   limit exceeded              batch or body larger than the gateway accepts
=======  ==========================  =======================================================

Errors travel with HTTP 200 (like geth and anvil), except an over-large body (HTTP 413) and an
unreachable node (HTTP 502, the body still carries the JSON-RPC error for every request).
"""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_REFUSED = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
TRANSACTION_REJECTED = -32003
LIMIT_EXCEEDED = -32005

HTTP_OK = 200
HTTP_PAYLOAD_TOO_LARGE = 413
HTTP_BAD_GATEWAY = 502


class GatewayError(Exception):
    """Root of the gateway's errors: a JSON-RPC error whose ``message`` is safe to send to clients."""

    http_status = HTTP_OK

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def to_error(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class UpstreamError(GatewayError):
    """The chain node behind the gateway could not be reached or gave no usable answer."""

    http_status = HTTP_BAD_GATEWAY

    def __init__(self, message: str) -> None:
        super().__init__(INTERNAL_ERROR, message)


class TransactionRejectedError(GatewayError):
    """A raw transaction the gateway will not forward (permissioning, chain id)."""

    def __init__(self, message: str) -> None:
        super().__init__(TRANSACTION_REJECTED, message)


class ConfigurationError(GatewayError):
    """The gateway's settings do not match the node (e.g. a different chain id)."""

    def __init__(self, message: str) -> None:
        super().__init__(INTERNAL_ERROR, message)
