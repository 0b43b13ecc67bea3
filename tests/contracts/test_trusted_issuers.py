"""TrustedIssuerRegistry: credential types, time-bounded accreditations, council-only changes."""


# parameters; brownie injects contract containers under the contracts' names)

import brownie
import pytest
from brownie.test import given, strategy
from credential_fixtures import (
    DEPT_A,
    DEPT_B,
    DEPT_UNKNOWN,
    SCHEMA_PARKING,
    SCHEMA_RESIDENCE,
    TYPE_PARKING,
    TYPE_RESIDENCE,
    TYPE_UNKNOWN,
    ZERO32,
    ZERO_ADDRESS,
    b32,
    clerk_a,
    clerk_a2,
    clerk_b,
    council,
    directory,
    h32,
    isolation,
    plain,
    stranger,
    typed_error,
)
from helpers import chain_settings

NOW = 2_000_000_000  # the registry's clock in these tests (TestTrustedIssuerRegistry.setTime)
DAY = 86_400
TYPE_NEW = b32("BUSINESS_REG_CERT")


@pytest.fixture(scope="module")
def registry(TestTrustedIssuerRegistry, directory, council):
    r = TestTrustedIssuerRegistry.deploy(directory, {"from": council})
    r.setTime(NOW, {"from": council})
    r.addCredentialType(
        TYPE_RESIDENCE, "Residence certificate", SCHEMA_RESIDENCE, {"from": council}
    )
    r.addCredentialType(
        TYPE_PARKING, "Residents' parking permit", SCHEMA_PARKING, {"from": council}
    )
    return r


def err(signature, *args):
    return typed_error(signature, *args)


# -- construction and council -------------------------------------------------------------------


def test_zero_directory_reverts(TrustedIssuerRegistry, council):
    with brownie.reverts(err("TrustedIssuersInvalidDirectory(address)", ZERO_ADDRESS)):
        TrustedIssuerRegistry.deploy(ZERO_ADDRESS, {"from": council})


def test_directory_is_stored(registry, directory):
    assert registry.directory() == directory


@pytest.mark.parametrize(
    "call",
    [
        lambda r, s: r.addCredentialType(TYPE_NEW, "Business registration", h32("s"), {"from": s}),
        lambda r, s: r.deactivateCredentialType(TYPE_RESIDENCE, {"from": s}),
        lambda r, s: r.reactivateCredentialType(TYPE_RESIDENCE, {"from": s}),
        lambda r, s: r.accredit(DEPT_A, TYPE_RESIDENCE, 0, 0, {"from": s}),
        lambda r, s: r.endAccreditation(1, 0, {"from": s}),
    ],
    ids=["addCredentialType", "deactivate", "reactivate", "accredit", "endAccreditation"],
)
def test_non_council_caller_reverts(registry, clerk_a, call):
    with brownie.reverts(err("TrustedIssuersCallerNotCouncil(address)", clerk_a.address)):
        call(registry, clerk_a)


def test_council_is_read_from_directory(
    TrustedIssuerRegistry, DepartmentDirectory, council, stranger
):
    """The registry's council is its directory's council, not the account that deployed it.

    The directory's council is fixed at deployment, so a second directory stands in for a change.
    """
    other_directory = DepartmentDirectory.deploy(stranger, {"from": council})
    other_registry = TrustedIssuerRegistry.deploy(other_directory, {"from": council})
    other_registry.addCredentialType(
        TYPE_NEW, "Business registration", h32("s"), {"from": stranger}
    )
    with brownie.reverts(err("TrustedIssuersCallerNotCouncil(address)", council.address)):
        other_registry.deactivateCredentialType(TYPE_NEW, {"from": council})


# -- credential types ---------------------------------------------------------------------------


def test_add_credential_type_stores_and_emits(registry, council):
    schema = h32('{"$id":"business-reg"}')
    tx = registry.addCredentialType(TYPE_NEW, "Business registration", schema, {"from": council})

    event = tx.events["CredentialTypeAdded"]
    assert (event["typeId"], event["name"], event["schemaHash"]) == (
        TYPE_NEW,
        "Business registration",
        schema,
    )
    assert plain(registry.credentialType(TYPE_NEW)) == ("Business registration", schema, True)
    assert registry.credentialTypeExists(TYPE_NEW) is True
    assert registry.isCredentialTypeActive(TYPE_NEW) is True
    assert plain(registry.credentialTypeIds()) == (TYPE_RESIDENCE, TYPE_PARKING, TYPE_NEW)


