"""CityCouncil: the M-of-N multisig that holds every admin role."""

import pytest
from brownie import CityCouncil, reverts
from helpers import (
    FB02,
    MEMBER_COUNT,
    THRESHOLD,
    ZERO_ADDRESS,
    ProposalState,
    council_execute,
    council_pass,
    proposal_id_of,
)

DESCRIPTION = "Read the threshold (no side effects)"


@pytest.fixture(scope="module")
def noop(council):
    """Calldata of a call that always succeeds and returns something: ``council.threshold()``."""
    return council.threshold.encode_input()


@pytest.fixture
def proposal_id(council, members, noop):
    """A pending proposal by ``members[0]`` with only the proposer's confirmation."""
    return proposal_id_of(council.propose(council, 0, noop, DESCRIPTION, {"from": members[0]}))


@pytest.fixture
def passed_id(council, members, proposal_id):
    """A pending proposal with exactly threshold confirmations."""
    council.confirm(proposal_id, {"from": members[1]})
    return proposal_id


def run_as_council(council, members, calldata):
    """Makes the council call itself (membership and threshold changes) through a proposal."""
    return council_execute(council, council, calldata, members)


# --------------------------------------------------------------------------------------------
# Deployment
# --------------------------------------------------------------------------------------------


def test_deploy_sets_members(council, members):
    assert council.members() == members


def test_deploy_sets_threshold(council):
    assert council.threshold() == THRESHOLD


def test_deploy_starts_at_epoch_one(council):
    assert council.epoch() == 1


def test_deploy_starts_without_proposals(council):
    assert council.proposalCount() == 0


def test_deploy_emits_member_added_per_member(council, members):
    events = council.tx.events["MemberAdded"]
    assert [(e["member"], e["epoch"]) for e in events] == [(m, 1) for m in members]


def test_deploy_emits_threshold_changed(council):
    event = council.tx.events["ThresholdChanged"]
    assert (event["oldThreshold"], event["newThreshold"], event["epoch"]) == (0, THRESHOLD, 1)


def test_max_members_is_32(council):
    assert council.MAX_MEMBERS() == 32


def test_deploy_with_zero_member_reverts(deployer, members, typed_error):
    with reverts(typed_error("CouncilInvalidMember", ZERO_ADDRESS)):
        CityCouncil.deploy([members[0], ZERO_ADDRESS], 1, {"from": deployer})


def test_deploy_with_duplicate_member_reverts(deployer, members, typed_error):
    with reverts(typed_error("CouncilMemberExists", members[1])):
        CityCouncil.deploy([members[0], members[1], members[1]], 1, {"from": deployer})


def test_deploy_with_too_many_members_reverts(deployer, typed_error):
    too_many = [f"0x{i:040x}" for i in range(1, 34)]
    with reverts(typed_error("CouncilTooManyMembers", 32)):
        CityCouncil.deploy(too_many, 1, {"from": deployer})


def test_deploy_with_max_members_succeeds(deployer):
    council = CityCouncil.deploy([f"0x{i:040x}" for i in range(1, 33)], 1, {"from": deployer})
    assert len(council.members()) == 32


def test_deploy_with_zero_threshold_reverts(deployer, members, typed_error):
    with reverts(typed_error("CouncilInvalidThreshold", 0, MEMBER_COUNT)):
        CityCouncil.deploy(members, 0, {"from": deployer})


def test_deploy_with_threshold_above_members_reverts(deployer, members, typed_error):
    with reverts(typed_error("CouncilInvalidThreshold", MEMBER_COUNT + 1, MEMBER_COUNT)):
        CityCouncil.deploy(members, MEMBER_COUNT + 1, {"from": deployer})


def test_deploy_without_members_reverts(deployer, typed_error):
    with reverts(typed_error("CouncilInvalidThreshold", 1, 0)):
        CityCouncil.deploy([], 1, {"from": deployer})


# --------------------------------------------------------------------------------------------
# propose
# --------------------------------------------------------------------------------------------


def test_propose_emits_proposal_created(council, members, noop):
    tx = council.propose(council, 0, noop, DESCRIPTION, {"from": members[0]})
    event = tx.events["ProposalCreated"]
    assert event["proposalId"] == 1
    assert event["proposer"] == members[0]
    assert event["target"] == council
    assert event["value"] == 0
    assert event["data"] == noop
    assert event["description"] == DESCRIPTION
    assert event["epoch"] == 1


