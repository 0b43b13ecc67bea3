"""Stateful property test of credential status: Active <-> Suspended, Revoked terminal, only the
issuing department may change a credential, batch members included.

hypothesis drives random sequences of suspend / resume / revoke, by the issuer or by another
department, with valid and invalid reason codes, against a Python model of the state machine.

brownie's own `state_machine` helper cannot be used: in eth-brownie 1.22.2 its module is compiled
with mypyc and rejects the machine class it generates ("_BrownieStateMachine object expected").
The machine below is a plain hypothesis RuleBasedStateMachine that does what that helper does:
revert the chain to a snapshot at the start of every run.
"""


# parameters; brownie injects contract containers under the contracts' names)

import brownie
from brownie import chain
from credential_fixtures import (
    DEPT_A,
    DEPT_B,
    TYPE_PARKING,
    TYPE_RESIDENCE,
    MerkleBatch,
    clerk_a,
    clerk_a2,
    clerk_b,
    council,
    directory,
    h32,
    issuers,
    status_registry,
    typed_error,
)
from helpers import chain_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

UNKNOWN, ACTIVE, SUSPENDED, REVOKED = range(4)
TARGET = {"suspend": SUSPENDED, "resume": ACTIVE, "revoke": REVOKED}
ALLOWED = {
    SUSPENDED: {ACTIVE},
    ACTIVE: {SUSPENDED},
    REVOKED: {ACTIVE, SUSPENDED},
}  # target -> allowed from

SINGLES = [h32(f"single credential {i}") for i in range(3)]  # anchored by department A
MEMBERS = [h32(f"batch member {i}") for i in range(3)]  # batch anchored by department B


class StatusMachine(RuleBasedStateMachine):
    """Model: state and issuer per credential; batch members are unrecorded (Active) until changed.

    Class attributes `registry`, `clerks` (department id -> (its clerk, the other department's
    clerk)) and `tree` are set by the test before running."""

    registry = clerks = tree = None

    def __init__(self):
        chain.revert()  # back to the snapshot taken after anchoring
        super().__init__()
        self.issuer = {h: DEPT_A for h in SINGLES} | {h: DEPT_B for h in MEMBERS}
        self.state = {h: ACTIVE for h in SINGLES + MEMBERS}
        self.recorded = {h: h in SINGLES for h in SINGLES + MEMBERS}

    @rule(
        action=st.integers(0, 2),
        which=st.integers(0, len(SINGLES) + len(MEMBERS) - 1),
        by_issuer=st.booleans(),
        reason=st.integers(0, 12),
        as_member=st.booleans(),
    )
    def change(self, action, which, by_issuer, reason, as_member):
        name = ("suspend", "resume", "revoke")[action]
        credential = (SINGLES + MEMBERS)[which]
        issuer = self.issuer[credential]
        own_clerk, other_clerk = self.clerks[issuer]
        actor = own_clerk if by_issuer else other_clerk
        via_proof = (
            credential in MEMBERS
            and name != "resume"
            and (as_member or not self.recorded[credential])
        )
        target, current = TARGET[name], self.state[credential]

        # The contract's checks, in its order. Records and batches are per department: another
        # department's clerk reaches neither this batch nor this record.
        if not by_issuer and via_proof:
            expected = typed_error("CredentialStatusUnknownBatch(bytes32)", self.tree.root)
        elif not by_issuer or (not via_proof and not self.recorded[credential]):
            expected = typed_error("CredentialStatusUnknownCredential(bytes32)", credential)
        elif current not in ALLOWED[target]:
            expected = typed_error(
                "CredentialStatusInvalidTransition(bytes32,uint8,uint8)",
                credential,
                current,
                target,
            )
        elif reason > 10 or reason == 7:
            expected = typed_error("CredentialStatusInvalidReason(uint8)", reason)
        else:
            expected = None

        if via_proof:
            method = getattr(self.registry, f"{name}BatchMember")
            args = (self.tree.root, self.tree.proof(credential), credential, reason)
        else:
            method = getattr(self.registry, f"{name}Credential")
            args = (credential, reason)

        if expected is not None:
            with brownie.reverts(expected):
                method(*args, {"from": actor})
            return
        tx = method(*args, {"from": actor})
        event = tx.events[
            {
                "suspend": "CredentialSuspended",
                "resume": "CredentialResumed",
                "revoke": "CredentialRevoked",
            }[name]
        ]
        assert (event["credentialHash"], event["actor"], event["reasonCode"]) == (
            credential,
            actor,
            reason,
        )
        assert ("CredentialBatchMemberRecorded" in tx.events) == (not self.recorded[credential])
        self.state[credential] = target
        self.recorded[credential] = True

    @invariant()
    def states_match_model(self):
        for credential, expected in self.state.items():
            state, issuer = self.registry.status(self.issuer[credential], credential)[:2]
            if self.recorded[credential]:
                assert (state, issuer) == (expected, self.issuer[credential]), (
                    credential,
                    state,
                    expected,
                )
            else:
                assert state == UNKNOWN, (
                    f"unchanged batch member {credential} has a record: {state}"
                )
                assert (
                    self.registry.statusInBatch(
                        DEPT_B, self.tree.root, self.tree.proof(credential), credential
                    )[0]
                    == ACTIVE
                )


def test_status_transitions(status_registry, clerk_a, clerk_b):
    tree = MerkleBatch.of(MEMBERS)
    try:
        for credential in SINGLES:
            status_registry.anchorCredential(credential, TYPE_RESIDENCE, {"from": clerk_a})
        status_registry.anchorBatch(tree.root, TYPE_PARKING, len(MEMBERS), {"from": clerk_b})
        chain.snapshot()
        StatusMachine.registry = status_registry
        StatusMachine.clerks = {DEPT_A: (clerk_a, clerk_b), DEPT_B: (clerk_b, clerk_a)}
        StatusMachine.tree = tree
        run_state_machine_as_test(
            StatusMachine, settings=chain_settings(max_examples=25, stateful_step_count=25)
        )
    finally:
        chain.revert()  # leave the chain as after anchoring, not as the last example left it
