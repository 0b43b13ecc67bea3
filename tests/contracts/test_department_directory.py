"""DepartmentDirectory: departments and their accounts, changed only by the council."""

import pytest
from brownie import reverts
from helpers import FB02, FB03, ZERO_ADDRESS, ZERO_ID, council_execute, council_pass

BAUAMT = "Bauamt"
ORDNUNGSAMT = "Ordnungsamt"


@pytest.fixture(scope="module")
def govern(council, directory, members):
    """``govern(calldata)``: the council calls the directory through a passed proposal."""
    return lambda calldata: council_execute(council, directory, calldata, members)


@pytest.fixture(scope="module")
def propose(council, directory, members):
    """``propose(calldata)``: a passed, not yet executed council proposal to call the directory."""
    return lambda calldata: council_pass(council, directory, calldata, members)


@pytest.fixture(scope="module")
def execute(council, members):
    """``execute(proposal_id)``: executes a council proposal."""
    return lambda proposal_id: council.execute(proposal_id, {"from": members[0]})


@pytest.fixture(scope="module")
def clerk(accounts):
    """An account that acts for FB02."""
    return accounts[6]


# Department fixtures are function-scoped: a module-scoped fixture that changes chain state
# would leak into every later test of the module.
@pytest.fixture
def bauamt(directory, govern, clerk):
    """Active department FB02 ("Bauamt") with one account, ``clerk``."""
    govern(directory.addDepartment.encode_input(FB02, BAUAMT))
    govern(directory.addAccount.encode_input(FB02, clerk))
    return FB02


@pytest.fixture
def ordnungsamt(directory, govern):
    """Active department FB03 ("Ordnungsamt") without accounts."""
    govern(directory.addDepartment.encode_input(FB03, ORDNUNGSAMT))
    return FB03


# --------------------------------------------------------------------------------------------
# Deployment
# --------------------------------------------------------------------------------------------


def test_deploy_sets_council(directory, council):
    assert directory.council() == council


def test_deploy_starts_empty(directory):
    assert directory.departmentIds() == []


def test_max_name_length_is_64(directory):
    assert directory.MAX_NAME_LENGTH() == 64


# --------------------------------------------------------------------------------------------
# addDepartment
# --------------------------------------------------------------------------------------------


def test_add_department_emits_department_added(directory, govern):
    tx = govern(directory.addDepartment.encode_input(FB02, BAUAMT))
    event = tx.events["DepartmentAdded"]
    assert (event["departmentId"], event["name"]) == (f"0x{FB02.hex()}", BAUAMT)


def test_add_department_creates_active_department(directory, govern):
    govern(directory.addDepartment.encode_input(FB02, BAUAMT))
    assert directory.department(FB02).dict() == {"name": BAUAMT, "active": True, "accountCount": 0}
    assert directory.departmentExists(FB02)
    assert directory.isDepartmentActive(FB02)


def test_add_department_keeps_creation_order(directory, govern):
    govern(directory.addDepartment.encode_input(FB03, ORDNUNGSAMT))
    govern(directory.addDepartment.encode_input(FB02, BAUAMT))
    assert directory.departmentIds() == [f"0x{FB03.hex()}", f"0x{FB02.hex()}"]


def test_add_department_with_longest_name_succeeds(directory, govern):
    name = "x" * 64
    govern(directory.addDepartment.encode_input(FB02, name))
    assert directory.department(FB02)["name"] == name


def test_add_department_by_stranger_reverts(directory, stranger, typed_error):
    with reverts(typed_error("DirectoryCallerNotCouncil", stranger)):
        directory.addDepartment(FB02, BAUAMT, {"from": stranger})


def test_add_department_by_council_member_reverts(directory, members, typed_error):
    with reverts(typed_error("DirectoryCallerNotCouncil", members[0])):
        directory.addDepartment(FB02, BAUAMT, {"from": members[0]})


def test_add_department_with_zero_id_reverts(directory, propose, execute, execution_failed):
    proposal_id = propose(directory.addDepartment.encode_input(ZERO_ID, BAUAMT))
    with reverts(execution_failed(proposal_id, "DirectoryInvalidDepartmentId", ZERO_ID)):
        execute(proposal_id)


