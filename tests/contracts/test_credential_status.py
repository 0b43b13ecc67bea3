"""CredentialStatusRegistry: anchoring (single and Merkle batch), status changes, custom errors."""


# parameters; brownie injects contract containers under the contracts' names)

import brownie
import pytest
from brownie import chain
from brownie.test import given, strategy
from credential_fixtures import (
    DEPT_A,
    DEPT_B,
    STATUS_NOW,
    TYPE_PARKING,
    TYPE_RESIDENCE,
    TYPE_UNKNOWN,
    ZERO32,
    ZERO_ADDRESS,
    MerkleBatch,
    clerk_a,
    clerk_a2,
    clerk_b,
    council,
    directory,
    h32,
    isolation,
    issuers,
    merkle_leaf,
    plain,
    status_registry,
    stranger,
    typed_error,
)
from helpers import chain_settings

UNKNOWN, ACTIVE, SUSPENDED, REVOKED = range(4)
UNSPECIFIED, KEY_COMPROMISE, SUPERSEDED, CERTIFICATE_HOLD, REMOVE_FROM_CRL = 0, 1, 4, 6, 8

CRED = h32("vc-jwt: residence certificate #1")
CRED_2 = h32("vc-jwt: residence certificate #2")
BATCH_CREDS = [h32(f"vc-jwt: parking permit #{i}") for i in range(5)]
OUTSIDER = h32("vc-jwt: not in the batch")


def err(signature, *args):
    return typed_error(signature, *args)


@pytest.fixture(scope="module")
def registry(status_registry):
    return status_registry


@pytest.fixture(scope="module")
def batch():
    return MerkleBatch.of(BATCH_CREDS)


@pytest.fixture
def anchored(registry, clerk_a, clerk_b, batch):
    """CRED anchored singly by department A; BATCH_CREDS anchored as a batch by department B.

    Function-scoped on purpose: a module-scoped fixture that transacts would outlive fn_isolation's
    snapshot and leak into every later test of the module."""
    registry.anchorCredential(CRED, TYPE_RESIDENCE, {"from": clerk_a})
    registry.anchorBatch(batch.root, TYPE_PARKING, len(BATCH_CREDS), {"from": clerk_b})
    return registry


def status_of(registry, credential_hash, department=None):
    """``department``'s record of the hash (default: the fixtures' issuer of that hash)."""
    if department is None:
        department = DEPT_B if credential_hash in BATCH_CREDS else DEPT_A
    return plain(registry.status(department, credential_hash))


# -- construction -------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["directory", "issuers"])
def test_zero_dependency_reverts(CredentialStatusRegistry, directory, issuers, council, which):
    args = (
        (ZERO_ADDRESS, issuers.address)
        if which == "directory"
        else (directory.address, ZERO_ADDRESS)
    )
    with brownie.reverts(err("CredentialStatusInvalidDependency(address,address)", *args)):
        CredentialStatusRegistry.deploy(*args, {"from": council})


def test_dependencies_are_stored(CredentialStatusRegistry, directory, issuers, council):
    registry = CredentialStatusRegistry.deploy(directory, issuers, {"from": council})
    assert (registry.directory(), registry.trustedIssuers()) == (directory, issuers)


# -- single anchoring ---------------------------------------------------------------------------


def test_anchor_credential_records_and_emits(registry, clerk_a):
    tx = registry.anchorCredential(CRED, TYPE_RESIDENCE, {"from": clerk_a})

    event = tx.events["CredentialAnchored"]
    assert (
        event["credentialHash"],
        event["issuerDepartment"],
        event["actor"],
        event["typeId"],
    ) == (
        CRED,
        DEPT_A,
        clerk_a,
        TYPE_RESIDENCE,
    )
    assert status_of(registry, CRED) == (
        ACTIVE,
        DEPT_A,
        TYPE_RESIDENCE,
        tx.block_number,
        STATUS_NOW,
        UNSPECIFIED,
        STATUS_NOW,
    )


def test_unanchored_credential_is_unknown(registry):
    assert status_of(registry, CRED) == (UNKNOWN, ZERO32, ZERO32, 0, 0, 0, 0)


def test_anchor_zero_hash_reverts(registry, clerk_a):
    with brownie.reverts(err("CredentialStatusInvalidHash(bytes32)", ZERO32)):
        registry.anchorCredential(ZERO32, TYPE_RESIDENCE, {"from": clerk_a})


