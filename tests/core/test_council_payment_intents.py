"""The council's payment decisions by intent, made on the real chain: treasury role, fees and
tariffs (struct arguments), payees, pausing the token; each idempotent for seeding."""

from __future__ import annotations

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.codes import code_to_bytes32
from registry_core.council import (
    ADD_DEPARTMENT,
    GRANT_TREASURY,
    PAUSE_TOKEN,
    SET_FEE,
    SET_PAYEE,
    SET_TARIFF,
    UNPAUSE_TOKEN,
    chain_view,
    decide,
    decide_missing,
    decode_decision,
)
from registry_core.council.intents import TREASURY_ROLE
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient


def test_fee_and_tariff_decisions_set_the_schedule_and_read_back(
    node_rpc: RpcClient, city: DeploymentManifest, council_keys: list[LocalAccount]
) -> None:
    payee = Account.create().address
    decisions = [
        ADD_DEPARTMENT.decide(department="FBPAY", name="Kasse / Treasury"),
        SET_FEE.decide(
            service="PAYTEST_FEE", department="FBPAY", amount=750,
            name_de="Testgebühr", name_en="Test fee",
        ),
        SET_TARIFF.decide(
            service="PAYTEST_PARK", department="FBPAY", zone="ZONE9", rate=4, unit_seconds=60,
            name_de="Parken Zone 9", name_en="Parking zone 9",
        ),
        SET_PAYEE.decide(department="FBPAY", account=payee),
    ]  # fmt: skip
    assert (
        decide_missing(rpc=node_rpc, manifest=city, members=council_keys, decisions=decisions) == 4
    )
    assert (
        decide_missing(rpc=node_rpc, manifest=city, members=council_keys, decisions=decisions) == 0
    )
    view = chain_view(node_rpc, city)
    dept = code_to_bytes32("FBPAY")
    fee_terms, fee_version = view("FeeSchedule", "service", code_to_bytes32("PAYTEST_FEE"))
    assert (tuple(fee_terms), fee_version) == (
        (dept, 750, 0, b"\0" * 32, True, False, "Testgebühr", "Test fee"),
        1,
    )
    tariff = view("FeeSchedule", "tariff", code_to_bytes32("PAYTEST_PARK"))
    assert tuple(tariff) == (dept, code_to_bytes32("ZONE9"), 4, 60, 1, True)
    assert view("FeeSchedule", "payeeOf", dept) == payee
    for decision in decisions[1:]:
        target, data = decision.call(city)
        assert decode_decision(city, target, data) == decision, decision.intent.name


def test_treasury_and_pause_decisions(
    node_rpc: RpcClient, city: DeploymentManifest, council_keys: list[LocalAccount]
) -> None:
    treasurer = Account.create().address
    grant = GRANT_TREASURY.decide(account=treasurer)
    assert decide_missing(rpc=node_rpc, manifest=city, members=council_keys, decisions=[grant]) == 1
    view = chain_view(node_rpc, city)
    assert view("CityToken", "hasRole", TREASURY_ROLE, treasurer) is True
    assert grant.in_effect(view)
    decide(rpc=node_rpc, manifest=city, members=council_keys, decision=PAUSE_TOKEN.decide())
    assert view("CityToken", "paused") is True
    decide(rpc=node_rpc, manifest=city, members=council_keys, decision=UNPAUSE_TOKEN.decide())
    assert view("CityToken", "paused") is False
    assert "Stadtkasse" in grant.describe("de") and "treasury" in grant.describe("en")
