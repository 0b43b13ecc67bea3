"""The chain's history as the deployment's contracts tell it: event paging, decoding, batched reads.

Everything that follows the city's contracts (the API's indexer, the explorer's index, the trust
bundle) reads history from logs and receipts, never from historical state (``eth_call`` at old
blocks), which anvil loses on restart and Besu prunes after 512 blocks.

- :class:`LogPager` reads ``eth_getLogs`` over bounded block ranges (1,000 blocks by default) and
  halves the range whenever the node refuses one as too large (Besu limits ranges with
  ``--rpc-max-logs-range`` and answers ``-32005``; geth and hosted nodes limit result counts with
  ``-32005`` too), down to a single block; the smaller range is kept for the following pages.
- :class:`EventDecoder` decodes logs with the manifest's ABIs, by emitting address, into
  :class:`ChainEvent` values that name the contract.
- :class:`EventReader` combines both: the decoded events of a set of contracts, page by page.
- :func:`get_blocks`, :func:`get_receipts` and :func:`get_transactions` read many blocks,
  receipts or transactions in JSON-RPC batches of :data:`BATCH_SIZE` calls.

Only standard ``eth_*`` methods are used, so the same code runs against anvil, the gateway and Besu.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from registry_core.abi import ContractABI
from registry_core.errors import RpcError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import Call, RpcClient

log = logging.getLogger(__name__)

DEFAULT_PAGE_BLOCKS = 1000
# Calls per JSON-RPC batch: below the gateway's limit (1,000) and Besu's default
# --rpc-http-max-batch-size (1,024), small enough that one answer stays a few MB.
BATCH_SIZE = 200
# What nodes answer when a log query is too large: -32005 "limit exceeded" (Besu: "Requested
# range exceeds maximum RPC range limit"; geth: "query returned more than 10000 results").
# Other nodes use -32000/-32602 with a message that says so.
_LIMIT_CODE = -32005
_LIMIT_WORDS = ("range", "limit", "too many", "too large", "more than", "exceed", "size")

Topics = Sequence[str | Sequence[str] | None]


def is_range_refusal(error: RpcError) -> bool:
    """True if a node refused an ``eth_getLogs`` query for its size (a smaller range may pass)."""
    if error.code == _LIMIT_CODE:
        return True
    message = error.message.lower()
    return error.code in (-32000, -32602) and any(word in message for word in _LIMIT_WORDS)


@dataclass(frozen=True)
class LogPage:
    """The logs of blocks ``from_block`` .. ``to_block`` (inclusive), in chain order."""

    from_block: int
    to_block: int
    logs: list[dict[str, Any]]


class LogPager:
    """``eth_getLogs`` over bounded block ranges, halved when the node refuses a range."""

    def __init__(self, rpc: RpcClient, *, page_blocks: int = DEFAULT_PAGE_BLOCKS) -> None:
        if page_blocks < 1:
            raise ValueError(f"a page covers at least one block, not {page_blocks}")
        self.rpc = rpc
        self.page_blocks = page_blocks

    def get_logs(
        self,
        *,
        address: str | Sequence[str],
        from_block: int,
        to_block: int,
        topics: Topics | None = None,
    ) -> list[dict[str, Any]]:
        """All logs of ``from_block`` .. ``to_block`` (as many pages as it takes)."""
        logs: list[dict[str, Any]] = []
        for page in self.pages(
            address=address, from_block=from_block, to_block=to_block, topics=topics
        ):
            logs.extend(page.logs)
        return logs

    def pages(
        self,
        *,
        address: str | Sequence[str],
        from_block: int,
        to_block: int,
        topics: Topics | None = None,
    ) -> Iterator[LogPage]:
        """Consecutive pages covering ``from_block`` .. ``to_block``; nothing if the range is empty.

        A refused range is halved (and the smaller size kept) until one block is refused, which
        is raised: no smaller query exists.
        """
        start = max(0, from_block)
        while start <= to_block:
            end = min(to_block, start + self.page_blocks - 1)
            query: dict[str, Any] = {
                "address": address if isinstance(address, str) else list(address),
                "fromBlock": hex(start),
                "toBlock": hex(end),
            }
            if topics is not None:
                query["topics"] = [
                    t if t is None or isinstance(t, str) else list(t) for t in topics
                ]
            try:
                logs = self.rpc.request("eth_getLogs", [query])
            except RpcError as exc:
                if end == start or not is_range_refusal(exc):
                    raise
                self.page_blocks = max(1, (end - start + 1) // 2)
                log.warning(
                    "the node refused eth_getLogs over %d blocks (%s); pages now cover %d blocks",
                    end - start + 1,
                    exc.message,
                    self.page_blocks,
                )
                continue
            yield LogPage(start, end, list(logs or []))
            start = end + 1


@dataclass(frozen=True, slots=True)
class ChainEvent:
    """One decoded event of a manifest contract, with where it happened."""

    contract: str  # the manifest's name, e.g. "RegisterHub"
    name: str  # the event, e.g. "RecordVersionAnchored"
    args: dict[str, Any]  # eth_abi values: bytes, int, bool, EIP-55 address strings
    address: str  # emitting contract, EIP-55
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int
    block_timestamp: int | None  # when the node includes it in logs (anvil, recent geth)

    @property
    def position(self) -> tuple[int, int]:
        """(block, log index): the event's place in chain order."""
        return (self.block_number, self.log_index)


