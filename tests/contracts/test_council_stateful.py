"""Stateful test of the council multisig against a Python model.

Hypothesis drives random sequences of propose / confirm / revoke / execute / cancel, with proposals
that call a harmless view or change membership or the threshold. Every step predicts the outcome
from the model: the exact custom error for a call that must revert, the events for one that must
succeed. So a call the model says cannot execute (too few confirmations, stale epoch, not pending)
never executes without failing the test. Invariants compare members, threshold and epoch after
every step; at the end of each run every executed proposal is checked on chain: its confirmers were
members of its epoch and at least that epoch's threshold.
"""

from dataclasses import dataclass, field

from brownie import chain, reverts
from helpers import MEMBER_COUNT, THRESHOLD, ProposalState, chain_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

POOL_SIZE = 6  # accounts[0..5]: the first MEMBER_COUNT are members, the rest outsiders
# Bounded so the run takes about a minute on anvil (well under the three-minute budget).
SETTINGS = chain_settings(max_examples=30, stateful_step_count=30)

# An actor is drawn as a number: below 48 a current member, else anyone in the pool (outsiders
# included), so most steps can make progress and the error paths still come up.
ACTOR = st.integers(min_value=0, max_value=63)
# Which proposal a step acts on, counted back from the latest: 1 is the latest, 0 an unknown id.
OFFSET = st.sampled_from([1, 1, 1, 1, 1, 1, 2, 2, 3, 0])
# Steps on proposals wait until there is one (unknown ids still come up through offset 0).
HAS_PROPOSALS = precondition(lambda machine: machine.proposals)
THRESHOLDS = st.integers(min_value=0, max_value=POOL_SIZE)


@dataclass
class ModelProposal:
    proposer: str
    kind: str  # "noop", "add", "remove" or "threshold"
    arg: str | int | None
    epoch: int
    confirmed: set[str] = field(default_factory=set)
    state: int = ProposalState.PENDING


