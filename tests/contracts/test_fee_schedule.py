"""FeeSchedule: services and tariffs (council, department-managed), payees, relayed fee payments
with permit, receipts, and every refusal with its exact custom error."""

import brownie
import pytest
from brownie import chain
from credential_fixtures import ZERO32, ZERO_ADDRESS, b32, plain
from payments_fixtures import (
    DEPT_CITIZENS,
    DEPT_PARKING,
    FEE_AMOUNT,
    NO_PERMIT,
    PARK_ZONE5,
    PARKING_TERMS,
    RATE,
    RESIDENCE_FEE,
    ZONE5,
    as_fee_tuple,
    cash_citizens,
    cash_parking,
    clerk,
    council,
    directory,
    err,
    fee_payment,
    fees,
    isolation,
    other_payer,
    payer,
    permit_for,
    relayer,
    service_terms,
    sign_cancel,
    sign_fee,
    stranger,
    token,
    treasury,
    warden,
)

from registry_core.eip712 import sign_digest
from registry_core.payments.types import FEE_PAYMENT, fee_schedule_domain

UNKNOWN = b32("NO_SUCH_SERVICE")


def pay(fees, token, key, relayer, payment=None, permit=True, signer=None):
    """Relays ``key``'s payment with a permit for exactly the fee (as the wallet signs it)."""
    payment = payment or fee_payment(key)
    permit_tuple = permit_for(token, key, fees, payment["amount"]) if permit else NO_PERMIT
    signature = sign_fee(fees, signer or key, payment)
    return fees.payFee(as_fee_tuple(payment), signature, permit_tuple, {"from": relayer})


# -- construction and views -----------------------------------------------------------------------


def test_zero_dependencies_revert(FeeSchedule, directory, token, council):
    with brownie.reverts(err("PaymentsInvalidDependency(address)", ZERO_ADDRESS)):
        FeeSchedule.deploy(ZERO_ADDRESS, token, {"from": council})
    with brownie.reverts(err("PaymentsInvalidDependency(address)", ZERO_ADDRESS)):
        FeeSchedule.deploy(directory, ZERO_ADDRESS, {"from": council})


def test_eip712_domain(fees):
    _, name, version, chain_id, contract, _, _ = fees.eip712Domain()
    assert (name, version, chain_id, contract) == ("City Fee Schedule", "1", chain.id, fees.address)


def test_service_and_tariff_views(fees):
    terms, version = fees.service(PARK_ZONE5)
    assert (plain(terms), version) == (plain(PARKING_TERMS), 1)
    assert plain(fees.tariff(PARK_ZONE5)) == (DEPT_PARKING, ZONE5, RATE, 60, 1, True)
    with brownie.reverts(err("FeeScheduleUnknownService(bytes32)", UNKNOWN)):
        fees.service(UNKNOWN)


# -- defining and changing services ---------------------------------------------------------------


def test_council_sets_service_and_event_carries_terms(fees, council):
    terms = service_terms(amount=1_500, name_de="Meldebescheinigung (neu)")
    tx = fees.setService(RESIDENCE_FEE, terms, {"from": council})
    assert plain(tx.events["ServiceSet"].values()) == (
        RESIDENCE_FEE,
        DEPT_CITIZENS,
        council.address,
        2,
        1_500,
        0,
        ZERO32,
        True,
        False,
        "Meldebescheinigung (neu)",
        "Residence certificate",
    )
    assert fees.service(RESIDENCE_FEE)[1] == 2


def test_department_changes_its_managed_tariff(fees, warden):
    terms = service_terms(DEPT_PARKING, 6, 60, ZONE5, True, True, "Parken Zone 5", "Parking zone 5")
    tx = fees.setService(PARK_ZONE5, terms, {"from": warden})
    assert tx.events["ServiceSet"]["actor"] == warden
    assert plain(fees.tariff(PARK_ZONE5)) == (DEPT_PARKING, ZONE5, 6, 60, 2, True)