def test_anchor_twice_reverts(anchored, clerk_a2):
    with brownie.reverts(err("CredentialStatusAlreadyAnchored(bytes32)", CRED)):
        anchored.anchorCredential(CRED, TYPE_RESIDENCE, {"from": clerk_a2})


def test_anchor_by_non_department_account_reverts(registry, stranger):
    with brownie.reverts(err("CredentialStatusCallerNotDepartment(address)", stranger.address)):
        registry.anchorCredential(CRED, TYPE_RESIDENCE, {"from": stranger})


def test_anchor_by_suspended_department_reverts(registry, directory, council, clerk_a):
    directory.suspendDepartment(DEPT_A, {"from": council})
    with brownie.reverts(err("CredentialStatusCallerNotDepartment(address)", clerk_a.address)):
        registry.anchorCredential(CRED, TYPE_RESIDENCE, {"from": clerk_a})


def test_anchor_of_unknown_type_reverts(registry, clerk_a):
    with brownie.reverts(err("CredentialStatusTypeInactive(bytes32)", TYPE_UNKNOWN)):
        registry.anchorCredential(CRED, TYPE_UNKNOWN, {"from": clerk_a})


def test_anchor_of_deactivated_type_reverts(registry, issuers, council, clerk_a):
    issuers.deactivateCredentialType(TYPE_RESIDENCE, {"from": council})
    with brownie.reverts(err("CredentialStatusTypeInactive(bytes32)", TYPE_RESIDENCE)):
        registry.anchorCredential(CRED, TYPE_RESIDENCE, {"from": clerk_a})


def test_anchor_of_type_not_accredited_reverts(registry, clerk_b):
    with brownie.reverts(
        err(
            "CredentialStatusNotAccredited(bytes32,bytes32,uint64)",
            DEPT_B,
            TYPE_RESIDENCE,
            STATUS_NOW,
        )
    ):
        registry.anchorCredential(CRED, TYPE_RESIDENCE, {"from": clerk_b})


def test_anchor_after_accreditation_ended_reverts(registry, issuers, council, clerk_a):
    registry.anchorCredential(CRED, TYPE_RESIDENCE, {"from": clerk_a})
    chain.sleep(10)  # so that the accreditation's window is not empty
    issuers.endAccreditation(1, 0, {"from": council})  # ends at the real now, before STATUS_NOW
    with brownie.reverts(
        err(
            "CredentialStatusNotAccredited(bytes32,bytes32,uint64)",
            DEPT_A,
            TYPE_RESIDENCE,
            STATUS_NOW,
        )
    ):
        registry.anchorCredential(CRED_2, TYPE_RESIDENCE, {"from": clerk_a})
    # what was anchored before stays anchored; the ended accreditation keeps its history
    assert status_of(registry, CRED)[0] == ACTIVE
    _, _, valid_from, valid_until = plain(issuers.accreditation(1))
    assert valid_until != 0
    assert issuers.isAccredited(DEPT_A, TYPE_RESIDENCE, valid_from) is True


# -- batch anchoring ----------------------------------------------------------------------------


def test_anchor_batch_records_and_emits(registry, clerk_b, batch):
    tx = registry.anchorBatch(batch.root, TYPE_PARKING, 5, {"from": clerk_b})

    event = tx.events["CredentialBatchAnchored"]
    assert (event["root"], event["issuerDepartment"], event["actor"]) == (
        batch.root,
        DEPT_B,
        clerk_b,
    )
    assert (event["typeId"], event["count"]) == (TYPE_PARKING, 5)
    assert plain(registry.batch(DEPT_B, batch.root)) == (
        DEPT_B,
        TYPE_PARKING,
        tx.block_number,
        STATUS_NOW,
        5,
    )


def test_batch_leaf_is_standard_merkle_tree_leaf(registry):
    assert registry.batchLeaf(CRED) == "0x" + merkle_leaf(CRED).hex()


def test_every_batch_member_verifies(anchored, batch):
    for credential_hash in BATCH_CREDS:
        assert (
            anchored.verifyBatchMember(
                DEPT_B, batch.root, batch.proof(credential_hash), credential_hash
            )
            is True
        )


def test_non_member_does_not_verify(anchored, batch):
    assert (
        anchored.verifyBatchMember(DEPT_B, batch.root, batch.proof(BATCH_CREDS[0]), OUTSIDER)
        is False
    )


def test_member_of_unanchored_batch_does_not_verify(registry, batch):
    assert (
        registry.verifyBatchMember(DEPT_B, batch.root, batch.proof(BATCH_CREDS[0]), BATCH_CREDS[0])
        is False
    )