def test_add_type_with_zero_id_reverts(registry, council):
    with brownie.reverts(err("TrustedIssuersInvalidTypeId(bytes32)", ZERO32)):
        registry.addCredentialType(ZERO32, "Nothing", h32("s"), {"from": council})


def test_add_existing_type_reverts(registry, council):
    with brownie.reverts(err("TrustedIssuersTypeExists(bytes32)", TYPE_RESIDENCE)):
        registry.addCredentialType(TYPE_RESIDENCE, "Again", h32("s"), {"from": council})


@pytest.mark.parametrize("name", ["", "x" * 65])
def test_add_type_with_bad_name_length_reverts(registry, council, name):
    with brownie.reverts(err("TrustedIssuersInvalidName(uint256,uint256)", len(name), 64)):
        registry.addCredentialType(TYPE_NEW, name, h32("s"), {"from": council})


def test_add_type_with_longest_name_succeeds(registry, council):
    registry.addCredentialType(TYPE_NEW, "x" * 64, h32("s"), {"from": council})
    assert registry.credentialType(TYPE_NEW)[0] == "x" * 64


def test_add_type_with_zero_schema_reverts(registry, council):
    with brownie.reverts(err("TrustedIssuersInvalidSchemaHash(bytes32)", ZERO32)):
        registry.addCredentialType(TYPE_NEW, "Business registration", ZERO32, {"from": council})


def test_deactivate_and_reactivate_type(registry, council):
    tx = registry.deactivateCredentialType(TYPE_PARKING, {"from": council})
    assert tx.events["CredentialTypeDeactivated"]["typeId"] == TYPE_PARKING
    assert registry.isCredentialTypeActive(TYPE_PARKING) is False
    assert registry.credentialType(TYPE_PARKING)[2] is False

    tx = registry.reactivateCredentialType(TYPE_PARKING, {"from": council})
    assert tx.events["CredentialTypeReactivated"]["typeId"] == TYPE_PARKING
    assert registry.isCredentialTypeActive(TYPE_PARKING) is True


def test_deactivate_inactive_type_reverts(registry, council):
    registry.deactivateCredentialType(TYPE_PARKING, {"from": council})
    with brownie.reverts(
        err("TrustedIssuersTypeStatusUnchanged(bytes32,bool)", TYPE_PARKING, False)
    ):
        registry.deactivateCredentialType(TYPE_PARKING, {"from": council})


def test_reactivate_active_type_reverts(registry, council):
    with brownie.reverts(
        err("TrustedIssuersTypeStatusUnchanged(bytes32,bool)", TYPE_PARKING, True)
    ):
        registry.reactivateCredentialType(TYPE_PARKING, {"from": council})


@pytest.mark.parametrize(
    "call",
    [
        lambda r, c: r.deactivateCredentialType(TYPE_UNKNOWN, {"from": c}),
        lambda r, c: r.reactivateCredentialType(TYPE_UNKNOWN, {"from": c}),
        lambda r, c: r.accredit(DEPT_A, TYPE_UNKNOWN, 0, 0, {"from": c}),
        lambda r, c: r.credentialType(TYPE_UNKNOWN),
    ],
    ids=["deactivate", "reactivate", "accredit", "credentialType"],
)
def test_unknown_type_reverts(registry, council, call):
    with brownie.reverts(err("TrustedIssuersUnknownType(bytes32)", TYPE_UNKNOWN)):
        call(registry, council)


# -- accreditations -----------------------------------------------------------------------------


def test_accredit_from_now_stores_and_emits(registry, council):
    tx = registry.accredit(DEPT_A, TYPE_RESIDENCE, 0, 0, {"from": council})

    assert tx.return_value == 1
    event = tx.events["AccreditationGranted"]
    assert (event["accreditationId"], event["departmentId"], event["typeId"]) == (
        1,
        DEPT_A,
        TYPE_RESIDENCE,
    )
    assert (event["validFrom"], event["validUntil"]) == (NOW, 0)
    assert plain(registry.accreditation(1)) == (DEPT_A, TYPE_RESIDENCE, NOW, 0)
    assert registry.accreditationCount() == 1
    assert plain(registry.accreditationIds(DEPT_A, TYPE_RESIDENCE)) == (1,)
    assert plain(registry.accreditationIds(DEPT_B, TYPE_RESIDENCE)) == ()


