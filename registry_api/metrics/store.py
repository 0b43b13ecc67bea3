"""Gauges read at scrape time from the shared store and the chain (one query, one RPC batch).

They describe the city, not this process: every replica reports the same values, so with a
custom collector (instead of gauges set by the worker) they are right whichever process or
replica Prometheus scrapes, with any number of worker processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from registry_api.chain import outbox
from registry_api.chain.sender.lease import aware
from registry_api.models.tables import IndexerCursor
from registry_core.errors import RegistryCoreError
from registry_core.rpc import RpcClient

# A scrape must not hang on a node that does not answer (Prometheus' default timeout is 10 s).
RPC_TIMEOUT_SECONDS = 2.0


class StoreCollector(Collector):
    def __init__(self, *, engine: Engine, rpc_url: str) -> None:
        self.engine = engine
        self.rpc_url = rpc_url
        self._rpc: RpcClient | None = None
        self._lock = threading.Lock()  # one scrape at a time shares the RPC connection

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            head = self._head()
            yield from self._chain(head)
            yield from self._store(head)

    def _head(self) -> tuple[int, int] | None:
        """(number, timestamp) of the chain's latest block; None if the chain does not answer."""
        if self._rpc is None:
            self._rpc = RpcClient(self.rpc_url, timeout=RPC_TIMEOUT_SECONDS)
        try:
            block = self._rpc.request("eth_getBlockByNumber", ["latest", False])
        except RegistryCoreError:
            self._rpc.close()
            self._rpc = None
            return None
        if not isinstance(block, dict):
            return None
        return int(block["number"], 16), int(block["timestamp"], 16)

    @staticmethod
    def _chain(head: tuple[int, int] | None) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "city_chain_up", "1 if the chain answered this scrape (through the gateway)",
            value=0 if head is None else 1,
        )  # fmt: skip
        if head is None:
            return
        yield GaugeMetricFamily("city_chain_head_block", "The chain's latest block", value=head[0])
        yield GaugeMetricFamily(
            "city_chain_head_age_seconds",
            "Seconds since the latest block (QBFT: about one block period unless the network "
            "stalls; the embedded chain makes blocks only for transactions)",
            value=max(0.0, time.time() - head[1]),
        )

    def _store(self, head: tuple[int, int] | None) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("city_store_up", "1 if the store answered this scrape")
        try:
            with Session(self.engine) as session:
                backlog = outbox.backlog(session)
                cursors = list(session.execute(select(col(IndexerCursor.next_block))).scalars())
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            "city_outbox_writes", "Writes not settled yet, by signer and status", labels=["signer", "status"]
        )  # fmt: skip
        age = GaugeMetricFamily(
            "city_outbox_oldest_age_seconds",
            "Age of the signer's oldest write that is not settled (pending or submitted)",
            labels=["signer"],
        )
        now = datetime.now(UTC)
        oldest: dict[str, float] = {}
        for item in backlog:
            depth.add_metric([item.signer, item.status], item.count)
            if item.status != "held":
                seconds = (now - aware(item.oldest)).total_seconds()
                oldest[item.signer] = max(oldest.get(item.signer, 0.0), seconds)
        for signer, seconds in sorted(oldest.items()):
            age.add_metric([signer], seconds)
        yield depth
        yield age
        if head is not None and cursors:
            yield GaugeMetricFamily(
                "city_indexer_lag_blocks",
                "Blocks the event indexer is behind the chain's head",
                value=max(0, head[0] - (min(cursors) - 1)),
            )