def test_propose_confirms_for_proposer(council, members, noop):
    tx = council.propose(council, 0, noop, DESCRIPTION, {"from": members[0]})
    event = tx.events["ProposalConfirmed"]
    assert (event["proposalId"], event["member"], event["confirmations"]) == (1, members[0], 1)
    assert council.isConfirmedBy(1, members[0])


def test_propose_stores_the_call(council, members, noop, proposal_id):
    assert council.proposal(proposal_id).dict() == {
        "proposer": members[0],
        "target": council,
        "value": 0,
        "data": noop,
        "state": ProposalState.PENDING,
        "proposalEpoch": 1,
        "confirmations": 1,
    }


def test_propose_numbers_proposals_sequentially(council, members, noop):
    ids = [
        proposal_id_of(council.propose(council, 0, noop, DESCRIPTION, {"from": member}))
        for member in members
    ]
    assert ids == [1, 2, 3]
    assert council.proposalCount() == 3


def test_propose_by_stranger_reverts(council, stranger, noop, typed_error):
    with reverts(typed_error("CouncilNotMember", stranger)):
        council.propose(council, 0, noop, DESCRIPTION, {"from": stranger})


# --------------------------------------------------------------------------------------------
# confirm
# --------------------------------------------------------------------------------------------


def test_confirm_emits_proposal_confirmed(council, members, proposal_id):
    tx = council.confirm(proposal_id, {"from": members[1]})
    event = tx.events["ProposalConfirmed"]
    assert (event["proposalId"], event["member"], event["confirmations"]) == (
        proposal_id,
        members[1],
        2,
    )


def test_confirm_records_the_confirmation(council, members, proposal_id):
    council.confirm(proposal_id, {"from": members[1]})
    assert council.isConfirmedBy(proposal_id, members[1])


def test_confirm_by_stranger_reverts(council, stranger, proposal_id, typed_error):
    with reverts(typed_error("CouncilNotMember", stranger)):
        council.confirm(proposal_id, {"from": stranger})


def test_confirm_unknown_proposal_reverts(council, members, typed_error):
    with reverts(typed_error("CouncilUnknownProposal", 7)):
        council.confirm(7, {"from": members[1]})


def test_confirm_twice_reverts(council, members, proposal_id, typed_error):
    with reverts(typed_error("CouncilAlreadyConfirmed", proposal_id, members[0])):
        council.confirm(proposal_id, {"from": members[0]})


def test_confirm_executed_proposal_reverts(council, members, passed_id, typed_error):
    council.execute(passed_id, {"from": members[0]})
    with reverts(typed_error("CouncilProposalNotPending", passed_id, ProposalState.EXECUTED)):
        council.confirm(passed_id, {"from": members[2]})


def test_confirm_canceled_proposal_reverts(council, members, proposal_id, typed_error):
    council.cancel(proposal_id, {"from": members[0]})
    with reverts(typed_error("CouncilProposalNotPending", proposal_id, ProposalState.CANCELED)):
        council.confirm(proposal_id, {"from": members[1]})


def test_confirm_stale_proposal_reverts(council, members, proposal_id, typed_error):
    run_as_council(council, members, council.changeThreshold.encode_input(THRESHOLD))
    with reverts(typed_error("CouncilProposalStale", proposal_id, 1, 2)):
        council.confirm(proposal_id, {"from": members[1]})


# --------------------------------------------------------------------------------------------
# revokeConfirmation
# --------------------------------------------------------------------------------------------


def test_revoke_confirmation_emits_confirmation_revoked(council, members, passed_id):
    tx = council.revokeConfirmation(passed_id, {"from": members[1]})
    event = tx.events["ConfirmationRevoked"]
    assert (event["proposalId"], event["member"], event["confirmations"]) == (
        passed_id,
        members[1],
        1,
    )


def test_revoke_confirmation_removes_the_confirmation(council, members, passed_id):
    council.revokeConfirmation(passed_id, {"from": members[1]})
    assert not council.isConfirmedBy(passed_id, members[1])


def test_revoke_confirmation_by_proposer_succeeds(council, members, proposal_id):
    tx = council.revokeConfirmation(proposal_id, {"from": members[0]})
    assert tx.events["ConfirmationRevoked"]["confirmations"] == 0


def test_revoke_confirmation_by_stranger_reverts(council, stranger, proposal_id, typed_error):
    with reverts(typed_error("CouncilNotMember", stranger)):
        council.revokeConfirmation(proposal_id, {"from": stranger})


def test_revoke_confirmation_of_unknown_proposal_reverts(council, members, typed_error):
    with reverts(typed_error("CouncilUnknownProposal", 7)):
        council.revokeConfirmation(7, {"from": members[0]})


