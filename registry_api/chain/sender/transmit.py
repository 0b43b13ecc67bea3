"""Sending signed transactions in JSON-RPC batches and classifying each answer.

A batch the gateway refuses as too large (-32005) is sent again in halves; a connection that fails
raises (the sender's loop backs off). Every other answer is classified per transaction
(:mod:`.refusals`) for the sender to act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from registry_api.chain.sender.refusals import LIMIT_EXCEEDED, Refusal, classify
from registry_core.errors import RpcError
from registry_core.rpc import RpcClient

RPC_CHUNK = 200


@dataclass(frozen=True)
class Outgoing:
    nonce: int
    raw: str  # hex without 0x
    tx_hash: str


@dataclass(frozen=True)
class Answer:
    tx: Outgoing
    refusal: Refusal
    error: RpcError | None


def send_all(rpc: RpcClient, txs: Sequence[Outgoing], chunk: int = RPC_CHUNK) -> list[Answer]:
    """Send ``txs`` (in order) and return one answer per transaction."""
    answers: list[Answer] = []
    for start in range(0, len(txs), chunk):
        answers += _send_chunk(rpc, txs[start : start + chunk])
    return answers


def _send_chunk(rpc: RpcClient, txs: Sequence[Outgoing]) -> list[Answer]:
    try:
        replies = rpc.batch([("eth_sendRawTransaction", ["0x" + tx.raw]) for tx in txs])
    except RpcError as exc:
        if exc.code != LIMIT_EXCEEDED:
            raise
        if len(txs) == 1:  # one transaction too large for the gateway: never sendable
            return [Answer(txs[0], Refusal.REFUSED, exc)]
        half = len(txs) // 2
        return _send_chunk(rpc, txs[:half]) + _send_chunk(rpc, txs[half:])
    answers: list[Answer] = []
    for tx, reply in zip(txs, replies, strict=True):
        refusal = classify(reply)
        if refusal is Refusal.LIMIT:  # an entry over a limit on its own: the same as above
            refusal = Refusal.REFUSED
        answers.append(Answer(tx, refusal, reply if isinstance(reply, RpcError) else None))
    return answers