def test_department_may_not_change_unmanaged_service(fees, clerk):
    with brownie.reverts(
        err("FeeScheduleCallerNotAllowed(bytes32,address)", RESIDENCE_FEE, clerk.address)
    ):
        fees.setService(RESIDENCE_FEE, service_terms(amount=1), {"from": clerk})


@pytest.mark.parametrize(
    "terms",
    [
        service_terms(DEPT_CITIZENS, 6, 60, ZONE5, True, True, "P", "P"),  # moves the department
        service_terms(DEPT_PARKING, 6, 60, ZONE5, True, False, "P", "P"),  # drops the flag
    ],
)
def test_department_may_not_move_or_unmanage_its_tariff(fees, warden, terms):
    with brownie.reverts(
        err("FeeScheduleCallerNotAllowed(bytes32,address)", PARK_ZONE5, warden.address)
    ):
        fees.setService(PARK_ZONE5, terms, {"from": warden})


def test_other_department_and_stranger_may_not_change(fees, clerk, stranger):
    for caller in (clerk, stranger):
        with brownie.reverts(
            err("FeeScheduleCallerNotAllowed(bytes32,address)", PARK_ZONE5, caller.address)
        ):
            fees.setService(PARK_ZONE5, PARKING_TERMS, {"from": caller})


def test_suspended_department_may_not_change(fees, directory, council, warden):
    directory.suspendDepartment(DEPT_PARKING, {"from": council})
    with brownie.reverts(
        err("FeeScheduleCallerNotAllowed(bytes32,address)", PARK_ZONE5, warden.address)
    ):
        fees.setService(PARK_ZONE5, PARKING_TERMS, {"from": warden})


def test_department_may_not_create_service(fees, warden):
    new_id = b32("PARK_ZONE6")
    with brownie.reverts(
        err("FeeScheduleCallerNotAllowed(bytes32,address)", new_id, warden.address)
    ):
        fees.setService(new_id, PARKING_TERMS, {"from": warden})


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (service_terms(name_de=""), ("FeeScheduleInvalidName(uint256,uint256)", 0, 64)),
        (service_terms(name_en="x" * 65), ("FeeScheduleInvalidName(uint256,uint256)", 65, 64)),
        (
            service_terms(department=b32("FB99")),
            ("FeeScheduleUnknownDepartment(bytes32)", b32("FB99")),
        ),
        (service_terms(amount=0), ("FeeScheduleInvalidAmount(uint256)", 0)),
        (
            service_terms(unit_seconds=60),
            ("FeeScheduleInvalidUnit(uint32,bytes32,uint32)", 60, ZERO32, 86_400),
        ),
        (
            service_terms(zone=ZONE5),
            ("FeeScheduleInvalidUnit(uint32,bytes32,uint32)", 0, ZONE5, 86_400),
        ),
        (
            service_terms(unit_seconds=86_401, zone=ZONE5),
            ("FeeScheduleInvalidUnit(uint32,bytes32,uint32)", 86_401, ZONE5, 86_400),
        ),
    ],
)
def test_invalid_terms_revert(fees, council, terms, expected):
    with brownie.reverts(err(*expected)):
        fees.setService(RESIDENCE_FEE, terms, {"from": council})


def test_zero_service_id_reverts(fees, council):
    with brownie.reverts(err("FeeScheduleInvalidServiceId(bytes32)", ZERO32)):
        fees.setService(ZERO32, service_terms(), {"from": council})


