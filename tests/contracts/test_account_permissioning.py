"""AccountPermissioning: which accounts may send transactions on the city chain."""

import pytest
from brownie import reverts
from helpers import FB02, ZERO_ADDRESS, council_execute, council_pass


@pytest.fixture(scope="module")
def govern(council, members):
    """``govern(target, calldata)``: the council calls ``target`` through a passed proposal."""
    return lambda target, calldata: council_execute(council, target, calldata, members)


@pytest.fixture(scope="module")
def operator(accounts):
    """A service account that the council allow-lists explicitly."""
    return accounts[7]


@pytest.fixture(scope="module")
def clerk(accounts):
    """An account of department FB02."""
    return accounts[6]


@pytest.fixture
def allowed_operator(permissioning, govern, operator):
    govern(permissioning, permissioning.allowAccount.encode_input(operator))
    return operator


@pytest.fixture
def department_clerk(directory, govern, clerk):
    """``clerk``, acting for active department FB02."""
    govern(directory, directory.addDepartment.encode_input(FB02, "Bauamt"))
    govern(directory, directory.addAccount.encode_input(FB02, clerk))
    return clerk


def transaction_allowed(permissioning, sender):
    """Besu's check for a plain transaction of ``sender``."""
    return permissioning.transactionAllowed(sender, ZERO_ADDRESS, 0, 0, 21_000, "0x")


# --------------------------------------------------------------------------------------------
# Deployment
# --------------------------------------------------------------------------------------------


def test_deploy_sets_council(permissioning, council):
    assert permissioning.council() == council


def test_deploy_sets_directory(permissioning, directory):
    assert permissioning.directory() == directory


def test_deploy_starts_with_empty_allow_list(permissioning):
    assert permissioning.allowedAccounts() == []


# --------------------------------------------------------------------------------------------
# allowAccount
# --------------------------------------------------------------------------------------------


def test_allow_account_emits_account_allowed(permissioning, govern, operator):
    tx = govern(permissioning, permissioning.allowAccount.encode_input(operator))
    assert tx.events["AccountAllowed"]["account"] == operator


def test_allow_account_lists_it(permissioning, allowed_operator):
    assert permissioning.allowedAccounts() == [allowed_operator]


def test_allow_account_by_stranger_reverts(permissioning, stranger, typed_error):
    with reverts(typed_error("PermissioningCallerNotCouncil", stranger)):
        permissioning.allowAccount(stranger, {"from": stranger})


def test_allow_zero_account_reverts(permissioning, council, members, execution_failed):
    calldata = permissioning.allowAccount.encode_input(ZERO_ADDRESS)
    proposal_id = council_pass(council, permissioning, calldata, members)
    with reverts(execution_failed(proposal_id, "PermissioningInvalidAccount", ZERO_ADDRESS)):
        council.execute(proposal_id, {"from": members[0]})


def test_allow_account_twice_reverts(
    permissioning, council, members, allowed_operator, execution_failed
):
    calldata = permissioning.allowAccount.encode_input(allowed_operator)
    proposal_id = council_pass(council, permissioning, calldata, members)
    with reverts(execution_failed(proposal_id, "PermissioningAccountAllowed", allowed_operator)):
        council.execute(proposal_id, {"from": members[0]})


# --------------------------------------------------------------------------------------------
# disallowAccount
# --------------------------------------------------------------------------------------------


def test_disallow_account_emits_account_disallowed(permissioning, govern, allowed_operator):
    tx = govern(permissioning, permissioning.disallowAccount.encode_input(allowed_operator))
    assert tx.events["AccountDisallowed"]["account"] == allowed_operator


def test_disallow_account_unlists_it(permissioning, govern, allowed_operator):
    govern(permissioning, permissioning.disallowAccount.encode_input(allowed_operator))
    assert permissioning.allowedAccounts() == []
    assert not permissioning.isAccountPermitted(allowed_operator)


def test_disallow_account_by_stranger_reverts(
    permissioning, allowed_operator, stranger, typed_error
):
    with reverts(typed_error("PermissioningCallerNotCouncil", stranger)):
        permissioning.disallowAccount(allowed_operator, {"from": stranger})


def test_disallow_unlisted_account_reverts(
    permissioning, council, members, operator, execution_failed
):
    calldata = permissioning.disallowAccount.encode_input(operator)
    proposal_id = council_pass(council, permissioning, calldata, members)
    with reverts(execution_failed(proposal_id, "PermissioningAccountNotAllowed", operator)):
        council.execute(proposal_id, {"from": members[0]})


# --------------------------------------------------------------------------------------------
# isAccountPermitted and transactionAllowed
# --------------------------------------------------------------------------------------------


def test_council_member_is_permitted(permissioning, members):
    assert permissioning.isAccountPermitted(members[1])
    assert transaction_allowed(permissioning, members[1])


def test_allow_listed_account_is_permitted(permissioning, allowed_operator):
    assert permissioning.isAccountPermitted(allowed_operator)
    assert transaction_allowed(permissioning, allowed_operator)


def test_active_department_account_is_permitted(permissioning, department_clerk):
    assert permissioning.isAccountPermitted(department_clerk)
    assert transaction_allowed(permissioning, department_clerk)


def test_stranger_is_not_permitted(permissioning, stranger):
    assert not permissioning.isAccountPermitted(stranger)
    assert not transaction_allowed(permissioning, stranger)


def test_suspended_department_account_is_not_permitted(
    permissioning, directory, govern, department_clerk
):
    govern(directory, directory.suspendDepartment.encode_input(FB02))
    assert not permissioning.isAccountPermitted(department_clerk)
    assert not transaction_allowed(permissioning, department_clerk)


def test_removed_department_account_is_not_permitted(
    permissioning, directory, govern, department_clerk
):
    govern(directory, directory.removeAccount.encode_input(FB02, department_clerk))
    assert not permissioning.isAccountPermitted(department_clerk)


def test_removed_council_member_is_not_permitted(permissioning, council, govern, members):
    govern(council, council.removeMember.encode_input(members[2]))
    assert not permissioning.isAccountPermitted(members[2])


def test_transaction_allowed_ignores_everything_but_the_sender(permissioning, members, stranger):
    payload = "0x" + "ab" * 100
    assert permissioning.transactionAllowed(members[0], stranger, 10**18, 1, 10**6, payload)
    assert not permissioning.transactionAllowed(stranger, members[0], 0, 0, 0, "0x")
