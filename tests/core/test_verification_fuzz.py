"""verify() never raises for bad input: random text and mutated genuine payloads give a verdict."""

from __future__ import annotations

import time

from eth_account import Account
from hypothesis import example, given, settings
from hypothesis import strategies as st

from registry_core.codes import code_to_bytes32
from registry_core.did import DidHistory, make_did, parse_did
from registry_core.qr import decode_payload, encode_payload
from registry_core.vc import Envelope, issue_credential, status_entry
from registry_core.verification import CHECK_NAMES, AnchorInfo, verify

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
DEPARTMENT = code_to_bytes32("FB33")
ISSUER = Account.create()
JWT = issue_credential(
    issuer_did=make_did(ISSUER.address, 52062),
    subject_did=make_did(Account.create().address, 52062),
    vc_type="ResidenceCertificate",
    claims={
        "givenName": "Erika",
        "familyName": "Mustermann",
        "birthDate": "1964-08-12",
        "address": "Markt 1",
    },
    status=status_entry(chain_id=52062, registry=REGISTRY, type_code="RESIDENCE_CERT"),
    private_key=bytes(ISSUER.key),
    valid_until=int(time.time()) + 86400,
)
PAYLOAD = encode_payload(JWT)


class Bundle:
    """A minimal offline source that knows the one genuine credential above."""

    mode = "offline"
    chain_id = 52062
    status_registry = REGISTRY
    anchor_window = 3600
    max_age = None  # this fake's status never ages (the bundle time lies in 2023)

    def knowledge(self) -> tuple[int | None, int | None]:
        return 10, 1_700_000_000

    def did_history(self, did: str, *, min_block: int | None) -> DidHistory:
        return DidHistory(parse_did(did), (), 10)

    def anchor(self, credential_hash: bytes, envelope: Envelope, department: bytes) -> AnchorInfo:
        if credential_hash == Envelope(JWT).credential_hash and department == DEPARTMENT:
            return AnchorInfo(
                1, DEPARTMENT, code_to_bytes32("RESIDENCE_CERT"), 5, 1_700_000_000, 0, 0
            )
        return AnchorInfo(0, b"\0" * 32, b"\0" * 32, 0, 0, 0, 0)

    def department_of(self, address: str) -> bytes:
        return DEPARTMENT if address.lower() == ISSUER.address.lower() else b"\0" * 32

    def is_accredited(self, department: bytes, type_id_: bytes, at: int) -> bool:
        return department == DEPARTMENT and type_id_ == code_to_bytes32("RESIDENCE_CERT")


def test_the_genuine_payload_is_valid() -> None:
    result = verify(PAYLOAD, Bundle())
    assert result.valid, result.checks


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
@example("CRV1:" + PAYLOAD[5:-3])
@example(JWT + "~")
@example(JWT + "~AAAA")
@example(JWT.replace(".", "..", 1))
def test_random_text_gets_a_verdict(text: str) -> None:
    result = verify(text, Bundle())
    assert [c.name for c in result.checks] == list(CHECK_NAMES)
    assert not result.valid


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=5, max_value=len(PAYLOAD) - 1),
    st.sampled_from("0123456789ABCXYZ $%*+-./:"),
)
def test_one_changed_character_passes_only_if_the_credential_is_unchanged(
    position: int, character: str
) -> None:
    """A changed character may hit bits the decoder ignores (deflate's padding bits in its last
    byte): then the credential read is the same one and may verify; any other change fails."""
    mutated = PAYLOAD[:position] + character + PAYLOAD[position + 1 :]
    result = verify(mutated, Bundle())
    if result.valid:
        assert decode_payload(mutated) == JWT
