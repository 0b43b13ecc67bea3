"""Fixtures for the governance contract tests (brownie on anvil).

Deployments are module-scoped; the autouse ``isolation`` fixture reverts the chain before every
test, so each test starts from the freshly deployed contracts. Expected custom errors are built from
the contracts' ABIs: ``with brownie.reverts(typed_error("CouncilNotMember", stranger))`` matches
the exact error and its arguments. Council proposals are made with ``helpers.council_execute``.
"""

from collections.abc import Callable
from typing import Any

import pytest
from brownie import AccountPermissioning, CityCouncil, DepartmentDirectory
from helpers import MEMBER_COUNT, THRESHOLD, ErrorCodec


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


# --------------------------------------------------------------------------------------------
# Custom errors
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def errors() -> ErrorCodec:
    return ErrorCodec(CityCouncil.abi, DepartmentDirectory.abi, AccountPermissioning.abi)


@pytest.fixture(scope="session")
def typed_error(errors) -> Callable[..., str]:
    """``typed_error("CouncilNotMember", stranger)``: the exact revert of a direct call."""
    return errors.message


@pytest.fixture(scope="session")
def execution_failed(errors) -> Callable[..., str]:
    """``execution_failed(proposal_id, "DirectoryUnknownDepartment", FB02)``: the revert of
    ``CityCouncil.execute`` when the proposal's call failed with that inner error."""

    def _execution_failed(proposal_id: int, name: str, *args: Any) -> str:
        return errors.message("CouncilExecutionFailed", proposal_id, errors.data(name, *args))

    return _execution_failed


# --------------------------------------------------------------------------------------------
# Accounts and deployments
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def members(accounts):
    """The initial council members; ``THRESHOLD`` of them must confirm."""
    return list(accounts[:MEMBER_COUNT])


@pytest.fixture(scope="module")
def outsider(accounts):
    """Not a member; a candidate member or department account."""
    return accounts[5]


@pytest.fixture(scope="module")
def stranger(accounts):
    """An account with no role anywhere."""
    return accounts[9]


@pytest.fixture(scope="module")
def council(deployer, members):
    return CityCouncil.deploy(members, THRESHOLD, {"from": deployer})


@pytest.fixture(scope="module")
def directory(deployer, council):
    return DepartmentDirectory.deploy(council, {"from": deployer})


@pytest.fixture(scope="module")
def permissioning(deployer, council, directory):
    return AccountPermissioning.deploy(council, directory, {"from": deployer})