def test_add_existing_department_reverts(directory, bauamt, propose, execute, execution_failed):
    proposal_id = propose(directory.addDepartment.encode_input(bauamt, ORDNUNGSAMT))
    with reverts(execution_failed(proposal_id, "DirectoryDepartmentExists", bauamt)):
        execute(proposal_id)


def test_add_department_with_empty_name_reverts(directory, propose, execute, execution_failed):
    proposal_id = propose(directory.addDepartment.encode_input(FB02, ""))
    with reverts(execution_failed(proposal_id, "DirectoryInvalidName", 0, 64)):
        execute(proposal_id)


def test_add_department_with_too_long_name_reverts(directory, propose, execute, execution_failed):
    proposal_id = propose(directory.addDepartment.encode_input(FB02, "x" * 65))
    with reverts(execution_failed(proposal_id, "DirectoryInvalidName", 65, 64)):
        execute(proposal_id)


def test_add_department_name_length_counts_bytes(directory, propose, execute, execution_failed):
    name = "ä" * 33  # 66 bytes in UTF-8
    proposal_id = propose(directory.addDepartment.encode_input(FB02, name))
    with reverts(execution_failed(proposal_id, "DirectoryInvalidName", 66, 64)):
        execute(proposal_id)


# --------------------------------------------------------------------------------------------
# renameDepartment
# --------------------------------------------------------------------------------------------


def test_rename_department_emits_department_renamed(directory, bauamt, govern):
    tx = govern(directory.renameDepartment.encode_input(bauamt, "Bauordnungsamt"))
    event = tx.events["DepartmentRenamed"]
    assert (event["departmentId"], event["name"]) == (f"0x{bauamt.hex()}", "Bauordnungsamt")


def test_rename_department_sets_name(directory, bauamt, govern):
    govern(directory.renameDepartment.encode_input(bauamt, "Bauordnungsamt"))
    assert directory.department(bauamt)["name"] == "Bauordnungsamt"


def test_rename_department_by_stranger_reverts(directory, bauamt, stranger, typed_error):
    with reverts(typed_error("DirectoryCallerNotCouncil", stranger)):
        directory.renameDepartment(bauamt, "Bauordnungsamt", {"from": stranger})


def test_rename_unknown_department_reverts(directory, propose, execute, execution_failed):
    proposal_id = propose(directory.renameDepartment.encode_input(FB03, ORDNUNGSAMT))
    with reverts(execution_failed(proposal_id, "DirectoryUnknownDepartment", FB03)):
        execute(proposal_id)


def test_rename_department_to_empty_name_reverts(
    directory, bauamt, propose, execute, execution_failed
):
    proposal_id = propose(directory.renameDepartment.encode_input(bauamt, ""))
    with reverts(execution_failed(proposal_id, "DirectoryInvalidName", 0, 64)):
        execute(proposal_id)


# --------------------------------------------------------------------------------------------
# suspendDepartment
# --------------------------------------------------------------------------------------------


def test_suspend_department_emits_department_suspended(directory, bauamt, govern):
    tx = govern(directory.suspendDepartment.encode_input(bauamt))
    assert tx.events["DepartmentSuspended"]["departmentId"] == f"0x{bauamt.hex()}"


def test_suspend_department_deactivates_it(directory, bauamt, govern):
    govern(directory.suspendDepartment.encode_input(bauamt))
    assert not directory.isDepartmentActive(bauamt)
    assert not directory.department(bauamt)["active"]


def test_suspend_department_deactivates_its_accounts(directory, bauamt, clerk, govern):
    govern(directory.suspendDepartment.encode_input(bauamt))
    assert not directory.isActiveDepartmentAccount(clerk)
    assert not directory.isActiveAccountOf(bauamt, clerk)


def test_suspend_department_keeps_its_accounts(directory, bauamt, clerk, govern):
    govern(directory.suspendDepartment.encode_input(bauamt))
    assert directory.accountsOf(bauamt) == [clerk]
    assert directory.departmentOf(clerk) == f"0x{bauamt.hex()}"


def test_suspend_department_by_stranger_reverts(directory, bauamt, stranger, typed_error):
    with reverts(typed_error("DirectoryCallerNotCouncil", stranger)):
        directory.suspendDepartment(bauamt, {"from": stranger})


