"""did:ethr identifiers and documents built from ERC-1056 events (as ethr-did-resolver builds them)."""

from __future__ import annotations

import pytest
from eth_account import Account

from registry_core.did import DidError, DidEvent, DidHistory, make_did, parse_did

CHAIN = 52062
ALICE = Account.create().address
BOB = Account.create().address
CAROL = Account.create().address


def test_did_uses_the_chain_id_in_hex_as_network_id() -> None:
    did = make_did(ALICE, CHAIN)
    assert did == f"did:ethr:0xcb5e:{ALICE.lower()}"
    parsed = parse_did(f"did:ethr:0xcb5e:0x{ALICE[2:].upper()}")
    assert parsed.chain_id == CHAIN and parsed.address == ALICE


def test_mainnet_did_has_no_network_id() -> None:
    assert make_did(ALICE, 1) == f"did:ethr:{ALICE.lower()}"
    assert parse_did(f"did:ethr:{ALICE.lower()}").chain_id == 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "did:web:example.com",
        "did:ethr:0xcb5e:0x1234",
        "did:ethr:moon:" + "0x" + "1" * 40,
        "x" * 500,
    ],
)
def test_malformed_dids_are_refused(text: str) -> None:
    with pytest.raises(DidError):
        parse_did(text)


def _history(*events: DidEvent) -> DidHistory:
    return DidHistory(parse_did(make_did(ALICE, CHAIN)), tuple(events), 100)


def test_document_without_events_has_the_identity_as_controller() -> None:
    resolution = _history().document()
    doc = resolution.document
    did = make_did(ALICE, CHAIN)
    assert doc["verificationMethod"] == [
        {
            "id": f"{did}#controller",
            "type": "EcdsaSecp256k1RecoveryMethod2020",
            "controller": did,
            "blockchainAccountId": f"eip155:{CHAIN}:{ALICE}",
        }
    ]
    assert doc["authentication"] == [f"{did}#controller"]
    assert doc["assertionMethod"] == [f"{did}#controller"]
    assert resolution.signers == {ALICE.lower()}


def test_owner_change_moves_the_controller_and_as_of_resolution_keeps_the_old_one() -> None:
    history = _history(DidEvent("owner", 10, 0, owner=BOB))
    assert history.document().signers == {BOB.lower()}
    assert history.document(block=9).signers == {ALICE.lower()}
    assert history.document(block=10).version_block == 10


def test_delegates_and_attributes_are_numbered_like_ethr_did_resolver() -> None:
    far = 2**64
    history = _history(
        DidEvent("delegate", 5, 0, name="veriKey", value=BOB.lower(), valid_to=far),
        DidEvent("delegate", 6, 0, name="sigAuth", value=CAROL.lower(), valid_to=far),
        DidEvent(
            "attribute",
            7,
            0,
            name="did/pub/Secp256k1/veriKey/hex",
            value="0x02" + "ab" * 32,
            valid_to=far,
        ),
        DidEvent(
            "attribute",
            8,
            0,
            name="did/svc/HubService",
            value="0x" + b"https://hub.example".hex(),
            valid_to=far,
        ),
    )
    doc = history.document(timestamp=1_000).document
    did = make_did(ALICE, CHAIN)
    ids = [m["id"] for m in doc["verificationMethod"]]
    assert ids == [
        f"{did}#controller",
        f"{did}#delegate-1",
        f"{did}#delegate-2",
        f"{did}#delegate-3",
    ]
    assert doc["verificationMethod"][3]["type"] == "EcdsaSecp256k1VerificationKey2019"
    assert doc["verificationMethod"][3]["publicKeyHex"] == "02" + "ab" * 32
    assert doc["authentication"] == [f"{did}#controller", f"{did}#delegate-2"]
    assert doc["service"] == [
        {"id": f"{did}#service-1", "type": "HubService", "serviceEndpoint": "https://hub.example"}
    ]


def test_revoked_delegate_disappears_but_still_counts() -> None:
    far = 2**64
    history = _history(
        DidEvent("delegate", 5, 0, name="veriKey", value=BOB.lower(), valid_to=far),
        DidEvent("delegate", 6, 0, name="veriKey", value=BOB.lower(), valid_to=0),
        DidEvent("delegate", 7, 0, name="veriKey", value=CAROL.lower(), valid_to=far),
    )
    resolution = history.document(timestamp=1_000)
    assert [m["id"].split("#")[1] for m in resolution.document["verificationMethod"]] == [
        "controller",
        "delegate-3",
    ]
    assert BOB.lower() not in resolution.signers
    assert history.document(block=5, timestamp=1_000).signers == {ALICE.lower(), BOB.lower()}


def test_expired_delegate_is_judged_at_the_given_time() -> None:
    history = _history(
        DidEvent("delegate", 5, 0, name="veriKey", value=BOB.lower(), valid_to=2_000)
    )
    assert BOB.lower() in history.document(timestamp=1_999).signers
    assert BOB.lower() not in history.document(timestamp=2_000 + 1).signers


def test_owner_zero_deactivates() -> None:
    history = _history(DidEvent("owner", 10, 0, owner="0x" + "0" * 40))
    resolution = history.document()
    assert resolution.deactivated and resolution.signers == frozenset()
    assert not resolution.can_assert(address=ALICE)


def test_history_json_round_trip() -> None:
    history = _history(
        DidEvent("delegate", 5, 1, name="veriKey", value=BOB.lower(), valid_to=2**200)
    )
    assert DidHistory.from_json(history.to_json()) == history
