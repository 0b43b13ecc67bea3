"""What a node's or the gateway's answer to ``eth_sendRawTransaction`` means for the sender.

By JSON-RPC error code first (the gateway's codes, README "The gateway"):

=============  ==========================================  ====================================
class          when                                        what the sender does
=============  ==========================================  ====================================
accepted       a transaction hash                          wait for the receipt
known          the node has it already (``already known``,   as accepted
               ``transaction already imported``)
nonce-taken    ``nonce too low``                           mined under this hash? else its
                                                           writes are planned again
nonce-busy     another transaction with this nonce waits   send again later (it becomes
               in the pool (``replacement transaction      nonce-taken or accepted)
               underpriced``)
refused        -32003 and the sender is not permitted on   its writes fail with the reason, the
               chain (e.g. its department is suspended);   nonce is free for the next round, the
               -32602 (cannot be decoded); -32000 invalid  signer goes on
               (``intrinsic gas too low``, ...)
limit          -32005 (batch or body too large)            send in smaller batches
transient      -32603 / HTTP 502 (node unreachable), no    send again with backoff
               connection, -32003 while the sender is
               permitted (the gateway's permissioning is
               not ready), any other code
=============  ==========================================  ====================================

Messages are read only where the node gives nothing else: anvil (like geth) answers a taken or
known nonce with the generic codes -32003/-32000, so ``nonce too low``, ``already known`` /
``known transaction`` and ``replacement transaction underpriced`` are matched as whole words
(``unknown transaction`` is not ``known``). Whether -32003 is a refusal of the sender is asked of
the chain (``AccountPermissioning.isAccountPermitted``), not read from the message.
"""

from __future__ import annotations

import re
from enum import StrEnum

from registry_core.errors import RpcError

GATEWAY_REJECTED = -32003  # also anvil's code for nonce errors, hence the messages below
INVALID_PARAMS = -32602
NODE_UNREACHABLE = -32603
LIMIT_EXCEEDED = -32005
NODE_GENERIC = -32000

_NONCE_TOO_LOW = re.compile(r"\bnonce too low\b", re.IGNORECASE)
_KNOWN = re.compile(
    r"\b(already known|already imported|known transaction)\b", re.IGNORECASE
)  # geth, anvil, Besu
_UNDERPRICED = re.compile(r"\breplacement transaction underpriced\b", re.IGNORECASE)
_POOL_BUSY = re.compile(r"\b(txpool is full|transaction pool is full)\b", re.IGNORECASE)


class Refusal(StrEnum):
    ACCEPTED = "accepted"
    KNOWN = "known"
    NONCE_TAKEN = "nonce-taken"
    NONCE_BUSY = "nonce-busy"
    REFUSED = "refused"
    LIMIT = "limit"
    TRANSIENT = "transient"
    # -32003 without a node message: refused if the sender is not permitted on chain, else
    # transient. The sender asks the chain and settles it (see Sender._settle_rejections).
    REJECTED = "rejected"


def classify(answer: object) -> Refusal:
    """The class of one ``eth_sendRawTransaction`` answer (a hash or an :class:`RpcError`)."""
    if not isinstance(answer, RpcError):
        return Refusal.ACCEPTED
    message = answer.message
    if answer.code in (GATEWAY_REJECTED, NODE_GENERIC):
        if _KNOWN.search(message):
            return Refusal.KNOWN
        if _NONCE_TOO_LOW.search(message):
            return Refusal.NONCE_TAKEN
        if _UNDERPRICED.search(message):
            return Refusal.NONCE_BUSY
        if answer.code == GATEWAY_REJECTED:
            return Refusal.REJECTED
        return Refusal.TRANSIENT if _POOL_BUSY.search(message) else Refusal.REFUSED
    if answer.code == INVALID_PARAMS:
        return Refusal.REFUSED
    if answer.code == LIMIT_EXCEEDED:
        return Refusal.LIMIT
    return Refusal.TRANSIENT