def test_accreditation_window_is_half_open(registry, council):
    registry.accredit(DEPT_A, TYPE_RESIDENCE, NOW + 10, NOW + 20, {"from": council})

    assert registry.isAccredited(DEPT_A, TYPE_RESIDENCE, NOW + 9) is False
    assert registry.isAccredited(DEPT_A, TYPE_RESIDENCE, NOW + 10) is True
    assert registry.isAccredited(DEPT_A, TYPE_RESIDENCE, NOW + 19) is True
    assert registry.isAccredited(DEPT_A, TYPE_RESIDENCE, NOW + 20) is False
    assert registry.isAccredited(DEPT_A, TYPE_PARKING, NOW + 15) is False
    assert registry.isAccredited(DEPT_B, TYPE_RESIDENCE, NOW + 15) is False


def test_open_ended_accreditation_covers_far_future(registry, council):
    registry.accredit(DEPT_B, TYPE_PARKING, 0, 0, {"from": council})
    assert registry.isAccredited(DEPT_B, TYPE_PARKING, 2**64 - 1) is True
    assert registry.isAccredited(DEPT_B, TYPE_PARKING, NOW - 1) is False


def test_accredit_unknown_department_reverts(registry, council):
    with brownie.reverts(err("TrustedIssuersUnknownDepartment(bytes32)", DEPT_UNKNOWN)):
        registry.accredit(DEPT_UNKNOWN, TYPE_RESIDENCE, 0, 0, {"from": council})


def test_accredit_inactive_type_reverts(registry, council):
    registry.deactivateCredentialType(TYPE_RESIDENCE, {"from": council})
    with brownie.reverts(err("TrustedIssuersTypeInactive(bytes32)", TYPE_RESIDENCE)):
        registry.accredit(DEPT_A, TYPE_RESIDENCE, 0, 0, {"from": council})


@pytest.mark.parametrize(
    "valid_from, valid_until",
    [(NOW - 1, 0), (NOW + 10, NOW + 10), (NOW + 10, NOW + 5), (0, NOW)],
    ids=["starts-in-past", "empty", "ends-before-start", "ends-now"],
)
def test_accredit_invalid_window_reverts(registry, council, valid_from, valid_until):
    with brownie.reverts(
        err("TrustedIssuersInvalidWindow(uint64,uint64,uint64)", valid_from, valid_until, NOW)
    ):
        registry.accredit(DEPT_A, TYPE_RESIDENCE, valid_from, valid_until, {"from": council})


def test_accreditations_per_pair_are_bounded(registry, council):
    for _ in range(32):
        registry.accredit(DEPT_A, TYPE_RESIDENCE, 0, 0, {"from": council})
    expected = err(
        "TrustedIssuersTooManyAccreditations(bytes32,bytes32,uint256)", DEPT_A, TYPE_RESIDENCE, 32
    )
    with brownie.reverts(expected):
        registry.accredit(DEPT_A, TYPE_RESIDENCE, 0, 0, {"from": council})
    registry.accredit(DEPT_B, TYPE_RESIDENCE, 0, 0, {"from": council})  # other pairs unaffected


def test_end_accreditation_keeps_history(registry, council):
    registry.accredit(DEPT_A, TYPE_RESIDENCE, 0, 0, {"from": council})
    registry.setTime(NOW + 100 * DAY, {"from": council})
    tx = registry.endAccreditation(1, 0, {"from": council})

    event = tx.events["AccreditationEnded"]
    assert (event["accreditationId"], event["departmentId"], event["typeId"]) == (
        1,
        DEPT_A,
        TYPE_RESIDENCE,
    )
    assert event["validUntil"] == NOW + 100 * DAY
    assert plain(registry.accreditation(1)) == (DEPT_A, TYPE_RESIDENCE, NOW, NOW + 100 * DAY)
    assert (
        registry.isAccredited(DEPT_A, TYPE_RESIDENCE, NOW + 50 * DAY) is True
    )  # the past stays true
    assert registry.isAccredited(DEPT_A, TYPE_RESIDENCE, NOW + 100 * DAY) is False