def test_suspend_unknown_department_reverts(directory, propose, execute, execution_failed):
    proposal_id = propose(directory.suspendDepartment.encode_input(FB03))
    with reverts(execution_failed(proposal_id, "DirectoryUnknownDepartment", FB03)):
        execute(proposal_id)


def test_suspend_suspended_department_reverts(
    directory, bauamt, govern, propose, execute, execution_failed
):
    govern(directory.suspendDepartment.encode_input(bauamt))
    proposal_id = propose(directory.suspendDepartment.encode_input(bauamt))
    with reverts(
        execution_failed(proposal_id, "DirectoryDepartmentStatusUnchanged", bauamt, False)
    ):
        execute(proposal_id)


# --------------------------------------------------------------------------------------------
# reactivateDepartment
# --------------------------------------------------------------------------------------------


def test_reactivate_department_emits_department_reactivated(directory, bauamt, govern):
    govern(directory.suspendDepartment.encode_input(bauamt))
    tx = govern(directory.reactivateDepartment.encode_input(bauamt))
    assert tx.events["DepartmentReactivated"]["departmentId"] == f"0x{bauamt.hex()}"


def test_reactivate_department_reactivates_its_accounts(directory, bauamt, clerk, govern):
    govern(directory.suspendDepartment.encode_input(bauamt))
    govern(directory.reactivateDepartment.encode_input(bauamt))
    assert directory.isDepartmentActive(bauamt)
    assert directory.isActiveDepartmentAccount(clerk)


def test_reactivate_department_by_stranger_reverts(directory, bauamt, stranger, typed_error):
    with reverts(typed_error("DirectoryCallerNotCouncil", stranger)):
        directory.reactivateDepartment(bauamt, {"from": stranger})


def test_reactivate_unknown_department_reverts(directory, propose, execute, execution_failed):
    proposal_id = propose(directory.reactivateDepartment.encode_input(FB03))
    with reverts(execution_failed(proposal_id, "DirectoryUnknownDepartment", FB03)):
        execute(proposal_id)


def test_reactivate_active_department_reverts(
    directory, bauamt, propose, execute, execution_failed
):
    proposal_id = propose(directory.reactivateDepartment.encode_input(bauamt))
    with reverts(execution_failed(proposal_id, "DirectoryDepartmentStatusUnchanged", bauamt, True)):
        execute(proposal_id)


# --------------------------------------------------------------------------------------------
# addAccount
# --------------------------------------------------------------------------------------------


def test_add_account_emits_department_account_added(directory, bauamt, outsider, govern):
    tx = govern(directory.addAccount.encode_input(bauamt, outsider))
    event = tx.events["DepartmentAccountAdded"]
    assert (event["departmentId"], event["account"]) == (f"0x{bauamt.hex()}", outsider)


def test_add_account_assigns_it(directory, bauamt, clerk, outsider, govern):
    govern(directory.addAccount.encode_input(bauamt, outsider))
    assert directory.accountsOf(bauamt) == [clerk, outsider]
    assert directory.departmentOf(outsider) == f"0x{bauamt.hex()}"
    assert directory.department(bauamt)["accountCount"] == 2


def test_add_account_makes_it_active(directory, bauamt, outsider, govern):
    govern(directory.addAccount.encode_input(bauamt, outsider))
    assert directory.isActiveDepartmentAccount(outsider)
    assert directory.isActiveAccountOf(bauamt, outsider)


def test_add_account_to_suspended_department_is_inactive(directory, bauamt, outsider, govern):
    govern(directory.suspendDepartment.encode_input(bauamt))
    govern(directory.addAccount.encode_input(bauamt, outsider))
    assert directory.departmentOf(outsider) == f"0x{bauamt.hex()}"
    assert not directory.isActiveDepartmentAccount(outsider)


def test_add_account_by_stranger_reverts(directory, bauamt, stranger, typed_error):
    with reverts(typed_error("DirectoryCallerNotCouncil", stranger)):
        directory.addAccount(bauamt, stranger, {"from": stranger})


def test_add_account_to_unknown_department_reverts(
    directory, outsider, propose, execute, execution_failed
):
    proposal_id = propose(directory.addAccount.encode_input(FB03, outsider))
    with reverts(execution_failed(proposal_id, "DirectoryUnknownDepartment", FB03)):
        execute(proposal_id)


