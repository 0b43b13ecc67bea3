"""Constants and helpers shared by the contract tests (fixtures live in conftest.py)."""

from collections.abc import Sequence
from typing import Any

from brownie.exceptions import decode_typed_error, parse_errors_from_abi
from eth_abi import encode
from eth_utils import function_abi_to_4byte_selector
from hypothesis import HealthCheck, settings

# Only pure-Python modules at the top level: brownie hashes the source of every import that lives
# inside the project folder (its virtualenv included) and cannot read compiled (mypyc) modules.

THRESHOLD = 2
MEMBER_COUNT = 3
FB02 = b"FB02".ljust(32, b"\0")  # department ids are short codes, right-padded to bytes32
FB03 = b"FB03".ljust(32, b"\0")
ZERO_ADDRESS = "0x" + "00" * 20
ZERO_ID = b"\0" * 32


def chain_settings(**overrides: Any) -> settings:
    """Hypothesis settings for tests whose every example talks to anvil.

    The health checks that time example generation or count overruns measure the machine's load
    (anvil, brownie and other jobs share two cores), not the strategies, so a busy CI box failed
    them at random; they are off for every chain-backed property and stateful test.
    """
    return settings(
        deadline=None,
        suppress_health_check=[HealthCheck.data_too_large, HealthCheck.too_slow],
        **overrides,
    )


class ProposalState:
    """Mirror of ``ICityCouncil.ProposalState``."""

    UNKNOWN = 0
    PENDING = 1
    EXECUTED = 2
    CANCELED = 3


class ErrorCodec:
    """Encodes the custom errors of a set of ABIs and renders them the way brownie reports a
    revert, so ``brownie.reverts(codec.message(...))`` matches the error and its arguments."""

    def __init__(self, *abis: Sequence[dict[str, Any]]) -> None:
        self._errors: dict[str, dict[str, Any]] = {}
        for abi in abis:
            parse_errors_from_abi(list(abi))  # brownie decodes reverts only for known selectors
            for item in abi:
                if item["type"] == "error":
                    self._errors[item["name"]] = item

    def data(self, name: str, *args: Any) -> bytes:
        """The revert data of error ``name(args)``: selector followed by the ABI-encoded args."""
        abi = self._errors[name]
        types = [item["type"] for item in abi["inputs"]]
        values = [getattr(arg, "address", arg) for arg in args]  # accounts and contracts
        return function_abi_to_4byte_selector(abi) + encode(types, values)

    def message(self, name: str, *args: Any) -> str:
        """The revert message brownie reports for error ``name(args)``."""
        return decode_typed_error("0x" + self.data(name, *args).hex())


def proposal_id_of(tx: Any) -> int:
    """The id of the proposal that transaction ``tx`` created."""
    return int(tx.events["ProposalCreated"]["proposalId"])


def council_pass(council: Any, target: Any, calldata: str, members: Sequence[Any]) -> int:
    """Proposes ``target.call(calldata)`` and confirms it by the first ``threshold`` members.

    Returns the id of the proposal, which is then ready to execute.
    """
    proposal_id = proposal_id_of(
        council.propose(target, 0, calldata, "test proposal", {"from": members[0]})
    )
    for member in members[1 : council.threshold()]:
        council.confirm(proposal_id, {"from": member})
    return proposal_id


def council_execute(council: Any, target: Any, calldata: str, members: Sequence[Any]) -> Any:
    """Makes the council call ``target`` with ``calldata``: propose, confirm, execute.

    Returns the execution transaction; its events include those of the called contract.
    """
    proposal_id = council_pass(council, target, calldata, members)
    return council.execute(proposal_id, {"from": members[0]})
