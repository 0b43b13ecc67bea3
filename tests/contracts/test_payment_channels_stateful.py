"""Stateful test of one payment channel against a Python model.

Hypothesis drives random sequences of: time passing, the payer signing vouchers (any cumulative
amount, also lower ones and ones above deposit or cap), the department settling with any signed
voucher or a forged one (partially or closing), top-ups that may extend the expiry, and reclaims by
a stranger. Every step predicts the exact custom error of a call that must revert, in the order the
contract checks. Invariants after every step: the department has received exactly what the model
settled, which is never more than the highest signed voucher, the deposit, or the tariff cap at the
time of the settlement; the contract holds the unsettled deposit of an open channel and nothing of
a closed one; nothing settles twice. At the end of each run the payer recovers the whole rest after
expiry, with no help from the department.
"""

from brownie import chain, reverts
from credential_fixtures import local_key
from helpers import chain_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from payments_fixtures import (
    FAKE_NOW,
    NO_PERMIT,
    RATE,
    cash_citizens,
    cash_parking,
    channel_terms,
    channels,
    clerk,
    council,
    directory,
    err,
    fees,
    isolation,
    open_channel,
    other_payer,
    payer,
    permit_for,
    relayer,
    sign_top_up,
    sign_voucher,
    stranger,
    token,
    top_up_message,
    treasury,
    warden,
)

SETTINGS = chain_settings(max_examples=20, stateful_step_count=25)
DEPOSIT = 40 * RATE
AMOUNTS = st.integers(min_value=0, max_value=DEPOSIT + 120)  # also above a topped-up deposit
FORGER = local_key("payments: forger")