def test_payee_is_set_by_council_only(fees, council, stranger, cash_citizens):
    tx = fees.setPayee(DEPT_CITIZENS, stranger, {"from": council})
    assert plain(tx.events["PayeeSet"].values()) == (DEPT_CITIZENS, stranger.address)
    assert fees.payeeOf(DEPT_CITIZENS) == stranger
    with brownie.reverts(err("FeeScheduleCallerNotCouncil(address)", stranger.address)):
        fees.setPayee(DEPT_CITIZENS, stranger, {"from": stranger})
    with brownie.reverts(err("FeeScheduleInvalidPayee(address)", ZERO_ADDRESS)):
        fees.setPayee(DEPT_CITIZENS, ZERO_ADDRESS, {"from": council})
    with brownie.reverts(err("FeeScheduleUnknownDepartment(bytes32)", b32("FB99"))):
        fees.setPayee(b32("FB99"), stranger, {"from": council})


# -- paying a fee -------------------------------------------------------------------------------


def test_relayed_payment_moves_fee_and_records_receipt(fees, token, payer, relayer, cash_citizens):
    payment = fee_payment(payer)
    tx = pay(fees, token, payer, relayer, payment)

    assert token.balanceOf(payer.address) == 10_000 - FEE_AMOUNT
    assert token.balanceOf(cash_citizens) == FEE_AMOUNT
    assert brownie.web3.eth.get_balance(payer.address) == 0, "the payer never holds ETH"
    ref = "0x" + payment["requestRef"].hex()
    assert plain(tx.events["FeePaid"].values()) == (
        RESIDENCE_FEE,
        ref,
        payer.address,
        DEPT_CITIZENS,
        cash_citizens.address,
        FEE_AMOUNT,
        1,
    )
    assert plain(tx.events["AuthorizationUsed"].values()) == (
        payer.address,
        "0x" + payment["nonce"].hex(),
    )
    payer_of, paid_at, amount, version = plain(fees.paymentOf(RESIDENCE_FEE, ref))
    assert (payer_of, amount, version) == (payer.address, FEE_AMOUNT, 1)
    assert paid_at == chain[tx.block_number].timestamp
    assert fees.authorizationState(payer.address, payment["nonce"]) is True


def test_unpaid_request_has_empty_receipt(fees):
    assert plain(fees.paymentOf(RESIDENCE_FEE, b32("nothing"))) == (ZERO_ADDRESS, 0, 0, 0)


def test_front_run_permit_does_not_fail_the_payment(fees, token, payer, relayer, stranger):
    payment = fee_payment(payer)
    permit = permit_for(token, payer, fees, FEE_AMOUNT)
    value, deadline, v, r, s = permit
    token.permit(
        payer.address, fees, value, deadline, v, r, s, {"from": stranger}
    )  # the front-runner
    tx = fees.payFee(
        as_fee_tuple(payment), sign_fee(fees, payer, payment), permit, {"from": relayer}
    )
    assert "FeePaid" in tx.events and token.allowance(payer.address, fees) == 0


def test_existing_allowance_pays_without_permit(fees, token, payer, relayer):
    value, deadline, v, r, s = permit_for(token, payer, fees, 2 * FEE_AMOUNT)
    token.permit(payer.address, fees, value, deadline, v, r, s, {"from": relayer})
    pay(fees, token, payer, relayer, permit=False)
    pay(fees, token, payer, relayer, permit=False)
    assert token.balanceOf(payer.address) == 10_000 - 2 * FEE_AMOUNT


def test_expired_permit_without_allowance_reverts(fees, token, payer, relayer):
    payment = fee_payment(payer)
    deadline = chain[-1].timestamp - 1
    permit = permit_for(token, payer, fees, FEE_AMOUNT, deadline=deadline)
    with brownie.reverts(err("ERC2612ExpiredSignature(uint256)", deadline)):
        fees.payFee(
            as_fee_tuple(payment), sign_fee(fees, payer, payment), permit, {"from": relayer}
        )


def test_permit_of_wrong_signer_reverts(fees, token, payer, other_payer, relayer):
    payment = fee_payment(payer)
    permit = permit_for(token, payer, fees, FEE_AMOUNT, signer=other_payer)
    with brownie.reverts(
        err("ERC2612InvalidSigner(address,address)", other_payer.address, payer.address)
    ):
        fees.payFee(
            as_fee_tuple(payment), sign_fee(fees, payer, payment), permit, {"from": relayer}
        )