class EventDecoder:
    """Decodes the logs of the manifest's contracts (all, or those named) with their ABIs."""

    def __init__(self, manifest: DeploymentManifest, contracts: Iterable[str] | None = None):
        names = list(manifest.contracts) if contracts is None else list(contracts)
        self._by_address: dict[str, tuple[str, str, ContractABI]] = {}
        for name in names:
            contract = manifest.contract(name)
            self._by_address[contract.address.lower()] = (
                name,
                contract.address,
                contract.interface,
            )
        self.from_block = min((manifest.contract(name).deploy_block for name in names), default=0)

    @property
    def addresses(self) -> list[str]:
        """The contracts' addresses (EIP-55), as an ``eth_getLogs`` address filter."""
        return [address for _, address, _ in self._by_address.values()]

    def decode(self, entry: dict[str, Any]) -> ChainEvent | None:
        """The event of one log entry, or None (another contract, or an event not in its ABI)."""
        known = self._by_address.get(str(entry.get("address", "")).lower())
        if known is None or entry.get("removed"):
            return None
        name, address, interface = known
        decoded = interface.decode_log(entry)
        if decoded is None:
            return None
        timestamp = entry.get("blockTimestamp")
        return ChainEvent(
            contract=name,
            name=decoded.name,
            args=decoded.args,
            address=address,
            block_number=int(entry["blockNumber"], 16),
            block_hash=str(entry["blockHash"]),
            tx_hash=str(entry["transactionHash"]),
            tx_index=int(entry["transactionIndex"], 16),
            log_index=int(entry["logIndex"], 16),
            block_timestamp=int(timestamp, 16) if isinstance(timestamp, str) else None,
        )

    def decode_all(self, entries: Iterable[dict[str, Any]]) -> list[ChainEvent]:
        return [event for event in map(self.decode, entries) if event is not None]


@dataclass(frozen=True)
class EventPage:
    """The decoded events of blocks ``from_block`` .. ``to_block``, in chain order."""

    from_block: int
    to_block: int
    events: list[ChainEvent]


class EventReader:
    """The decoded events of the manifest's contracts (all, or those named), page by page."""

    def __init__(
        self,
        rpc: RpcClient,
        manifest: DeploymentManifest,
        *,
        contracts: Iterable[str] | None = None,
        page_blocks: int = DEFAULT_PAGE_BLOCKS,
    ) -> None:
        self.decoder = EventDecoder(manifest, contracts)
        self.pager = LogPager(rpc, page_blocks=page_blocks)

    def pages(
        self, *, from_block: int, to_block: int, topics: Topics | None = None
    ) -> Iterator[EventPage]:
        for page in self.pager.pages(
            address=self.decoder.addresses, from_block=from_block, to_block=to_block, topics=topics
        ):
            yield EventPage(page.from_block, page.to_block, self.decoder.decode_all(page.logs))

    def events(
        self, *, from_block: int, to_block: int, topics: Topics | None = None
    ) -> list[ChainEvent]:
        """Every decoded event of ``from_block`` .. ``to_block``."""
        return [
            event
            for page in self.pages(from_block=from_block, to_block=to_block, topics=topics)
            for event in page.events
        ]


def batched(rpc: RpcClient, calls: Sequence[Call], *, size: int = BATCH_SIZE) -> list[Any]:
    """Results of many calls, sent in JSON-RPC batches of ``size``; the first error is raised."""
    results: list[Any] = []
    for start in range(0, len(calls), size):
        for reply in rpc.batch(calls[start : start + size]):
            if isinstance(reply, RpcError):
                raise reply
            results.append(reply)
    return results


def get_blocks(
    rpc: RpcClient, numbers: Iterable[int], *, full_transactions: bool = False
) -> dict[int, dict[str, Any]]:
    """Blocks by number (in batches); numbers beyond the head are left out."""
    wanted = sorted(set(numbers))
    replies = batched(rpc, [("eth_getBlockByNumber", [hex(n), full_transactions]) for n in wanted])
    return {n: block for n, block in zip(wanted, replies, strict=True) if isinstance(block, dict)}


def get_receipts(rpc: RpcClient, tx_hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Receipts by transaction hash (in batches); unknown or pending transactions are left out."""
    wanted = list(dict.fromkeys(tx_hashes))
    replies = batched(rpc, [("eth_getTransactionReceipt", [h]) for h in wanted])
    return {h: r for h, r in zip(wanted, replies, strict=True) if isinstance(r, dict)}


def get_transactions(rpc: RpcClient, tx_hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Transactions by hash (in batches); unknown ones are left out."""
    wanted = list(dict.fromkeys(tx_hashes))
    replies = batched(rpc, [("eth_getTransactionByHash", [h]) for h in wanted])
    return {h: t for h, t in zip(wanted, replies, strict=True) if isinstance(t, dict)}


def block_timestamps(rpc: RpcClient, events: Iterable[ChainEvent]) -> dict[int, int]:
    """Block number -> timestamp for the events' blocks: from the logs where the node includes it,
    the rest read in batches."""
    known: dict[int, int] = {}
    missing: set[int] = set()
    for event in events:
        if event.block_timestamp is not None:
            known[event.block_number] = event.block_timestamp
        else:
            missing.add(event.block_number)
    missing -= known.keys()
    for number, block in get_blocks(rpc, missing).items():
        known[number] = int(block["timestamp"], 16)
    return known