def test_revoke_confirmation_not_given_reverts(council, members, proposal_id, typed_error):
    with reverts(typed_error("CouncilNotConfirmed", proposal_id, members[1])):
        council.revokeConfirmation(proposal_id, {"from": members[1]})


def test_revoke_confirmation_of_executed_proposal_reverts(council, members, passed_id, typed_error):
    council.execute(passed_id, {"from": members[0]})
    with reverts(typed_error("CouncilProposalNotPending", passed_id, ProposalState.EXECUTED)):
        council.revokeConfirmation(passed_id, {"from": members[1]})


# --------------------------------------------------------------------------------------------
# execute
# --------------------------------------------------------------------------------------------


def test_execute_emits_proposal_executed_with_return_data(council, members, passed_id):
    tx = council.execute(passed_id, {"from": members[2]})
    event = tx.events["ProposalExecuted"]
    assert event["proposalId"] == passed_id
    assert event["executor"] == members[2]
    assert event["returnData"] == f"0x{THRESHOLD:064x}"


def test_execute_marks_proposal_executed(council, members, passed_id):
    council.execute(passed_id, {"from": members[0]})
    assert council.proposal(passed_id)["state"] == ProposalState.EXECUTED


def test_execute_makes_the_call_as_the_council(council, directory, members):
    calldata = directory.addDepartment.encode_input(FB02, "Bauamt")
    tx = council_execute(council, directory, calldata, members)
    assert tx.events["DepartmentAdded"]["name"] == "Bauamt"


def test_execute_below_threshold_reverts(council, members, proposal_id, typed_error):
    with reverts(typed_error("CouncilThresholdNotReached", proposal_id, 1, THRESHOLD)):
        council.execute(proposal_id, {"from": members[0]})


def test_execute_after_revocation_below_threshold_reverts(council, members, passed_id, typed_error):
    council.revokeConfirmation(passed_id, {"from": members[1]})
    with reverts(typed_error("CouncilThresholdNotReached", passed_id, 1, THRESHOLD)):
        council.execute(passed_id, {"from": members[0]})


def test_execute_by_stranger_reverts(council, stranger, passed_id, typed_error):
    with reverts(typed_error("CouncilNotMember", stranger)):
        council.execute(passed_id, {"from": stranger})


def test_execute_unknown_proposal_reverts(council, members, typed_error):
    with reverts(typed_error("CouncilUnknownProposal", 7)):
        council.execute(7, {"from": members[0]})


def test_execute_twice_reverts(council, members, passed_id, typed_error):
    council.execute(passed_id, {"from": members[0]})
    with reverts(typed_error("CouncilProposalNotPending", passed_id, ProposalState.EXECUTED)):
        council.execute(passed_id, {"from": members[0]})


def test_execute_canceled_proposal_reverts(council, members, passed_id, typed_error):
    council.cancel(passed_id, {"from": members[0]})
    with reverts(typed_error("CouncilProposalNotPending", passed_id, ProposalState.CANCELED)):
        council.execute(passed_id, {"from": members[0]})


def test_execute_stale_proposal_reverts(council, members, passed_id, typed_error):
    run_as_council(council, members, council.changeThreshold.encode_input(THRESHOLD))
    with reverts(typed_error("CouncilProposalStale", passed_id, 1, 2)):
        council.execute(passed_id, {"from": members[0]})


def test_execute_failing_call_reverts_with_its_return_data(council, members, execution_failed):
    proposal_id = council_pass(
        council, council, council.addMember.encode_input(members[1]), members
    )
    with reverts(execution_failed(proposal_id, "CouncilMemberExists", members[1])):
        council.execute(proposal_id, {"from": members[0]})


def test_execute_failing_call_leaves_proposal_pending(council, members):
    proposal_id = council_pass(
        council, council, council.addMember.encode_input(members[1]), members
    )
    with reverts():
        council.execute(proposal_id, {"from": members[0]})
    assert council.proposal(proposal_id)["state"] == ProposalState.PENDING


def test_execute_marks_executed_before_the_call(council, members, execution_failed):
    # The proposal's call tries to cancel the proposal itself: it is no longer pending by then.
    proposal_id = council.proposalCount() + 1
    council_pass(council, council, council.cancel.encode_input(proposal_id), members)
    with reverts(
        execution_failed(
            proposal_id, "CouncilProposalNotPending", proposal_id, ProposalState.EXECUTED
        )
    ):
        council.execute(proposal_id, {"from": members[0]})


