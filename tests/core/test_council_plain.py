"""The council's words without a chain: values, decisions and every refusal the council's own
errors stand for, each with its exit status."""

from __future__ import annotations

import pytest

from registry_core.abi import DecodedError
from registry_core.codes import code_to_bytes32
from registry_core.council import ACCREDIT_TYPE, ADD_DEPARTMENT, SUSPEND_DEPARTMENT
from registry_core.council.plain import parse_time, plain_time
from registry_core.council.refusals import council_refusal, reason

MEMBER = "0x" + "ab" * 20


def test_times_read_as_utc_dates_and_zero_as_what_it_means() -> None:
    assert parse_time("2027-01-01") == 1_798_761_600
    assert parse_time("2027-01-01T01:00+01:00") == 1_798_761_600
    assert plain_time(1_798_761_600) == "2027-01-01"
    assert plain_time(1_798_761_600 + 45_000) == "2027-01-01 12:30 UTC"
    with pytest.raises(ValueError, match="no date"):
        parse_time("next tuesday")
    accredit = ACCREDIT_TYPE.decide(
        department="FB33", credential_type="RESIDENCE_CERT", valid_from="0",
        valid_until="2027-01-01",
    )  # fmt: skip
    assert accredit.args["valid_until"] == 1_798_761_600
    names = {"FB33": "Bürgerservice / Citizen Services"}
    assert accredit.describe("de", names) == (
        "FB33 (Bürgerservice / Citizen Services) darf RESIDENCE_CERT ausstellen "
        "(ab sofort; Ende: 2027-01-01)"
    )
    assert accredit.describe("en") == "FB33 may issue RESIDENCE_CERT (from now; end: 2027-01-01)"


def test_a_new_department_is_not_named_after_itself() -> None:
    names = {"FB61": "Umweltamt / Environment Office"}
    added = ADD_DEPARTMENT.decide(department="FB61", name="Umweltamt / Environment Office")
    assert added.describe("en", names) == "Create department FB61 (Umweltamt / Environment Office)"
    suspended = SUSPEND_DEPARTMENT.decide(department="FB61")
    assert suspended.describe("de", names) == (
        "Dienststelle FB61 (Umweltamt / Environment Office) sperren"
    )


@pytest.mark.parametrize(
    ("name", "args", "status", "en"),
    [
        ("CouncilNotMember", {"caller": MEMBER}, 3, f"account {MEMBER} is not a council member"),
        ("CouncilNotProposer", {"proposalId": 4, "proposer": MEMBER}, 3,
         f"only {MEMBER}, who made proposal 4, can cancel it"),
        ("CouncilUnknownProposal", {"proposalId": 9}, 4, "there is no proposal 9"),
        ("CouncilProposalNotPending", {"proposalId": 4, "state": 2}, 4,
         "proposal 4 is no longer open (executed)"),
        ("CouncilProposalStale", {"proposalId": 4, "proposalEpoch": 1, "currentEpoch": 3}, 5,
         "proposal 4 is of epoch 1; membership or threshold changed since (epoch 3 now): "
         "propose it again"),
        ("CouncilAlreadyConfirmed", {"proposalId": 4, "member": MEMBER}, 6,
         f"{MEMBER} confirmed proposal 4 already"),
        ("CouncilNotConfirmed", {"proposalId": 4, "member": MEMBER}, 6,
         f"{MEMBER} has not confirmed proposal 4: nothing to revoke"),
        ("CouncilThresholdNotReached", {"proposalId": 4, "confirmations": 1, "threshold": 2}, 7,
         "proposal 4 has 1 of the 2 confirmations it needs"),
        ("CouncilExecutionFailed", {"proposalId": 4, "returnData": b"\x01"}, 8,
         "proposal 4 would fail: there is no department FB99 (DirectoryUnknownDepartment)"),
    ],
)  # fmt: skip
def test_each_council_error_is_a_refusal_with_its_exit_status(
    name: str, args: dict[str, object], status: int, en: str
) -> None:
    inner = DecodedError("DirectoryUnknownDepartment", {"departmentId": code_to_bytes32("FB99")})
    refusal = council_refusal(DecodedError(name, args), inner=inner)
    assert refusal is not None
    assert (refusal.exit_status, refusal.en) == (status, en)
    assert refusal.de and refusal.de != refusal.en
    assert refusal.detail == f"{refusal.de} / {refusal.en}"


def test_an_error_without_words_is_shown_as_decoded() -> None:
    error = DecodedError("RegisterHubSomething", {"registerId": code_to_bytes32("TRADE")})
    assert reason(error, "x") == ("RegisterHubSomething(registerId=TRADE)",) * 2
    assert council_refusal(DecodedError("CouncilOnlySelf", {"caller": MEMBER})) is None