def test_status_in_batch_of_unchanged_member_is_active(anchored, batch):
    anchored_at_block = plain(anchored.batch(DEPT_B, batch.root))[2]
    member = BATCH_CREDS[2]
    assert status_of(anchored, member)[0] == UNKNOWN
    assert plain(anchored.statusInBatch(DEPT_B, batch.root, batch.proof(member), member)) == (
        ACTIVE,
        DEPT_B,
        TYPE_PARKING,
        anchored_at_block,
        STATUS_NOW,
        UNSPECIFIED,
        STATUS_NOW,
    )
    assert (
        plain(anchored.statusInBatch(DEPT_B, batch.root, batch.proof(member), OUTSIDER))[0]
        == UNKNOWN
    )


def test_anchor_batch_zero_root_reverts(registry, clerk_b):
    with brownie.reverts(err("CredentialStatusInvalidHash(bytes32)", ZERO32)):
        registry.anchorBatch(ZERO32, TYPE_PARKING, 5, {"from": clerk_b})


def test_anchor_batch_twice_reverts(anchored, clerk_b, batch):
    with brownie.reverts(err("CredentialStatusBatchExists(bytes32)", batch.root)):
        anchored.anchorBatch(batch.root, TYPE_PARKING, 5, {"from": clerk_b})


@pytest.mark.parametrize("count", [0, 65_537])
def test_anchor_batch_with_bad_size_reverts(registry, clerk_b, batch, count):
    with brownie.reverts(err("CredentialStatusInvalidBatchSize(uint256,uint256)", count, 65_536)):
        registry.anchorBatch(batch.root, TYPE_PARKING, count, {"from": clerk_b})


def test_anchor_batch_by_non_department_account_reverts(registry, stranger, batch):
    with brownie.reverts(err("CredentialStatusCallerNotDepartment(address)", stranger.address)):
        registry.anchorBatch(batch.root, TYPE_PARKING, 5, {"from": stranger})


def test_anchor_batch_not_accredited_reverts(registry, clerk_a, batch):
    with brownie.reverts(
        err(
            "CredentialStatusNotAccredited(bytes32,bytes32,uint64)",
            DEPT_A,
            TYPE_PARKING,
            STATUS_NOW,
        )
    ):
        registry.anchorBatch(batch.root, TYPE_PARKING, 5, {"from": clerk_a})


@given(
    size=strategy("uint8", min_value=1, max_value=40),
    seed=strategy("uint32"),
    pick=strategy("uint8"),
)
@chain_settings(max_examples=15)
def test_merkle_proof_verifies_every_leaf_and_no_other(registry, clerk_b, size, seed, pick):
    """Property: in any batch each member's proof verifies and fails for any other hash."""
    hashes = [h32(f"credential {seed}/{i}") for i in range(size)]
    tree = MerkleBatch.of(hashes)
    registry.anchorBatch(tree.root, TYPE_PARKING, size, {"from": clerk_b})
    for member in hashes:
        assert registry.verifyBatchMember(DEPT_B, tree.root, tree.proof(member), member) is True, (
            member
        )
    proof = tree.proof(hashes[pick % size])
    for other in (h32(f"other {seed}"), hashes[(pick + 1) % size] if size > 1 else OUTSIDER):
        assert registry.verifyBatchMember(DEPT_B, tree.root, proof, other) is False, other


# -- status changes -----------------------------------------------------------------------------


def test_suspend_records_and_emits(anchored, clerk_a):
    tx = anchored.suspendCredential(CRED, CERTIFICATE_HOLD, {"from": clerk_a})

    event = tx.events["CredentialSuspended"]
    assert (
        event["credentialHash"],
        event["issuerDepartment"],
        event["actor"],
        event["reasonCode"],
    ) == (
        CRED,
        DEPT_A,
        clerk_a,
        CERTIFICATE_HOLD,
    )
    assert status_of(anchored, CRED)[0] == SUSPENDED
    assert status_of(anchored, CRED)[5] == CERTIFICATE_HOLD


