"""ValidatorSet: the QBFT validators of the city network, changed only by the council.

The genesis form of the contract (runtime code plus computed storage, no constructor) is checked
against a deployed instance in tests/scripts/test_network_chain.py.
"""

import pytest
from brownie import CityCouncil, ValidatorSet, reverts
from brownie.test import given, strategy
from helpers import ZERO_ADDRESS, ErrorCodec, chain_settings, council_execute, council_pass

MIN_VALIDATORS = 4
MAX_VALIDATORS = 32


def address(number: int) -> str:
    """A validator address (the node key's address); only its value matters here."""
    return "0x" + f"{number:040x}"


INITIAL = [address(n) for n in range(1, 5)]
NEWCOMER = address(5)


@pytest.fixture(scope="module")
def codec():
    return ErrorCodec(CityCouncil.abi, ValidatorSet.abi)


@pytest.fixture(scope="module")
def validator_set(deployer, council):
    return ValidatorSet.deploy(council, INITIAL, {"from": deployer})


@pytest.fixture(scope="module")
def govern(council, members):
    """``govern(calldata)``: the council calls the validator set through a passed proposal."""
    return lambda target, calldata: council_execute(council, target, calldata, members)


def as_council_failure(codec, proposal_id, name, *args):
    return codec.message("CouncilExecutionFailed", proposal_id, codec.data(name, *args))


# -- deployment -------------------------------------------------------------------------------


def test_deploy_sets_council_and_initial_validators(validator_set, council):
    assert validator_set.council() == council
    assert [str(v).lower() for v in validator_set.getValidators()] == INITIAL
    assert validator_set.validatorCount() == 4
    assert all(validator_set.isValidator(v) for v in INITIAL)
    assert validator_set.isValidator(NEWCOMER) is False


def test_deploy_bounds(validator_set):
    assert (validator_set.MIN_VALIDATORS(), validator_set.MAX_VALIDATORS()) == (
        MIN_VALIDATORS,
        MAX_VALIDATORS,
    )


def test_deploy_with_three_validators_reverts(deployer, council, codec):
    with reverts(codec.message("ValidatorSetTooSmall", 3, MIN_VALIDATORS)):
        ValidatorSet.deploy(council, INITIAL[:3], {"from": deployer})


def test_deploy_with_a_duplicate_reverts(deployer, council, codec):
    with reverts(codec.message("ValidatorSetAlreadyValidator", INITIAL[0])):
        ValidatorSet.deploy(council, [*INITIAL, INITIAL[0]], {"from": deployer})


def test_deploy_with_the_zero_address_reverts(deployer, council, codec):
    with reverts(codec.message("ValidatorSetInvalidValidator", ZERO_ADDRESS)):
        ValidatorSet.deploy(council, [*INITIAL, ZERO_ADDRESS], {"from": deployer})


def test_deploy_with_too_many_reverts(deployer, council, codec):
    many = [address(n) for n in range(1, MAX_VALIDATORS + 2)]
    with reverts(codec.message("ValidatorSetFull", MAX_VALIDATORS)):
        ValidatorSet.deploy(council, many, {"from": deployer})


# -- only the council -------------------------------------------------------------------------


def test_add_by_a_member_directly_reverts(validator_set, members, codec):
    with reverts(codec.message("ValidatorSetCallerNotCouncil", members[0])):
        validator_set.addValidator(NEWCOMER, {"from": members[0]})


def test_add_by_a_stranger_reverts(validator_set, stranger, codec):
    with reverts(codec.message("ValidatorSetCallerNotCouncil", stranger)):
        validator_set.addValidator(NEWCOMER, {"from": stranger})


def test_remove_by_a_validator_itself_reverts(validator_set, deployer, codec):
    with reverts(codec.message("ValidatorSetCallerNotCouncil", deployer)):
        validator_set.removeValidator(INITIAL[0], {"from": deployer})


def test_one_confirmation_below_threshold_changes_nothing(validator_set, council, members, codec):
    proposal_id = council.propose(
        validator_set,
        0,
        validator_set.addValidator.encode_input(NEWCOMER),
        "add",
        {"from": members[0]},
    ).events["ProposalCreated"]["proposalId"]
    with reverts(codec.message("CouncilThresholdNotReached", proposal_id, 1, 2)):
        council.execute(proposal_id, {"from": members[0]})
    assert validator_set.isValidator(NEWCOMER) is False


