"""Which validators take part: read from blocks with standard JSON-RPC only (works through the
gateway).

QBFT rotates the proposer: every validator proposes in turn, and Besu puts the proposer in each
block's ``miner`` (coinbase). A validator that proposed none of the last blocks (a few rounds of
the set) is most likely down. Every block needs ``ceil(2n/3)`` of the ``n`` validators, so up to
``n - ceil(2n/3)`` may be down; one more and the network stops making blocks.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from registry_core.abi import ContractABI
from registry_core.events import get_blocks
from registry_core.rpc import RpcClient
from scripts.network.validator_set import current_validators

MAX_WINDOW = 256  # blocks read per status (one JSON-RPC batch)


def quorum(validators: int) -> int:
    """Validators whose seals a block needs (Besu: ``ceil(2n/3)``)."""
    return math.ceil(2 * validators / 3)


@dataclass(frozen=True)
class ValidatorActivity:
    address: str
    last_proposed: int | None  # the newest block of the window it proposed


@dataclass(frozen=True)
class NetworkStatus:
    head: int
    head_age_seconds: int
    block_period_seconds: float  # the median gap between the window's blocks
    first_block: int  # of the window
    validators: tuple[ValidatorActivity, ...]

    @property
    def quorum(self) -> int:
        return quorum(len(self.validators))

    @property
    def tolerated(self) -> int:
        return len(self.validators) - self.quorum

    @property
    def silent(self) -> list[str]:
        return [v.address for v in self.validators if v.last_proposed is None]

    @property
    def stalled(self) -> bool:
        """No block for longer than a round (block period plus Besu's request timeout, which
        the kit sets to twice the block period)."""
        return self.head_age_seconds > 3 * max(self.block_period_seconds, 1.0)

    @property
    def verdict(self) -> str:
        if self.stalled:
            return (
                f"STALLED: no block for {self.head_age_seconds} s; fewer than {self.quorum} of "
                f"{len(self.validators)} validators take part"
            )
        if len(self.silent) > self.tolerated:
            return (
                f"AT RISK: {len(self.silent)} validators proposed nothing lately; blocks need "
                f"{self.quorum} of {len(self.validators)}"
            )
        if self.silent:
            return (
                f"DEGRADED: {len(self.silent)} of {len(self.validators)} validators proposed "
                f"nothing lately (up to {self.tolerated} may be down)"
            )
        return f"OK: all {len(self.validators)} validators propose blocks"

    def to_json(self) -> dict[str, Any]:
        return {
            "head": self.head,
            "head_age_seconds": self.head_age_seconds,
            "block_period_seconds": self.block_period_seconds,
            "window": [self.first_block, self.head],
            "quorum": self.quorum,
            "tolerated": self.tolerated,
            "stalled": self.stalled,
            "verdict": self.verdict,
            "validators": [
                {"address": v.address, "last_proposed": v.last_proposed} for v in self.validators
            ],
        }


def network_status(
    rpc: RpcClient, *, interface: ContractABI, validator_set: str, now: int, window: int = 0
) -> NetworkStatus:
    """The status at the latest block; ``window``: blocks to read (default: four rounds)."""
    validators = current_validators(rpc, interface, validator_set)
    head = rpc.block_number()
    size = min(window or 4 * len(validators), MAX_WINDOW, head + 1)
    blocks = list(get_blocks(rpc, range(head - size + 1, head + 1)).values())
    last: dict[str, int] = {}
    for block in blocks:
        last[to_checksum_address(block["miner"])] = int(block["number"], 16)
    times = [int(block["timestamp"], 16) for block in blocks]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    return NetworkStatus(
        head=head,
        head_age_seconds=max(0, now - times[-1]),
        block_period_seconds=float(statistics.median(gaps)) if gaps else 0.0,
        first_block=head - size + 1,
        validators=tuple(ValidatorActivity(v, last.get(v)) for v in validators),
    )