def test_resume_records_and_emits(anchored, clerk_a, clerk_a2, registry):
    anchored.suspendCredential(CRED, CERTIFICATE_HOLD, {"from": clerk_a})
    registry.setTime(STATUS_NOW + 60, {"from": clerk_a})
    tx = anchored.resumeCredential(
        CRED, REMOVE_FROM_CRL, {"from": clerk_a2}
    )  # any account of the department

    event = tx.events["CredentialResumed"]
    assert (
        event["credentialHash"],
        event["issuerDepartment"],
        event["actor"],
        event["reasonCode"],
    ) == (
        CRED,
        DEPT_A,
        clerk_a2,
        REMOVE_FROM_CRL,
    )
    state, _, _, _, anchored_at, reason, changed_at = status_of(anchored, CRED)
    assert (state, anchored_at, reason, changed_at) == (
        ACTIVE,
        STATUS_NOW,
        REMOVE_FROM_CRL,
        STATUS_NOW + 60,
    )


def test_revoke_records_and_emits(anchored, clerk_a):
    tx = anchored.revokeCredential(CRED, KEY_COMPROMISE, {"from": clerk_a})

    event = tx.events["CredentialRevoked"]
    assert (
        event["credentialHash"],
        event["issuerDepartment"],
        event["actor"],
        event["reasonCode"],
    ) == (
        CRED,
        DEPT_A,
        clerk_a,
        KEY_COMPROMISE,
    )
    assert status_of(anchored, CRED)[0] == REVOKED
    assert status_of(anchored, CRED)[5] == KEY_COMPROMISE


def test_revoke_suspended_credential(anchored, clerk_a):
    anchored.suspendCredential(CRED, CERTIFICATE_HOLD, {"from": clerk_a})
    anchored.revokeCredential(CRED, SUPERSEDED, {"from": clerk_a})
    assert status_of(anchored, CRED)[0] == REVOKED


@pytest.mark.parametrize("method", ["suspendCredential", "resumeCredential", "revokeCredential"])
def test_change_of_unknown_credential_reverts(registry, clerk_a, method):
    with brownie.reverts(err("CredentialStatusUnknownCredential(bytes32)", CRED)):
        getattr(registry, method)(CRED, UNSPECIFIED, {"from": clerk_a})


@pytest.mark.parametrize("method", ["suspendCredential", "revokeCredential"])
def test_change_by_other_department_reverts(anchored, clerk_b, method):
    # B reaches only its own records: it has none for CRED, and A's record stays as it was.
    with brownie.reverts(err("CredentialStatusUnknownCredential(bytes32)", CRED)):
        getattr(anchored, method)(CRED, UNSPECIFIED, {"from": clerk_b})
    assert status_of(anchored, CRED)[0] == ACTIVE


def test_resume_by_stranger_reverts(anchored, clerk_a, stranger):
    anchored.suspendCredential(CRED, CERTIFICATE_HOLD, {"from": clerk_a})
    with brownie.reverts(err("CredentialStatusCallerNotDepartment(address)", stranger.address)):
        anchored.resumeCredential(CRED, REMOVE_FROM_CRL, {"from": stranger})


def test_change_by_suspended_issuer_department_reverts(anchored, directory, council, clerk_a):
    directory.suspendDepartment(DEPT_A, {"from": council})
    with brownie.reverts(err("CredentialStatusCallerNotDepartment(address)", clerk_a.address)):
        anchored.revokeCredential(CRED, UNSPECIFIED, {"from": clerk_a})


@pytest.mark.parametrize(
    "setup, method, start, target",
    [
        ([], "resumeCredential", ACTIVE, ACTIVE),
        (["suspendCredential"], "suspendCredential", SUSPENDED, SUSPENDED),
        (["revokeCredential"], "revokeCredential", REVOKED, REVOKED),
        (["revokeCredential"], "suspendCredential", REVOKED, SUSPENDED),
        (["revokeCredential"], "resumeCredential", REVOKED, ACTIVE),
    ],
    ids=[
        "resume-active",
        "suspend-suspended",
        "revoke-revoked",
        "suspend-revoked",
        "resume-revoked",
    ],
)
def test_invalid_transition_reverts(anchored, clerk_a, setup, method, start, target):
    for step in setup:
        getattr(anchored, step)(CRED, UNSPECIFIED, {"from": clerk_a})
    expected = err("CredentialStatusInvalidTransition(bytes32,uint8,uint8)", CRED, start, target)
    with brownie.reverts(expected):
        getattr(anchored, method)(CRED, UNSPECIFIED, {"from": clerk_a})


@pytest.mark.parametrize("reason", [7, 11, 255])
def test_invalid_reason_code_reverts(anchored, clerk_a, reason):
    with brownie.reverts(err("CredentialStatusInvalidReason(uint8)", reason)):
        anchored.revokeCredential(CRED, reason, {"from": clerk_a})


