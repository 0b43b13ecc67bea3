"""The QBFT genesis file of the city's Besu network (Besu's genesis format).

Validators come from a contract (Besu's *contract validator selection*): the ``ValidatorSet``
contract sits in the genesis ``alloc`` and ``extraData`` carries no validators. Gas is free: zero
base fee (``zeroBaseFee``, ``baseFeePerGas`` 0) and every node runs with ``min-gas-price=0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import rlp

# Besu: "mixHash 0x6374…6365 for Istanbul block identification" (the QBFT genesis value).
QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
EPOCH_LENGTH = 30_000  # Besu's example value; votes reset per epoch (none with a contract)
VANITY = bytes(32)
ZERO_HASH = "0x" + "00" * 32
ZERO_ADDRESS = "0x" + "00" * 20


def qbft_extra_data(validators: Sequence[str] = ()) -> str:
    """``RLP([32 bytes vanity, validators, no vote, round 0, no seals])``, the genesis
    ``extraData`` of Besu's QBFT; with contract validator selection the list is empty."""
    addresses = [bytes.fromhex(address.removeprefix("0x")) for address in validators]
    encoded: bytes = rlp.encode([VANITY, addresses, [], 0, []])
    return "0x" + encoded.hex()


@dataclass(frozen=True)
class ChainSettings:
    chain_id: int
    block_period_seconds: int
    gas_limit: int
    timestamp: int

    @property
    def request_timeout_seconds(self) -> int:
        """Twice the block period, as Besu's guide to tuning the block timeout advises."""
        return 2 * self.block_period_seconds


def qbft_genesis(
    chain: ChainSettings, *, validator_contract: str, alloc: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The genesis file; ``alloc`` must hold the validator contract at ``validator_contract``."""
    return {
        "config": {
            "chainId": chain.chain_id,
            "berlinBlock": 0,
            "londonBlock": 0,
            "shanghaiTime": 0,
            # The contracts are compiled for evm "cancun" (solc emits PUSH0 and MCOPY).
            "cancunTime": 0,
            "zeroBaseFee": True,
            "qbft": {
                "blockperiodseconds": chain.block_period_seconds,
                "epochlength": EPOCH_LENGTH,
                "requesttimeoutseconds": chain.request_timeout_seconds,
                "validatorcontractaddress": validator_contract,
            },
        },
        "nonce": "0x0",
        "timestamp": hex(chain.timestamp),
        "extraData": qbft_extra_data(),
        "gasLimit": hex(chain.gas_limit),
        "difficulty": "0x1",
        "mixHash": QBFT_MIX_HASH,
        "coinbase": ZERO_ADDRESS,
        "baseFeePerGas": "0x0",
        "alloc": alloc,
        "number": "0x0",
        "gasUsed": "0x0",
        "parentHash": ZERO_HASH,
    }
