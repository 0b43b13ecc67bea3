"""Council decisions by intent: built into calls from the manifest, read back from calldata, made
on the real chain."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.codes import code_to_bytes32
from registry_core.council import (
    ADD_DEPARTMENT,
    INTENTS,
    RENAME_DEPARTMENT,
    CouncilIntentError,
    chain_view,
    decide,
    decide_missing,
    decode_decision,
)
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient

SAMPLE: dict[str, Any] = {
    "department": "FB40",
    "name": "Kulturamt / Culture Office",
    "account": Account.create().address,
    "member": Account.create().address,
    "credential_type": "RESIDENCE_CERT",
    "schema_hash": "0x" + "ab" * 32,
    "valid_from": 0,
    "valid_until": 1_900_000_000,
    "accreditation": 7,
    "threshold": 2,
    "validator": Account.create().address,
    "service": "PARK_ZONE5",
    "amount": 1_200,
    "name_de": "Parken Zone 5",
    "name_en": "Parking zone 5",
    "zone": "ZONE5",
    "rate": 5,
    "unit_seconds": 60,
}


def test_every_intent_reads_back_from_its_own_calldata(city: DeploymentManifest) -> None:
    for intent in INTENTS.values():
        if intent.contract not in city.contracts:
            continue  # ValidatorSet: only on a Besu network (tests/scripts/test_network_chain.py)
        decision = intent.decide(**{p.name: SAMPLE[p.name] for p in intent.params})
        target, data = decision.call(city)
        assert target == city.address(intent.contract)
        assert decode_decision(city, target, data) == decision, intent.name
        assert decision.describe("de") and decision.describe("en"), intent.name
        assert "{" not in decision.description(), decision.description()


def test_a_command_line_gives_the_same_decision_as_keywords() -> None:
    parsed = ADD_DEPARTMENT.parse(["FB40", "Kulturamt / Culture Office"])
    assert parsed == ADD_DEPARTMENT.decide(department="FB40", name="Kulturamt / Culture Office")
    assert INTENTS["change-threshold"].parse(["3"]).args == {"threshold": 3}
    assert parsed.describe("de") == "Dienststelle FB40 anlegen (Kulturamt / Culture Office)"


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("add-department", {"department": "FB40"}, "takes department, name"),
        ("add-account", {"department": "FB40", "account": "0x1234"}, "not an address"),
        ("add-department", {"department": "X" * 33, "name": "n"}, "1-32 bytes"),
        ("change-threshold", {"threshold": -1}, "negative"),
        ("define-credential-type", {"credential_type": "T", "name": "n", "schema_hash": "0x12"},
         "32-byte"),
    ],
)  # fmt: skip
def test_arguments_that_do_not_fit_are_refused(
    name: str, args: dict[str, Any], message: str
) -> None:
    with pytest.raises(CouncilIntentError, match=message):
        INTENTS[name].decide(**args)


def test_calldata_that_is_no_council_decision_is_refused(city: DeploymentManifest) -> None:
    hub = city.contract("RegisterHub")
    with pytest.raises(CouncilIntentError, match="no council decision"):
        decode_decision(city, hub.address, hub.interface.encode_call("MAX_CALLS"))
    with pytest.raises(CouncilIntentError, match="none of the city's governed"):
        decode_decision(city, Account.create().address, b"\x01\x02\x03\x04")
    with pytest.raises(CouncilIntentError, match="no call of"):
        decode_decision(city, hub.address, b"\xde\xad\xbe\xef")


def test_a_decision_made_on_chain_is_proposed_with_its_description_and_reads_back(
    node_rpc: RpcClient, city: DeploymentManifest, council_keys: list[LocalAccount]
) -> None:
    added = ADD_DEPARTMENT.decide(department="INTENT1", name="Intent test / Intent test")
    renamed = RENAME_DEPARTMENT.decide(department="INTENT1", name="Renamed / Umbenannt")
    assert decide_missing(rpc=node_rpc, manifest=city, members=council_keys, decisions=[added]) == 1
    assert decide_missing(rpc=node_rpc, manifest=city, members=council_keys, decisions=[added]) == 0
    receipt = decide(rpc=node_rpc, manifest=city, members=council_keys, decision=renamed)
    assert receipt["status"] == "0x1"
    council = city.contract("CityCouncil")
    count = chain_view(node_rpc, city)("CityCouncil", "proposalCount")
    _, target, _, data, _, _, _ = chain_view(node_rpc, city)("CityCouncil", "proposal", count)
    assert decode_decision(city, target, bytes(data)) == renamed
    logs = node_rpc.get_logs(address=council.address, from_block=0)
    created = [council.interface.decode_log(log) for log in logs]
    descriptions = [e.args["description"] for e in created if e and e.name == "ProposalCreated"]
    assert descriptions[-1] == renamed.description()
    name, active, _ = chain_view(node_rpc, city)(
        "DepartmentDirectory", "department", code_to_bytes32("INTENT1")
    )
    assert (name, active) == ("Renamed / Umbenannt", True)
