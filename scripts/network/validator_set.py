"""The ``ValidatorSet`` contract on the city's Besu network: its genesis ``alloc`` and reads.

The council changes it by the intents ``add-validator`` / ``remove-validator``
(``registry_core.council``).

The storage slots below are the contract's layout (``contracts/governance/ValidatorSet.sol``):
slot 0 ``council``; slot 1 the length of OpenZeppelin ``EnumerableSet``'s values array, whose
elements start at ``keccak256(1)``; slot 2 its positions mapping (``value -> index + 1``).
A test deploys the contract on anvil and compares every slot written here with the deployed one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_utils.crypto import keccak

from registry_core.abi import ContractABI
from registry_core.errors import RegistryCoreError
from registry_core.rpc import RpcClient

VALIDATOR_SET = "ValidatorSet"
# Where the genesis puts the contract (Besu's documentation uses the same address).
VALIDATOR_SET_ADDRESS = "0x0000000000000000000000000000000000007777"
MIN_VALIDATORS = 4  # ValidatorSet.MIN_VALIDATORS (a test compares them)
MAX_VALIDATORS = 32  # ValidatorSet.MAX_VALIDATORS

COUNCIL_SLOT = 0
VALUES_SLOT = 1
POSITIONS_SLOT = 2


class ValidatorSetError(RegistryCoreError):
    """A validator set or a change of it is not acceptable."""


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def validator_set_storage(council: str, validators: Sequence[str]) -> dict[str, str]:
    """The contract's storage for ``council`` and ``validators``, as genesis ``storage``
    entries (32-byte hex keys and values without ``0x``, as in Besu's example)."""
    if not MIN_VALIDATORS <= len(validators) <= MAX_VALIDATORS:
        raise ValidatorSetError(
            f"{len(validators)} validators: the set holds {MIN_VALIDATORS} to {MAX_VALIDATORS}"
        )
    if len({v.lower() for v in validators}) != len(validators):
        raise ValidatorSetError("the validators must be distinct")
    slots = {COUNCIL_SLOT: int(council, 16), VALUES_SLOT: len(validators)}
    first_value = int.from_bytes(keccak(_word(VALUES_SLOT)), "big")
    for index, validator in enumerate(validators):
        word = int(validator, 16)
        slots[first_value + index] = word
        slots[int.from_bytes(keccak(_word(word) + _word(POSITIONS_SLOT)), "big")] = index + 1
    return {f"{slot:064x}": f"{value:064x}" for slot, value in slots.items()}


def validator_set_alloc(
    runtime_code: bytes, council: str, validators: Sequence[str]
) -> dict[str, Any]:
    """The genesis ``alloc`` entry of the contract."""
    return {
        "comment": "ValidatorSet: the QBFT validators; only the city council changes them",
        "balance": "0x0",
        "code": "0x" + runtime_code.hex(),
        "storage": validator_set_storage(council, validators),
    }


def current_validators(rpc: RpcClient, interface: ContractABI, address: str) -> list[str]:
    """``getValidators()`` at the latest block."""
    data = interface.encode_call("getValidators")
    return [str(v) for v in interface.decode_output("getValidators", rpc.call(address, data))]