def test_add_zero_account_reverts(directory, bauamt, propose, execute, execution_failed):
    proposal_id = propose(directory.addAccount.encode_input(bauamt, ZERO_ADDRESS))
    with reverts(execution_failed(proposal_id, "DirectoryInvalidAccount", ZERO_ADDRESS)):
        execute(proposal_id)


def test_add_account_twice_reverts(directory, bauamt, clerk, propose, execute, execution_failed):
    proposal_id = propose(directory.addAccount.encode_input(bauamt, clerk))
    with reverts(execution_failed(proposal_id, "DirectoryAccountAssigned", clerk, bauamt)):
        execute(proposal_id)


def test_add_account_of_other_department_reverts(
    directory, bauamt, ordnungsamt, clerk, propose, execute, execution_failed
):
    proposal_id = propose(directory.addAccount.encode_input(ordnungsamt, clerk))
    with reverts(execution_failed(proposal_id, "DirectoryAccountAssigned", clerk, bauamt)):
        execute(proposal_id)


# --------------------------------------------------------------------------------------------
# removeAccount
# --------------------------------------------------------------------------------------------


def test_remove_account_emits_department_account_removed(directory, bauamt, clerk, govern):
    tx = govern(directory.removeAccount.encode_input(bauamt, clerk))
    event = tx.events["DepartmentAccountRemoved"]
    assert (event["departmentId"], event["account"]) == (f"0x{bauamt.hex()}", clerk)


def test_remove_account_unassigns_it(directory, bauamt, clerk, govern):
    govern(directory.removeAccount.encode_input(bauamt, clerk))
    assert directory.accountsOf(bauamt) == []
    assert directory.departmentOf(clerk) == f"0x{ZERO_ID.hex()}"
    assert not directory.isActiveDepartmentAccount(clerk)


def test_removed_account_can_join_other_department(directory, bauamt, ordnungsamt, clerk, govern):
    govern(directory.removeAccount.encode_input(bauamt, clerk))
    govern(directory.addAccount.encode_input(ordnungsamt, clerk))
    assert directory.isActiveAccountOf(ordnungsamt, clerk)


def test_remove_account_by_stranger_reverts(directory, bauamt, clerk, stranger, typed_error):
    with reverts(typed_error("DirectoryCallerNotCouncil", stranger)):
        directory.removeAccount(bauamt, clerk, {"from": stranger})


def test_remove_unassigned_account_reverts(
    directory, bauamt, outsider, propose, execute, execution_failed
):
    proposal_id = propose(directory.removeAccount.encode_input(bauamt, outsider))
    with reverts(
        execution_failed(proposal_id, "DirectoryAccountNotInDepartment", outsider, bauamt)
    ):
        execute(proposal_id)


def test_remove_account_from_other_department_reverts(
    directory, bauamt, ordnungsamt, clerk, propose, execute, execution_failed
):
    proposal_id = propose(directory.removeAccount.encode_input(ordnungsamt, clerk))
    with reverts(
        execution_failed(proposal_id, "DirectoryAccountNotInDepartment", clerk, ordnungsamt)
    ):
        execute(proposal_id)


def test_remove_account_with_zero_department_reverts(
    directory, outsider, propose, execute, execution_failed
):
    proposal_id = propose(directory.removeAccount.encode_input(ZERO_ID, outsider))
    with reverts(
        execution_failed(proposal_id, "DirectoryAccountNotInDepartment", outsider, ZERO_ID)
    ):
        execute(proposal_id)


# --------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------


def test_department_of_unknown_id_reverts(directory, typed_error):
    with reverts(typed_error("DirectoryUnknownDepartment", FB02)):
        directory.department(FB02)


def test_department_exists_is_false_for_unknown_id(directory):
    assert not directory.departmentExists(FB02)


def test_is_active_account_of_is_false_for_other_department(directory, bauamt, ordnungsamt, clerk):
    assert not directory.isActiveAccountOf(ordnungsamt, clerk)


def test_unassigned_account_is_not_active(directory, bauamt, stranger):
    assert not directory.isActiveDepartmentAccount(stranger)
    assert directory.departmentOf(stranger) == f"0x{ZERO_ID.hex()}"
