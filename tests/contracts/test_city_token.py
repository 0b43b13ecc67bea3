"""CityToken: cents, roles (treasury granted by the council), pause, EIP-2612 permit, ERC-5267."""

import brownie
import pytest
from brownie import chain
from credential_fixtures import ZERO_ADDRESS, plain
from payments_fixtures import (
    TREASURY_ROLE,
    council,
    err,
    isolation,
    other_payer,
    payer,
    permit_for,
    relayer,
    stranger,
    token,
    treasury,
)

ADMIN_ROLE = "0x" + "00" * 32


def test_zero_council_reverts(CityToken, council):
    with brownie.reverts(err("CityTokenInvalidCouncil(address)", ZERO_ADDRESS)):
        CityToken.deploy(ZERO_ADDRESS, {"from": council})


def test_metadata_is_cents(token):
    assert (token.name(), token.symbol(), token.decimals()) == ("City Token", "CITY", 2)


def test_eip712_domain_describes_the_permit_domain(token):
    fields, name, version, chain_id, contract, salt, extensions = token.eip712Domain()
    assert (fields, name, version, chain_id, contract) == (
        "0x0f",
        "City Token",
        "1",
        chain.id,
        token.address,
    )
    assert (salt, list(extensions)) == ("0x" + "00" * 32, [])


def test_council_holds_admin_and_grants_treasury(token, council, treasury):
    assert token.hasRole(ADMIN_ROLE, council) is True
    assert token.hasRole(TREASURY_ROLE, treasury) is True
    assert token.TREASURY_ROLE() == TREASURY_ROLE


def test_grant_by_non_admin_reverts(token, stranger):
    with brownie.reverts(
        err("AccessControlUnauthorizedAccount(address,bytes32)", stranger.address, ADMIN_ROLE)
    ):
        token.grantRole(TREASURY_ROLE, stranger, {"from": stranger})


def test_treasury_mints_and_burns(token, treasury, payer):
    tx = token.mint(treasury, 500, {"from": treasury})
    assert plain(tx.events["Transfer"].values()) == (ZERO_ADDRESS, treasury, 500)
    supply = token.totalSupply()
    tx = token.burn(200, {"from": treasury})
    assert plain(tx.events["Transfer"].values()) == (treasury, ZERO_ADDRESS, 200)
    assert (token.balanceOf(treasury), token.totalSupply()) == (300, supply - 200)


@pytest.mark.parametrize("action", ["mint", "burn"])
def test_mint_and_burn_by_others_revert(token, council, stranger, action):
    for caller in (council, stranger):  # not even the council mints: only the treasury role does
        with brownie.reverts(
            err("AccessControlUnauthorizedAccount(address,bytes32)", caller.address, TREASURY_ROLE)
        ):
            if action == "mint":
                token.mint(caller, 1, {"from": caller})
            else:
                token.burn(1, {"from": caller})


def test_revoked_treasury_cannot_mint(token, council, treasury):
    token.revokeRole(TREASURY_ROLE, treasury, {"from": council})
    with brownie.reverts(
        err("AccessControlUnauthorizedAccount(address,bytes32)", treasury.address, TREASURY_ROLE)
    ):
        token.mint(treasury, 1, {"from": treasury})


def test_pause_stops_transfers_and_mints(token, council, treasury, payer, relayer):
    token.mint(treasury, 100, {"from": treasury})
    tx = token.pause({"from": council})
    assert tx.events["Paused"]["account"] == council
    with brownie.reverts(err("EnforcedPause()")):
        token.transfer(relayer, 1, {"from": treasury})
    with brownie.reverts(err("EnforcedPause()")):
        token.mint(treasury, 1, {"from": treasury})
    # a permit only sets an allowance: it still works while paused
    token.permit(
        payer.address, relayer, 5, *permit_for(token, payer, relayer, 5)[1:], {"from": relayer}
    )
    assert token.allowance(payer.address, relayer) == 5
    with brownie.reverts(err("EnforcedPause()")):
        token.transferFrom(payer.address, relayer, 5, {"from": relayer})
    token.unpause({"from": council})
    token.transfer(relayer, 1, {"from": treasury})
    assert token.balanceOf(relayer) == 1


def test_pause_by_others_reverts(token, treasury, stranger):
    for caller in (treasury, stranger):
        with brownie.reverts(
            err("AccessControlUnauthorizedAccount(address,bytes32)", caller.address, ADMIN_ROLE)
        ):
            token.pause({"from": caller})


def test_unpause_when_not_paused_reverts(token, council):
    with brownie.reverts(err("ExpectedPause()")):
        token.unpause({"from": council})


# -- EIP-2612 permit ---------------------------------------------------------------------------


def test_permit_sets_allowance_for_a_payer_without_eth(token, payer, relayer):
    value, deadline, v, r, s = permit_for(token, payer, relayer, 1_234)
    tx = token.permit(payer.address, relayer, value, deadline, v, r, s, {"from": relayer})
    assert plain(tx.events["Approval"].values()) == (payer.address, relayer, 1_234)
    assert (token.allowance(payer.address, relayer), token.nonces(payer.address)) == (1_234, 1)
    assert brownie.web3.eth.get_balance(payer.address) == 0


def test_expired_permit_reverts(token, payer, relayer):
    deadline = chain[-1].timestamp - 1
    _, _, v, r, s = permit_for(token, payer, relayer, 10, deadline=deadline)
    with brownie.reverts(err("ERC2612ExpiredSignature(uint256)", deadline)):
        token.permit(payer.address, relayer, 10, deadline, v, r, s, {"from": relayer})


def test_permit_by_wrong_signer_reverts(token, payer, other_payer, relayer):
    value, deadline, v, r, s = permit_for(token, payer, relayer, 10, signer=other_payer)
    with brownie.reverts(
        err("ERC2612InvalidSigner(address,address)", other_payer.address, payer.address)
    ):
        token.permit(payer.address, relayer, value, deadline, v, r, s, {"from": relayer})


def test_permit_replay_reverts(token, payer, relayer):
    value, deadline, v, r, s = permit_for(token, payer, relayer, 10)
    token.permit(payer.address, relayer, value, deadline, v, r, s, {"from": relayer})
    # the nonce moved on: the same signature now recovers another (wrong) signer
    with pytest.raises(brownie.exceptions.VirtualMachineError) as failure:
        token.permit(payer.address, relayer, value, deadline, v, r, s, {"from": relayer})
    assert failure.value.revert_msg.startswith("ERC2612InvalidSigner:"), failure.value.revert_msg