class CouncilMachine(RuleBasedStateMachine):
    """The council and its model. Use ``bound_to`` to get a machine for a deployed council.

    This is what brownie's ``state_machine`` fixture does (a chain snapshot after deployment,
    reverted to before each run); the fixture itself is unusable in brownie 1.22.2, whose
    compiled ``brownie.test.stateful`` rejects the machine classes it generates (``TypeError:
    brownie.test.stateful._BrownieStateMachine object expected``).
    """

    council = None
    pool: tuple[str, ...] = ()
    typed_error = execution_failed = None

    @classmethod
    def bound_to(cls, *, council, pool, typed_error, execution_failed):
        attributes = {
            "council": council,
            "pool": tuple(account.address for account in pool),
            "typed_error": staticmethod(typed_error),
            "execution_failed": staticmethod(execution_failed),
        }
        return type(cls.__name__, (cls,), attributes)

    def __init__(self):
        super().__init__()
        chain.revert()  # back to the freshly deployed council
        self.noop = self.council.threshold.encode_input()
        self.members = list(self.pool[:MEMBER_COUNT])
        self.threshold = THRESHOLD
        self.epoch = 1
        self.proposals: dict[int, ModelProposal] = {}
        self.history = {1: (frozenset(self.members), THRESHOLD)}  # epoch => members, threshold

    # ----------------------------------------------------------------------------------------
    # Helpers
    # ----------------------------------------------------------------------------------------

    def _actor(self, value, proposal_id=None):
        """Below 48 a current member, else anyone in the pool. For a proposal, the members who
        have not confirmed it come first, so small values (hypothesis's favourites) make progress.
        """
        if value >= 48:
            return self.pool[value % POOL_SIZE]
        proposal = self.proposals.get(proposal_id)
        confirmed = proposal.confirmed if proposal else set()
        ordered = [m for m in self.members if m not in confirmed]
        ordered += [m for m in self.members if m in confirmed]
        return ordered[value % len(ordered)]

    def _proposal_id(self, offset):
        return max(len(self.proposals) + 1 - offset, 0)

    def _check_proposal(self, proposal_id, *, require_current):
        """The error that a confirm/execute/revoke of ``proposal_id`` must fail with, if any."""
        proposal = self.proposals.get(proposal_id)
        if proposal is None:
            return ("CouncilUnknownProposal", proposal_id)
        if proposal.state != ProposalState.PENDING:
            return ("CouncilProposalNotPending", proposal_id, proposal.state)
        if require_current and proposal.epoch != self.epoch:
            return ("CouncilProposalStale", proposal_id, proposal.epoch, self.epoch)
        return None

    def _propose(self, actor, kind, arg, calldata):
        sender = self._actor(actor)
        if sender not in self.members:
            with reverts(self.typed_error("CouncilNotMember", sender)):
                self.council.propose(self.council, 0, calldata, kind, {"from": sender})
            return
        tx = self.council.propose(self.council, 0, calldata, kind, {"from": sender})
        proposal_id = len(self.proposals) + 1
        created = tx.events["ProposalCreated"]
        assert (created["proposalId"], created["proposer"], created["epoch"]) == (
            proposal_id,
            sender,
            self.epoch,
        ), f"expected proposal {proposal_id} by {sender} in epoch {self.epoch}, got {created}"
        self.proposals[proposal_id] = ModelProposal(sender, kind, arg, self.epoch, {sender})

    def _inner_error(self, proposal):
        """The error the proposal's own call must fail with in the current state, if any."""
        if proposal.kind == "add" and proposal.arg in self.members:
            return ("CouncilMemberExists", proposal.arg)
        if proposal.kind == "remove":
            if proposal.arg not in self.members:
                return ("CouncilMemberUnknown", proposal.arg)
            if self.threshold > len(self.members) - 1:
                return ("CouncilInvalidThreshold", self.threshold, len(self.members) - 1)
        if proposal.kind == "threshold" and not 1 <= proposal.arg <= len(self.members):
            return ("CouncilInvalidThreshold", proposal.arg, len(self.members))
        return None

    def _apply(self, proposal):
        """Applies the effect of a successfully executed proposal to the model."""
        if proposal.kind == "noop":
            return
        if proposal.kind == "add":
            self.members.append(proposal.arg)
        elif proposal.kind == "remove":
            # EnumerableSet removal: the last element takes the removed one's place.
            index = self.members.index(proposal.arg)
            self.members[index] = self.members[-1]
            self.members.pop()
        else:
            self.threshold = proposal.arg
        self.epoch += 1
        self.history[self.epoch] = (frozenset(self.members), self.threshold)

    # ----------------------------------------------------------------------------------------
    # Rules
    # ----------------------------------------------------------------------------------------

    @rule(
        actor=ACTOR,
        kind=st.sampled_from(["remove", "add", "threshold", "noop"]),
        candidate=st.integers(min_value=0, max_value=POOL_SIZE - 1),
        new_threshold=THRESHOLDS,
    )
    def propose(self, actor, kind, candidate, new_threshold):
        # One rule for every kind of proposal, so that proposing is not four times as likely as
        # confirming or executing, and proposals get executed.
        if kind == "noop":
            self._propose(actor, kind, None, self.noop)
        elif kind == "add":
            member = self.pool[candidate]
            self._propose(actor, kind, member, self.council.addMember.encode_input(member))
        elif kind == "remove":
            member = self.pool[candidate]
            self._propose(actor, kind, member, self.council.removeMember.encode_input(member))
        else:
            calldata = self.council.changeThreshold.encode_input(new_threshold)
            self._propose(actor, kind, new_threshold, calldata)

    @HAS_PROPOSALS
    @rule(actor=ACTOR, offset=OFFSET)
    def confirm(self, actor, offset):
        proposal_id = self._proposal_id(offset)
        self._confirm(self._actor(actor, proposal_id), proposal_id)

    @HAS_PROPOSALS
    @rule(actor=ACTOR, offset=OFFSET)
    def execute(self, actor, offset):
        self._execute(self._actor(actor), self._proposal_id(offset))

    @HAS_PROPOSALS
    @rule(actor=ACTOR, offset=OFFSET)
    def confirm_until_threshold_and_execute(self, actor, offset):
        """Members who have not confirmed confirm, one by one, until the threshold is met; then
        ``actor`` executes. Random single steps rarely line up like this."""
        proposal_id = self._proposal_id(offset)
        proposal = self.proposals.get(proposal_id)
        if proposal and proposal.state == ProposalState.PENDING and proposal.epoch == self.epoch:
            for member in [m for m in self.members if m not in proposal.confirmed]:
                if len(proposal.confirmed) >= self.threshold:
                    break
                self._confirm(member, proposal_id)
        self._execute(self._actor(actor), proposal_id)

    def _confirm(self, sender, proposal_id):
        error = None if sender in self.members else ("CouncilNotMember", sender)
        error = error or self._check_proposal(proposal_id, require_current=True)
        if error is None and sender in self.proposals[proposal_id].confirmed:
            error = ("CouncilAlreadyConfirmed", proposal_id, sender)
        if error:
            with reverts(self.typed_error(*error)):
                self.council.confirm(proposal_id, {"from": sender})
            return
        tx = self.council.confirm(proposal_id, {"from": sender})
        confirmed = self.proposals[proposal_id].confirmed
        confirmed.add(sender)
        count = tx.events["ProposalConfirmed"]["confirmations"]
        assert count == len(confirmed), f"expected {len(confirmed)} confirmations, got {count}"

    def _execute(self, sender, proposal_id):
        error = None if sender in self.members else ("CouncilNotMember", sender)
        error = error or self._check_proposal(proposal_id, require_current=True)
        if error is None:
            confirmations = len(self.proposals[proposal_id].confirmed)
            if confirmations < self.threshold:
                error = ("CouncilThresholdNotReached", proposal_id, confirmations, self.threshold)
        if error:
            with reverts(self.typed_error(*error)):
                self.council.execute(proposal_id, {"from": sender})
            return
        proposal = self.proposals[proposal_id]
        inner_error = self._inner_error(proposal)
        if inner_error:
            with reverts(self.execution_failed(proposal_id, *inner_error)):
                self.council.execute(proposal_id, {"from": sender})
            return
        tx = self.council.execute(proposal_id, {"from": sender})
        executed = tx.events["ProposalExecuted"]
        assert (executed["proposalId"], executed["executor"]) == (proposal_id, sender), (
            f"expected proposal {proposal_id} executed by {sender}, got {executed}"
        )
        proposal.state = ProposalState.EXECUTED
        self._apply(proposal)

    @HAS_PROPOSALS
    @rule(actor=ACTOR, offset=OFFSET)
    def revoke_confirmation(self, actor, offset):
        sender, proposal_id = self._actor(actor), self._proposal_id(offset)
        error = None if sender in self.members else ("CouncilNotMember", sender)
        error = error or self._check_proposal(proposal_id, require_current=False)
        if error is None and sender not in self.proposals[proposal_id].confirmed:
            error = ("CouncilNotConfirmed", proposal_id, sender)
        if error:
            with reverts(self.typed_error(*error)):
                self.council.revokeConfirmation(proposal_id, {"from": sender})
            return
        tx = self.council.revokeConfirmation(proposal_id, {"from": sender})
        confirmed = self.proposals[proposal_id].confirmed
        confirmed.discard(sender)
        count = tx.events["ConfirmationRevoked"]["confirmations"]
        assert count == len(confirmed), f"expected {len(confirmed)} confirmations, got {count}"

    @HAS_PROPOSALS
    @rule(actor=ACTOR, offset=OFFSET)
    def cancel(self, actor, offset):
        sender, proposal_id = self._actor(actor), self._proposal_id(offset)
        proposal = self.proposals.get(proposal_id)
        error = self._check_proposal(proposal_id, require_current=False)
        if proposal is not None and sender != proposal.proposer:
            error = ("CouncilNotProposer", proposal_id, proposal.proposer)
        if error:
            with reverts(self.typed_error(*error)):
                self.council.cancel(proposal_id, {"from": sender})
            return
        tx = self.council.cancel(proposal_id, {"from": sender})
        assert tx.events["ProposalCanceled"]["canceledBy"] == sender
        proposal.state = ProposalState.CANCELED

    # ----------------------------------------------------------------------------------------
    # Invariants
    # ----------------------------------------------------------------------------------------

    @invariant()
    def members_match_model(self):
        members = self.council.members()
        assert members == self.members, f"expected members {self.members}, got {members}"

    @invariant()
    def threshold_matches_model_and_member_count(self):
        threshold = self.council.threshold()
        assert threshold == self.threshold, f"expected threshold {self.threshold}, got {threshold}"
        assert 1 <= threshold <= len(self.members), (
            f"threshold {threshold} outside 1..{len(self.members)}"
        )

    @invariant()
    def epoch_matches_model(self):
        epoch = self.council.epoch()
        assert epoch == self.epoch, f"expected epoch {self.epoch}, got {epoch}"

    def teardown(self):
        """Every executed proposal had threshold confirmations by members of its epoch."""
        assert self.council.proposalCount() == len(self.proposals)
        for proposal_id, model in self.proposals.items():
            onchain = self.council.proposal(proposal_id)
            assert onchain["state"] == model.state, (
                f"proposal {proposal_id}: expected state {model.state}, got {onchain['state']}"
            )
            if onchain["state"] != ProposalState.EXECUTED:
                continue
            members, threshold = self.history[onchain["proposalEpoch"]]
            confirmers = {a for a in self.pool if self.council.isConfirmedBy(proposal_id, a)}
            assert len(confirmers) == onchain["confirmations"] >= threshold, (
                f"proposal {proposal_id} executed with {sorted(confirmers)}, "
                f"{onchain['confirmations']} counted, threshold {threshold}"
            )
            assert confirmers <= members, (
                f"proposal {proposal_id} confirmed by non-members {sorted(confirmers - members)}"
            )


def test_council_matches_model(council, accounts, typed_error, execution_failed):
    machine = CouncilMachine.bound_to(
        council=council,
        pool=accounts[:POOL_SIZE],
        typed_error=typed_error,
        execution_failed=execution_failed,
    )
    chain.snapshot()
    run_state_machine_as_test(machine, settings=SETTINGS)