def test_execute_call_cannot_reenter_execute(council, members, execution_failed):
    proposal_id = council.proposalCount() + 1
    council_pass(council, council, council.execute.encode_input(proposal_id), members)
    with reverts(execution_failed(proposal_id, "CouncilNotMember", council)):
        council.execute(proposal_id, {"from": members[0]})


# --------------------------------------------------------------------------------------------
# cancel
# --------------------------------------------------------------------------------------------


def test_cancel_by_proposer_emits_proposal_canceled(council, members, proposal_id):
    tx = council.cancel(proposal_id, {"from": members[0]})
    event = tx.events["ProposalCanceled"]
    assert (event["proposalId"], event["canceledBy"]) == (proposal_id, members[0])


def test_cancel_marks_proposal_canceled(council, members, proposal_id):
    council.cancel(proposal_id, {"from": members[0]})
    assert council.proposal(proposal_id)["state"] == ProposalState.CANCELED


def test_cancel_by_council_emits_proposal_canceled(council, members, proposal_id):
    tx = council_execute(council, council, council.cancel.encode_input(proposal_id), members)
    event = tx.events["ProposalCanceled"]
    assert (event["proposalId"], event["canceledBy"]) == (proposal_id, council)


def test_cancel_stale_proposal_succeeds(council, members, proposal_id):
    run_as_council(council, members, council.changeThreshold.encode_input(THRESHOLD))
    tx = council.cancel(proposal_id, {"from": members[0]})
    assert tx.events["ProposalCanceled"]["proposalId"] == proposal_id


def test_cancel_by_other_member_reverts(council, members, proposal_id, typed_error):
    with reverts(typed_error("CouncilNotProposer", proposal_id, members[0])):
        council.cancel(proposal_id, {"from": members[1]})


def test_cancel_unknown_proposal_reverts(council, members, typed_error):
    with reverts(typed_error("CouncilUnknownProposal", 7)):
        council.cancel(7, {"from": members[0]})


def test_cancel_executed_proposal_reverts(council, members, passed_id, typed_error):
    council.execute(passed_id, {"from": members[0]})
    with reverts(typed_error("CouncilProposalNotPending", passed_id, ProposalState.EXECUTED)):
        council.cancel(passed_id, {"from": members[0]})


def test_cancel_twice_reverts(council, members, proposal_id, typed_error):
    council.cancel(proposal_id, {"from": members[0]})
    with reverts(typed_error("CouncilProposalNotPending", proposal_id, ProposalState.CANCELED)):
        council.cancel(proposal_id, {"from": members[0]})


# --------------------------------------------------------------------------------------------
# addMember
# --------------------------------------------------------------------------------------------


def test_add_member_emits_member_added_with_new_epoch(council, members, outsider):
    tx = run_as_council(council, members, council.addMember.encode_input(outsider))
    event = tx.events["MemberAdded"]
    assert (event["member"], event["epoch"]) == (outsider, 2)


def test_add_member_makes_it_a_member(council, members, outsider):
    run_as_council(council, members, council.addMember.encode_input(outsider))
    assert council.isMember(outsider)
    assert council.members() == [*members, outsider]


def test_add_member_advances_epoch(council, members, outsider):
    run_as_council(council, members, council.addMember.encode_input(outsider))
    assert council.epoch() == 2


def test_add_member_directly_reverts(council, members, outsider, typed_error):
    with reverts(typed_error("CouncilOnlySelf", members[0])):
        council.addMember(outsider, {"from": members[0]})


def test_add_existing_member_reverts(council, members, execution_failed):
    proposal_id = council_pass(
        council, council, council.addMember.encode_input(members[2]), members
    )
    with reverts(execution_failed(proposal_id, "CouncilMemberExists", members[2])):
        council.execute(proposal_id, {"from": members[0]})


def test_add_zero_member_reverts(council, members, execution_failed):
    calldata = council.addMember.encode_input(ZERO_ADDRESS)
    proposal_id = council_pass(council, council, calldata, members)
    with reverts(execution_failed(proposal_id, "CouncilInvalidMember", ZERO_ADDRESS)):
        council.execute(proposal_id, {"from": members[0]})


def test_add_council_as_member_reverts(council, members, execution_failed):
    proposal_id = council_pass(council, council, council.addMember.encode_input(council), members)
    with reverts(execution_failed(proposal_id, "CouncilInvalidMember", council)):
        council.execute(proposal_id, {"from": members[0]})


def test_add_member_beyond_max_reverts(deployer, outsider, execution_failed):
    full = [deployer, *[f"0x{i:040x}" for i in range(1, 32)]]
    council = CityCouncil.deploy(full, 1, {"from": deployer})
    calldata = council.addMember.encode_input(outsider)
    proposal_id = proposal_id_of(council.propose(council, 0, calldata, "", {"from": deployer}))
    with reverts(execution_failed(proposal_id, "CouncilTooManyMembers", 32)):
        council.execute(proposal_id, {"from": deployer})