def test_end_accreditation_in_future_shortens_it(registry, council):
    registry.accredit(DEPT_A, TYPE_RESIDENCE, 0, NOW + 30 * DAY, {"from": council})
    tx = registry.endAccreditation(1, NOW + 10 * DAY, {"from": council})
    assert tx.events["AccreditationEnded"]["validUntil"] == NOW + 10 * DAY
    assert registry.isAccredited(DEPT_A, TYPE_RESIDENCE, NOW + 10 * DAY - 1) is True
    assert registry.isAccredited(DEPT_A, TYPE_RESIDENCE, NOW + 10 * DAY) is False


def test_end_scheduled_accreditation_at_its_start_cancels_it(registry, council):
    registry.accredit(DEPT_A, TYPE_RESIDENCE, NOW + DAY, 0, {"from": council})
    registry.endAccreditation(1, NOW + DAY, {"from": council})
    assert registry.isAccredited(DEPT_A, TYPE_RESIDENCE, NOW + DAY) is False


def test_newer_accreditation_after_ended_one(registry, council):
    registry.accredit(DEPT_A, TYPE_RESIDENCE, 0, NOW + 10, {"from": council})
    registry.accredit(DEPT_A, TYPE_RESIDENCE, NOW + 20, 0, {"from": council})
    assert [registry.isAccredited(DEPT_A, TYPE_RESIDENCE, NOW + t) for t in (5, 15, 25)] == [
        True,
        False,
        True,
    ]
    assert plain(registry.accreditationIds(DEPT_A, TYPE_RESIDENCE)) == (1, 2)


@pytest.mark.parametrize(
    "valid_until, earliest, latest",
    [
        (NOW - 1, NOW, NOW + 30 * DAY),  # in the past
        (NOW + 30 * DAY, NOW, NOW + 30 * DAY),  # not shorter
        (NOW + 31 * DAY, NOW, NOW + 30 * DAY),  # longer
    ],
    ids=["past", "same-end", "later-end"],
)
def test_end_accreditation_invalid_end_reverts(registry, council, valid_until, earliest, latest):
    registry.accredit(DEPT_A, TYPE_RESIDENCE, 0, NOW + 30 * DAY, {"from": council})
    expected = err(
        "TrustedIssuersInvalidEnd(uint256,uint64,uint64,uint64)", 1, valid_until, earliest, latest
    )
    with brownie.reverts(expected):
        registry.endAccreditation(1, valid_until, {"from": council})


def test_end_before_scheduled_start_reverts(registry, council):
    registry.accredit(DEPT_A, TYPE_RESIDENCE, NOW + DAY, 0, {"from": council})
    expected = err("TrustedIssuersInvalidEnd(uint256,uint64,uint64,uint64)", 1, NOW, NOW + DAY, 0)
    with brownie.reverts(expected):
        registry.endAccreditation(1, 0, {"from": council})


def test_end_ended_accreditation_reverts(registry, council):
    registry.accredit(DEPT_A, TYPE_RESIDENCE, 0, 0, {"from": council})
    registry.setTime(NOW + 5, {"from": council})
    registry.endAccreditation(1, 0, {"from": council})
    expected = err(
        "TrustedIssuersInvalidEnd(uint256,uint64,uint64,uint64)", 1, NOW + 5, NOW + 5, NOW + 5
    )
    with brownie.reverts(expected):
        registry.endAccreditation(1, 0, {"from": council})


@pytest.mark.parametrize(
    "call",
    [lambda r, c: r.endAccreditation(7, 0, {"from": c}), lambda r, c: r.accreditation(7)],
    ids=["endAccreditation", "accreditation"],
)
def test_unknown_accreditation_reverts(registry, council, call):
    with brownie.reverts(err("TrustedIssuersUnknownAccreditation(uint256)", 7)):
        call(registry, council)


@given(
    windows=strategy("uint8[]", max_length=4),
    at=strategy("uint16", max_value=600),
)
@chain_settings(max_examples=15)
def test_is_accredited_matches_model(registry, council, windows, at):
    """Property: isAccredited(at) is true iff some [from, until) window covers `at`."""
    model = []
    for i, length in enumerate(windows):
        start, until = NOW + 100 * i, (0 if length == 0 else NOW + 100 * i + length)
        registry.accredit(DEPT_A, TYPE_RESIDENCE, start, until, {"from": council})
        model.append((start, until))
    expected = any(start <= NOW + at and (until == 0 or NOW + at < until) for start, until in model)
    assert registry.isAccredited(DEPT_A, TYPE_RESIDENCE, NOW + at) is expected, (model, at)