# -- council decisions ------------------------------------------------------------------------


def test_council_adds_a_validator_and_it_is_listed(validator_set, govern):
    tx = govern(validator_set, validator_set.addValidator.encode_input(NEWCOMER))
    assert str(tx.events["ValidatorAdded"]["validator"]).lower() == NEWCOMER
    assert [str(v).lower() for v in validator_set.getValidators()] == [*INITIAL, NEWCOMER]


def test_council_removes_a_validator(validator_set, govern):
    govern(validator_set, validator_set.addValidator.encode_input(NEWCOMER))
    tx = govern(validator_set, validator_set.removeValidator.encode_input(INITIAL[1]))
    assert str(tx.events["ValidatorRemoved"]["validator"]).lower() == INITIAL[1]
    assert validator_set.isValidator(INITIAL[1]) is False
    assert sorted(str(v).lower() for v in validator_set.getValidators()) == sorted(
        [INITIAL[0], *INITIAL[2:], NEWCOMER]
    )


def test_removing_below_four_reverts_inside_the_council_call(
    validator_set, council, members, codec
):
    proposal_id = council_pass(
        council, validator_set, validator_set.removeValidator.encode_input(INITIAL[0]), members
    )
    with reverts(as_council_failure(codec, proposal_id, "ValidatorSetTooSmall", 3, 4)):
        council.execute(proposal_id, {"from": members[0]})


def test_adding_a_validator_twice_reverts(validator_set, council, members, codec):
    proposal_id = council_pass(
        council, validator_set, validator_set.addValidator.encode_input(INITIAL[2]), members
    )
    with reverts(
        as_council_failure(codec, proposal_id, "ValidatorSetAlreadyValidator", INITIAL[2])
    ):
        council.execute(proposal_id, {"from": members[0]})


def test_removing_a_non_validator_reverts(validator_set, council, members, codec):
    proposal_id = council_pass(
        council, validator_set, validator_set.removeValidator.encode_input(NEWCOMER), members
    )
    with reverts(as_council_failure(codec, proposal_id, "ValidatorSetNotValidator", NEWCOMER)):
        council.execute(proposal_id, {"from": members[0]})


def test_adding_the_zero_address_reverts(validator_set, council, members, codec):
    proposal_id = council_pass(
        council, validator_set, validator_set.addValidator.encode_input(ZERO_ADDRESS), members
    )
    with reverts(
        as_council_failure(codec, proposal_id, "ValidatorSetInvalidValidator", ZERO_ADDRESS)
    ):
        council.execute(proposal_id, {"from": members[0]})


# -- property: any sequence of changes keeps the set a set within its bounds --------------------


@pytest.fixture(scope="module")
def plain_set(deployer, outsider):
    """A validator set whose council is a plain account (one transaction per change)."""
    return ValidatorSet.deploy(outsider, INITIAL, {"from": deployer})


@given(changes=strategy("uint8[]", min_length=1, max_length=12))
@chain_settings(max_examples=15)
def test_changes_match_a_model_set(plain_set, outsider, changes):
    """Each number picks an address of a pool of 8; even: add it, odd: remove it. Changes the
    contract refuses must be exactly those the model refuses (duplicates, absent, below 4)."""
    model = [str(v).lower() for v in plain_set.getValidators()]  # the set as this example starts
    for change in changes:
        candidate = address(1 + (change // 2) % 8)
        add = change % 2 == 0
        allowed = (candidate not in model) if add else (candidate in model and len(model) > 4)
        function = plain_set.addValidator if add else plain_set.removeValidator
        if allowed:
            function(candidate, {"from": outsider})
            model = [*model, candidate] if add else [v for v in model if v != candidate]
        else:
            with reverts():
                function(candidate, {"from": outsider})
        listed = [str(v).lower() for v in plain_set.getValidators()]
        assert sorted(listed) == sorted(model) and len(set(listed)) == len(listed)
        assert plain_set.validatorCount() == len(model)