def test_permit_for_less_than_the_fee_reverts(fees, token, payer, relayer):
    payment = fee_payment(payer)
    permit = permit_for(token, payer, fees, FEE_AMOUNT - 1)
    with brownie.reverts(
        err(
            "ERC20InsufficientAllowance(address,uint256,uint256)",
            fees.address,
            FEE_AMOUNT - 1,
            FEE_AMOUNT,
        )
    ):
        fees.payFee(
            as_fee_tuple(payment), sign_fee(fees, payer, payment), permit, {"from": relayer}
        )


def test_payment_signed_by_someone_else_reverts(fees, token, payer, other_payer, relayer):
    with brownie.reverts(err("PaymentsInvalidSignature(address)", payer.address)):
        pay(fees, token, payer, relayer, signer=other_payer)


def test_payment_signed_for_another_chain_reverts(fees, token, payer, relayer):
    payment = fee_payment(payer)
    foreign = fee_schedule_domain(1, fees.address).digest_of(FEE_PAYMENT, payment)
    signature = "0x" + sign_digest(payer.private_key, foreign).hex()
    with brownie.reverts(err("PaymentsInvalidSignature(address)", payer.address)):
        fees.payFee(
            as_fee_tuple(payment),
            signature,
            permit_for(token, payer, fees, FEE_AMOUNT),
            {"from": relayer},
        )


def test_expired_authorization_reverts(fees, token, payer, relayer):
    deadline = chain[-1].timestamp - 1
    payment = fee_payment(payer, deadline=deadline)
    with pytest.raises(brownie.exceptions.VirtualMachineError) as failure:
        pay(fees, token, payer, relayer, payment)
    assert failure.value.revert_msg.startswith(f"PaymentsAuthorizationExpired: {deadline}, ")


def test_replayed_authorization_reverts(fees, token, payer, relayer):
    payment = fee_payment(payer)
    pay(fees, token, payer, relayer, payment)
    replay = dict(payment, requestRef=b"\x01" * 32)  # same nonce, another request: signed anew
    with brownie.reverts(
        err("PaymentsAuthorizationUsed(address,bytes32)", payer.address, payment["nonce"])
    ):
        pay(fees, token, payer, relayer, replay)


def test_request_is_paid_only_once(fees, token, payer, other_payer, relayer):
    ref = b"\x07" * 32
    pay(fees, token, payer, relayer, fee_payment(payer, request_ref=ref))
    with brownie.reverts(
        err("FeeScheduleAlreadyPaid(bytes32,bytes32,address)", RESIDENCE_FEE, ref, payer.address)
    ):
        pay(fees, token, other_payer, relayer, fee_payment(other_payer, request_ref=ref))


def test_amount_other_than_the_fee_reverts(fees, token, payer, relayer):
    payment = fee_payment(payer, amount=FEE_AMOUNT - 100)
    with brownie.reverts(
        err(
            "FeeScheduleAmountMismatch(bytes32,uint256,uint256)",
            RESIDENCE_FEE,
            FEE_AMOUNT - 100,
            FEE_AMOUNT,
        )
    ):
        pay(fees, token, payer, relayer, payment)


def test_fee_changed_after_signing_reverts(fees, token, payer, relayer, council):
    payment = fee_payment(payer)
    fees.setService(RESIDENCE_FEE, service_terms(amount=FEE_AMOUNT + 1), {"from": council})
    with brownie.reverts(
        err(
            "FeeScheduleAmountMismatch(bytes32,uint256,uint256)",
            RESIDENCE_FEE,
            FEE_AMOUNT,
            FEE_AMOUNT + 1,
        )
    ):
        pay(fees, token, payer, relayer, payment)