def test_membership_change_makes_pending_proposals_stale(council, members, outsider, passed_id):
    run_as_council(council, members, council.addMember.encode_input(outsider))
    assert council.proposal(passed_id)["proposalEpoch"] == 1
    assert council.epoch() == 2


# --------------------------------------------------------------------------------------------
# removeMember
# --------------------------------------------------------------------------------------------


def test_remove_member_emits_member_removed_with_new_epoch(council, members):
    tx = run_as_council(council, members, council.removeMember.encode_input(members[2]))
    event = tx.events["MemberRemoved"]
    assert (event["member"], event["epoch"]) == (members[2], 2)


def test_remove_member_ends_membership(council, members):
    run_as_council(council, members, council.removeMember.encode_input(members[2]))
    assert not council.isMember(members[2])
    assert council.members() == members[:2]


def test_removed_member_cannot_propose(council, members, noop, typed_error):
    run_as_council(council, members, council.removeMember.encode_input(members[2]))
    with reverts(typed_error("CouncilNotMember", members[2])):
        council.propose(council, 0, noop, DESCRIPTION, {"from": members[2]})


def test_remove_member_directly_reverts(council, members, typed_error):
    with reverts(typed_error("CouncilOnlySelf", members[0])):
        council.removeMember(members[2], {"from": members[0]})


def test_remove_unknown_member_reverts(council, members, outsider, execution_failed):
    proposal_id = council_pass(
        council, council, council.removeMember.encode_input(outsider), members
    )
    with reverts(execution_failed(proposal_id, "CouncilMemberUnknown", outsider)):
        council.execute(proposal_id, {"from": members[0]})


def test_remove_member_below_threshold_reverts(council, members, execution_failed):
    run_as_council(council, members, council.changeThreshold.encode_input(MEMBER_COUNT))
    proposal_id = council_pass(
        council, council, council.removeMember.encode_input(members[2]), members
    )
    with reverts(
        execution_failed(proposal_id, "CouncilInvalidThreshold", MEMBER_COUNT, MEMBER_COUNT - 1)
    ):
        council.execute(proposal_id, {"from": members[0]})


# --------------------------------------------------------------------------------------------
# changeThreshold
# --------------------------------------------------------------------------------------------


def test_change_threshold_emits_threshold_changed(council, members):
    tx = run_as_council(council, members, council.changeThreshold.encode_input(3))
    event = tx.events["ThresholdChanged"]
    assert (event["oldThreshold"], event["newThreshold"], event["epoch"]) == (THRESHOLD, 3, 2)


def test_change_threshold_sets_threshold(council, members):
    run_as_council(council, members, council.changeThreshold.encode_input(1))
    assert council.threshold() == 1


def test_change_threshold_directly_reverts(council, stranger, typed_error):
    with reverts(typed_error("CouncilOnlySelf", stranger)):
        council.changeThreshold(1, {"from": stranger})


def test_change_threshold_to_zero_reverts(council, members, execution_failed):
    proposal_id = council_pass(council, council, council.changeThreshold.encode_input(0), members)
    with reverts(execution_failed(proposal_id, "CouncilInvalidThreshold", 0, MEMBER_COUNT)):
        council.execute(proposal_id, {"from": members[0]})


def test_change_threshold_above_members_reverts(council, members, execution_failed):
    calldata = council.changeThreshold.encode_input(MEMBER_COUNT + 1)
    proposal_id = council_pass(council, council, calldata, members)
    with reverts(
        execution_failed(proposal_id, "CouncilInvalidThreshold", MEMBER_COUNT + 1, MEMBER_COUNT)
    ):
        council.execute(proposal_id, {"from": members[0]})


# --------------------------------------------------------------------------------------------
# Views
# --------------------------------------------------------------------------------------------


def test_proposal_of_unknown_id_is_empty(council):
    assert council.proposal(7).dict() == {
        "proposer": ZERO_ADDRESS,
        "target": ZERO_ADDRESS,
        "value": 0,
        "data": "0x",
        "state": ProposalState.UNKNOWN,
        "proposalEpoch": 0,
        "confirmations": 0,
    }


def test_is_confirmed_by_is_false_without_confirmation(council, members, proposal_id):
    assert not council.isConfirmedBy(proposal_id, members[1])


def test_is_member_is_false_for_stranger(council, stranger):
    assert not council.isMember(stranger)