# -- batch members ------------------------------------------------------------------------------


def test_revoke_batch_member_records_it_and_emits(anchored, clerk_b, batch):
    member = BATCH_CREDS[3]
    anchored_at_block = plain(anchored.batch(DEPT_B, batch.root))[2]
    tx = anchored.revokeBatchMember(
        batch.root, batch.proof(member), member, KEY_COMPROMISE, {"from": clerk_b}
    )

    recorded = tx.events["CredentialBatchMemberRecorded"]
    assert (recorded["credentialHash"], recorded["root"], recorded["issuerDepartment"]) == (
        member,
        batch.root,
        DEPT_B,
    )
    revoked = tx.events["CredentialRevoked"]
    assert (
        revoked["credentialHash"],
        revoked["issuerDepartment"],
        revoked["actor"],
        revoked["reasonCode"],
    ) == (
        member,
        DEPT_B,
        clerk_b,
        KEY_COMPROMISE,
    )
    assert status_of(anchored, member) == (
        REVOKED,
        DEPT_B,
        TYPE_PARKING,
        anchored_at_block,
        STATUS_NOW,
        KEY_COMPROMISE,
        STATUS_NOW,
    )
    assert (
        plain(anchored.statusInBatch(DEPT_B, batch.root, batch.proof(member), member))[0] == REVOKED
    )
    assert status_of(anchored, BATCH_CREDS[0])[0] == UNKNOWN  # the other members stay unrecorded


def test_suspended_batch_member_resumes_by_hash(anchored, clerk_b, batch):
    member = BATCH_CREDS[1]
    tx = anchored.suspendBatchMember(
        batch.root, batch.proof(member), member, CERTIFICATE_HOLD, {"from": clerk_b}
    )
    assert "CredentialBatchMemberRecorded" in tx.events
    assert tx.events["CredentialSuspended"]["credentialHash"] == member

    anchored.resumeCredential(member, REMOVE_FROM_CRL, {"from": clerk_b})
    tx = anchored.revokeBatchMember(
        batch.root, batch.proof(member), member, SUPERSEDED, {"from": clerk_b}
    )
    assert "CredentialBatchMemberRecorded" not in tx.events  # recorded once only
    assert status_of(anchored, member)[0] == REVOKED


@pytest.mark.parametrize("method", ["suspendBatchMember", "revokeBatchMember"])
def test_change_member_of_unknown_batch_reverts(registry, clerk_b, batch, method):
    member = BATCH_CREDS[0]
    with brownie.reverts(err("CredentialStatusUnknownBatch(bytes32)", batch.root)):
        getattr(registry, method)(
            batch.root, batch.proof(member), member, UNSPECIFIED, {"from": clerk_b}
        )


@pytest.mark.parametrize("method", ["suspendBatchMember", "revokeBatchMember"])
def test_change_non_member_reverts(anchored, clerk_b, batch, method):
    with brownie.reverts(
        err("CredentialStatusInvalidProof(bytes32,bytes32)", batch.root, OUTSIDER)
    ):
        getattr(anchored, method)(
            batch.root, batch.proof(BATCH_CREDS[0]), OUTSIDER, UNSPECIFIED, {"from": clerk_b}
        )


@pytest.mark.parametrize("method", ["suspendBatchMember", "revokeBatchMember"])
def test_change_batch_member_by_other_department_reverts(anchored, clerk_a, batch, method):
    member = BATCH_CREDS[0]
    # A anchored no batch with B's root: it cannot even name B's member.
    with brownie.reverts(err("CredentialStatusUnknownBatch(bytes32)", batch.root)):
        getattr(anchored, method)(
            batch.root, batch.proof(member), member, UNSPECIFIED, {"from": clerk_a}
        )


# -- claim-jacking: records are per issuing department ------------------------------------------


def test_front_run_single_anchor_neither_blocks_nor_touches_the_issuer(registry, clerk_a, clerk_b):
    """B sees A's pending anchor of CRED and anchors the hash first (under a type B may issue)."""
    registry.anchorCredential(CRED, TYPE_PARKING, {"from": clerk_b})
    tx = registry.anchorCredential(CRED, TYPE_RESIDENCE, {"from": clerk_a})  # still succeeds
    assert tx.events["CredentialAnchored"]["issuerDepartment"] == DEPT_A
    assert status_of(registry, CRED, DEPT_A)[:3] == (ACTIVE, DEPT_A, TYPE_RESIDENCE)
    assert status_of(registry, CRED, DEPT_B)[:3] == (ACTIVE, DEPT_B, TYPE_PARKING)

    registry.revokeCredential(CRED, KEY_COMPROMISE, {"from": clerk_b})  # B's own record only
    assert status_of(registry, CRED, DEPT_B)[0] == REVOKED
    assert status_of(registry, CRED, DEPT_A)[0] == ACTIVE
    registry.suspendCredential(CRED, CERTIFICATE_HOLD, {"from": clerk_a})  # A keeps control
    assert status_of(registry, CRED, DEPT_A)[0] == SUSPENDED