def test_inactive_unknown_and_tariff_services_revert(fees, token, payer, relayer, council):
    with brownie.reverts(err("FeeScheduleUnknownService(bytes32)", UNKNOWN)):
        pay(fees, token, payer, relayer, fee_payment(payer, service_id=UNKNOWN))
    with brownie.reverts(err("FeeScheduleNotAFee(bytes32)", PARK_ZONE5)):
        pay(fees, token, payer, relayer, fee_payment(payer, service_id=PARK_ZONE5, amount=RATE))
    fees.setService(RESIDENCE_FEE, service_terms(active=False), {"from": council})
    with brownie.reverts(err("FeeScheduleServiceInactive(bytes32)", RESIDENCE_FEE)):
        pay(fees, token, payer, relayer)


def test_zero_request_ref_reverts(fees, token, payer, relayer):
    with brownie.reverts(err("FeeScheduleInvalidRequestRef(bytes32)", ZERO32)):
        pay(fees, token, payer, relayer, fee_payment(payer, request_ref=b"\0" * 32))


def test_department_without_payee_reverts(FeeSchedule, directory, token, council, payer, relayer):
    fresh = FeeSchedule.deploy(directory, token, {"from": council})
    fresh.setService(RESIDENCE_FEE, service_terms(), {"from": council})
    with brownie.reverts(err("FeeScheduleNoPayee(bytes32)", DEPT_CITIZENS)):
        pay(fresh, token, payer, relayer)


def test_paused_token_stops_payments(fees, token, payer, relayer, council):
    token.pause({"from": council})
    with brownie.reverts(err("EnforcedPause()")):
        pay(fees, token, payer, relayer)


def test_cancelled_authorization_cannot_pay(fees, token, payer, relayer, stranger):
    payment = fee_payment(payer)
    tx = fees.cancelAuthorization(
        payer.address,
        payment["nonce"],
        sign_cancel(fees, fee_schedule_domain, payer, payment["nonce"]),
        {"from": stranger},
    )
    assert plain(tx.events["AuthorizationCanceled"].values()) == (
        payer.address,
        "0x" + payment["nonce"].hex(),
    )
    with brownie.reverts(
        err("PaymentsAuthorizationUsed(address,bytes32)", payer.address, payment["nonce"])
    ):
        pay(fees, token, payer, relayer, payment)


def test_cancel_signed_by_someone_else_reverts(fees, payer, other_payer, stranger):
    nonce = b"\x05" * 32
    with brownie.reverts(err("PaymentsInvalidSignature(address)", payer.address)):
        fees.cancelAuthorization(
            payer.address,
            nonce,
            sign_cancel(fees, fee_schedule_domain, other_payer, nonce),
            {"from": stranger},
        )


def test_contract_wallet_pays_with_erc1271(
    TestERC1271Owner, fees, token, payer, relayer, treasury, council
):
    """A contract wallet (ERC-1271) signs through its owner key; it pre-approved the schedule."""
    wallet = TestERC1271Owner.deploy(payer.address, {"from": council})
    token.mint(wallet, FEE_AMOUNT, {"from": treasury})
    # The wallet contract cannot sign a permit; its allowance comes from an approve it sent itself
    # (anvil lets the test send as the contract's address).
    web3 = brownie.web3
    web3.provider.make_request("anvil_impersonateAccount", [wallet.address])
    tx_hash = web3.eth.send_transaction(
        {
            "from": wallet.address,
            "to": token.address,
            "data": token.approve.encode_input(fees, FEE_AMOUNT),
            "gasPrice": 0,
        }
    )
    assert web3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1
    web3.provider.make_request("anvil_stopImpersonatingAccount", [wallet.address])
    payment = dict(fee_payment(payer), payer=wallet.address)
    tx = fees.payFee(
        as_fee_tuple(payment), sign_fee(fees, payer, payment), NO_PERMIT, {"from": relayer}
    )
    assert tx.events["FeePaid"]["payer"] == wallet and token.balanceOf(wallet) == 0