class ChannelMachine(RuleBasedStateMachine):
    """One channel and its model; ``bound_to`` fills in the deployed contracts and actors."""

    channels = token = payer = warden = stranger = relayer = payee = council = None
    channel_id: str = ""
    terms = None
    start_balances: tuple[int, int] = (0, 0)

    @classmethod
    def bound_to(cls, **attributes):
        return type(cls.__name__, (cls,), attributes)

    def __init__(self):
        super().__init__()
        chain.revert()  # back to the freshly opened channel
        self.now = FAKE_NOW
        self.deposit = DEPOSIT
        self.expires_at = self.terms.expires_at
        self.settled = 0
        self.closed = False
        self.refunded = 0
        self.signed: list[int] = []
        self.settled_history: list[int] = []

    # -- helpers ------------------------------------------------------------------------------

    def cap(self) -> int:
        return RATE * (max(self.now - self.terms.starts_at, 0) // 60 + 1)

    def expected_settle_error(self, amount: int, close: bool, forged: bool) -> str | None:
        if self.closed:
            return err("ChannelAlreadyClosed(bytes32)", self.channel_id)
        if self.now >= self.expires_at:
            return err(
                "ChannelExpired(bytes32,uint64,uint64)", self.channel_id, self.expires_at, self.now
            )
        if amount < self.settled or (amount == self.settled and not close):
            return err(
                "ChannelVoucherNotAboveSettled(bytes32,uint256,uint256)",
                self.channel_id,
                amount,
                self.settled,
            )
        if amount > self.deposit:
            return err(
                "ChannelVoucherAboveDeposit(bytes32,uint256,uint256)",
                self.channel_id,
                amount,
                self.deposit,
            )
        if amount > self.cap():
            return err(
                "ChannelVoucherAboveTariffCap(bytes32,uint256,uint256)",
                self.channel_id,
                amount,
                self.cap(),
            )
        if forged:
            return err(
                "ChannelInvalidVoucherSignature(bytes32,address)",
                self.channel_id,
                self.payer.address,
            )
        return None

    def try_settle(self, amount: int, signature: str, close: bool, forged: bool) -> None:
        expected = self.expected_settle_error(amount, close, forged)
        call = (self.channel_id, amount, signature, close, {"from": self.warden})
        if expected is not None:
            with reverts(expected):
                self.channels.settle(*call)
            return
        tx = self.channels.settle(*call)
        paid = amount - self.settled
        assert tx.events["ChannelSettled"]["paid"] == paid
        if paid:  # a close at the settled amount pays nothing: no amount is settled again
            self.settled_history.append(amount)
        self.settled = amount
        if close:
            self.close()

    def close(self) -> None:
        self.closed = True
        self.refunded = self.deposit - self.settled

    # -- rules --------------------------------------------------------------------------------

    @rule(seconds=st.integers(min_value=0, max_value=1_500))
    def time_passes(self, seconds):
        self.now += seconds
        self.channels.setTime(self.now, {"from": self.council})

    @rule(amount=AMOUNTS)
    def payer_signs(self, amount):
        self.signed.append(amount)

    @precondition(lambda self: self.signed)
    @rule(pick=st.integers(min_value=0), close=st.booleans())
    def department_settles(self, pick, close):
        amount = self.signed[pick % len(self.signed)]
        signature = sign_voucher(self.channels, self.payer, self.channel_id, amount)
        self.try_settle(amount, signature, close, forged=False)

    @rule(amount=AMOUNTS, close=st.booleans())
    def department_forges(self, amount, close):
        signature = sign_voucher(self.channels, FORGER, self.channel_id, amount)
        self.try_settle(amount, signature, close, forged=True)

    @rule(amount=st.integers(min_value=0, max_value=60), extend=st.sampled_from([0, 0, 600, 3_600]))
    def payer_tops_up(self, amount, extend):
        new_expiry = self.expires_at + extend
        message = top_up_message(
            bytes.fromhex(self.channel_id[2:]), amount, new_expiry, self.now + 60
        )
        permit = permit_for(self.token, self.payer, self.channels, amount) if amount else NO_PERMIT
        call = (
            tuple(message.values()),
            sign_top_up(self.channels, self.payer, message),
            permit,
            {"from": self.relayer},
        )
        if self.closed:
            expected = err("ChannelAlreadyClosed(bytes32)", self.channel_id)
        elif self.now >= self.expires_at:
            expected = err(
                "ChannelExpired(bytes32,uint64,uint64)", self.channel_id, self.expires_at, self.now
            )
        elif amount == 0 and extend == 0:
            expected = err("ChannelInvalidAmount(uint256)", 0)
        else:
            expected = None
        if expected is not None:
            with reverts(expected):
                self.channels.topUp(*call)
            return
        self.channels.topUp(*call)
        self.deposit += amount
        self.expires_at = new_expiry

    @rule()
    def stranger_reclaims(self):
        if self.closed:
            expected = err("ChannelAlreadyClosed(bytes32)", self.channel_id)
        elif self.now < self.expires_at:
            expected = err(
                "ChannelNotExpired(bytes32,uint64,uint64)",
                self.channel_id,
                self.expires_at,
                self.now,
            )
        else:
            expected = None
        if expected is not None:
            with reverts(expected):
                self.channels.reclaim(self.channel_id, {"from": self.stranger})
            return
        self.channels.reclaim(self.channel_id, {"from": self.stranger})
        self.close()

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def department_received_what_was_settled(self):
        received = self.token.balanceOf(self.payee) - self.start_balances[1]
        assert received == self.settled, (
            f"department received {received}, model settled {self.settled}"
        )
        assert self.channels.channel(self.channel_id)[-1] == self.settled

    @invariant()
    def settled_within_voucher_deposit_and_cap(self):
        if self.settled:
            assert self.settled <= max(self.signed), "settled above every signed voucher"
        assert self.settled <= self.deposit
        assert self.settled_history == sorted(set(self.settled_history)), "an amount settled twice"

    @invariant()
    def contract_holds_the_unsettled_deposit(self):
        held = self.token.balanceOf(self.channels)
        expected = 0 if self.closed else self.deposit - self.settled
        assert held == expected, f"contract holds {held}, expected {expected}"

    def teardown(self):
        """The payer recovers everything not settled after expiry, via anyone."""
        if not self.closed:
            self.channels.setTime(max(self.now, self.expires_at), {"from": self.council})
            self.channels.reclaim(self.channel_id, {"from": self.stranger})
            self.close()
        payer_balance = self.token.balanceOf(self.payer.address)
        assert payer_balance == self.start_balances[0] - self.deposit + self.refunded
        assert self.refunded == self.deposit - self.settled


def test_channel_matches_model(
    channels, token, payer, warden, stranger, relayer, council, cash_parking
):
    opened = open_channel(
        channels, token, payer, relayer, channel_terms(payer, FAKE_NOW, deposit=DEPOSIT)
    )
    machine = ChannelMachine.bound_to(
        channels=channels,
        token=token,
        payer=payer,
        warden=warden,
        stranger=stranger,
        relayer=relayer,
        payee=cash_parking,
        council=council,
        channel_id=opened.channel_id,
        terms=opened.terms,
        start_balances=(
            int(token.balanceOf(payer.address)) + DEPOSIT,
            int(token.balanceOf(cash_parking)),
        ),
    )
    chain.snapshot()
    run_state_machine_as_test(machine, settings=SETTINGS)