def test_claim_of_another_departments_batch_member_changes_nothing(
    anchored, clerk_a, clerk_b, batch
):
    member = BATCH_CREDS[2]
    proof = batch.proof(member)
    # A anchors B's member singly, then revokes "it": only A's own record changes.
    anchored.anchorCredential(member, TYPE_RESIDENCE, {"from": clerk_a})
    anchored.revokeCredential(member, KEY_COMPROMISE, {"from": clerk_a})
    assert status_of(anchored, member, DEPT_A)[0] == REVOKED
    assert plain(anchored.statusInBatch(DEPT_B, batch.root, proof, member))[:2] == (ACTIVE, DEPT_B)
    # A anchoring B's root as its own batch gets A a batch of its own, not B's.
    anchored.anchorBatch(batch.root, TYPE_RESIDENCE, len(BATCH_CREDS), {"from": clerk_a})
    other = BATCH_CREDS[3]
    anchored.suspendBatchMember(
        batch.root, batch.proof(other), other, CERTIFICATE_HOLD, {"from": clerk_a}
    )
    assert plain(anchored.batch(DEPT_B, batch.root))[:2] == (DEPT_B, TYPE_PARKING)
    assert plain(anchored.statusInBatch(DEPT_B, batch.root, batch.proof(other), other))[0] == ACTIVE
    assert (
        plain(anchored.statusInBatch(DEPT_A, batch.root, batch.proof(other), other))[0] == SUSPENDED
    )
    # The real issuer can still change its member.
    anchored.revokeBatchMember(batch.root, proof, member, SUPERSEDED, {"from": clerk_b})
    assert plain(anchored.statusInBatch(DEPT_B, batch.root, proof, member))[:2] == (REVOKED, DEPT_B)


def test_status_in_batch_reports_only_what_the_root_vouches_for(anchored, clerk_b, batch):
    member = BATCH_CREDS[4]
    anchored.revokeBatchMember(
        batch.root, batch.proof(member), member, SUPERSEDED, {"from": clerk_b}
    )
    other = MerkleBatch.of([OUTSIDER, CRED_2])
    anchored.anchorBatch(other.root, TYPE_PARKING, 2, {"from": clerk_b})
    empty = (UNKNOWN, ZERO32, ZERO32, 0, 0, 0, 0)
    # B's own record exists, but a root of B's that does not contain the member vouches for nothing.
    assert plain(anchored.statusInBatch(DEPT_B, other.root, other.proof(OUTSIDER), member)) == empty
    # A's single record of CRED is not reported through B's (or any) batch root.
    assert plain(anchored.statusInBatch(DEPT_A, batch.root, batch.proof(member), CRED)) == empty
    # The right root, but under a department that did not anchor it.
    assert plain(anchored.statusInBatch(DEPT_A, batch.root, batch.proof(member), member)) == empty
    assert anchored.verifyBatchMember(DEPT_A, batch.root, batch.proof(member), member) is False


def test_gas_of_anchoring(
    CredentialStatusRegistry, registry, directory, issuers, council, clerk_a, clerk_b
):
    """Gas on the deployable contract (real clock), printed for the report, kept within bounds."""
    real = CredentialStatusRegistry.deploy(directory, issuers, {"from": council})
    real.anchorCredential(
        CRED, TYPE_RESIDENCE, {"from": clerk_a}
    )  # warm-up: first write of the contract
    single = real.anchorCredential(CRED_2, TYPE_RESIDENCE, {"from": clerk_a})
    tree = MerkleBatch.of([h32(f"gas {i}") for i in range(1000)])
    batched = real.anchorBatch(tree.root, TYPE_PARKING, 1000, {"from": clerk_b})
    print(
        f"\nGAS anchorCredential={single.gas_used} "
        f"anchorBatch={batched.gas_used} (1000 credentials)"
    )
    assert single.gas_used < 150_000 and batched.gas_used < 150_000
