"""Issuing, anchoring and verifying credentials against the real chain behind the real gateway."""

from __future__ import annotations

import time

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.council import ACCREDIT_TYPE, ADD_ACCOUNT, ADD_DEPARTMENT, decide
from registry_core.credential_types import CREDENTIAL_TYPES
from registry_core.did import make_did
from registry_core.issuance import CredentialRequest
from registry_core.qr import encode_payload
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from registry_core.trust import TrustBundleError, build_trust_bundle
from registry_core.trust_tables import encode_statuses, pack
from registry_core.vc import (
    b64url,
    b64url_decode,
    create_presentation,
    issue_credential,
    status_entry,
)
from registry_core.verification import ChainSource, TrustBundle, VerificationResult, verify
from tests.credential_fixtures import CredentialCity

RESIDENCE = {
    "givenName": "Erika",
    "familyName": "Mustermann",
    "birthDate": "1964-08-12",
    "address": "Markt 1, 52062 Aachen",
}


def _statuses(result: VerificationResult) -> dict[str, str]:
    return {c.name: c.status for c in result.checks}


def _assert_valid(result: VerificationResult) -> None:
    assert result.valid, [c for c in result.checks if c.status != "passed"]
    assert all(s == "passed" for n, s in _statuses(result).items() if n != "holder")


def test_issued_credential_verifies_online_with_every_check(
    credential_city: CredentialCity, gateway_rpc: RpcClient, chain_source: ChainSource, holder
) -> None:
    issuer = credential_city.issuer(gateway_rpc, "FB33")
    issued = issuer.issue(
        "RESIDENCE_CERT", CredentialRequest(make_did(holder.address, 52062), RESIDENCE)
    )
    result = verify(encode_payload(issued.envelope.serialize()), chain_source)
    _assert_valid(result)
    assert result.credential["issuer_department"] == "FB33"
    assert result.credential["type"] == "RESIDENCE_CERT"
    assert result.credential["anchored_block"] == issued.block
    assert "givenName" not in str(result.credential)  # no personal data in the summary
    assert result.check("holder").status == "skipped"


def test_revoked_then_suspended_and_resumed(
    credential_city: CredentialCity, gateway_rpc: RpcClient, chain_source: ChainSource, holder
) -> None:
    issuer = credential_city.issuer(gateway_rpc, "FB33")
    did = make_did(holder.address, 52062)
    first = issuer.issue("RESIDENCE_CERT", CredentialRequest(did, RESIDENCE))
    issuer.change_status(credential_hash=first.credential_hash, action="suspend", reason_code=6)
    suspended = verify(first.jwt, chain_source)
    assert not suspended.valid and suspended.reason == "suspended"
    issuer.change_status(credential_hash=first.credential_hash, action="resume", reason_code=8)
    _assert_valid(verify(first.jwt, chain_source))
    issuer.change_status(credential_hash=first.credential_hash, action="revoke", reason_code=4)
    revoked = verify(first.jwt, chain_source)
    assert not revoked.valid and revoked.reason == "revoked"
    assert "widerrufen" in revoked.check("status").reason_de
    assert "revoked (superseded)" in revoked.check("status").reason_en


def test_batch_members_verify_with_their_proof_and_can_be_revoked(
    credential_city: CredentialCity, gateway_rpc: RpcClient, chain_source: ChainSource
) -> None:
    issuer = credential_city.issuer(gateway_rpc, "FB32")
    requests = [
        CredentialRequest(
            make_did(Account.create().address, 52062),
            {"licensePlate": f"AC-AB {100 + i}", "zone": "A1"},
        )
        for i in range(5)
    ]
    issued = issuer.issue_batch("PARKING_PERMIT", requests)
    assert len({i.tx_hash for i in issued}) == 1
    for item in issued:
        _assert_valid(verify(encode_payload(item.envelope.serialize()), chain_source))
    # Without its proof a batch member is unknown to the registry.
    assert verify(issued[0].jwt, chain_source).reason == "not-anchored"
    victim = issued[2].envelope
    issuer.change_status(
        credential_hash=victim.credential_hash, action="revoke", reason_code=9, batch=victim.batch
    )
    assert verify(victim.serialize(), chain_source).reason == "revoked"
    _assert_valid(verify(issued[3].envelope.serialize(), chain_source))


def test_tampered_credential_fails_signature_and_anchor(
    credential_city: CredentialCity, gateway_rpc: RpcClient, chain_source: ChainSource, holder
) -> None:
    issued = credential_city.issuer(gateway_rpc, "FB33").issue(
        "RESIDENCE_CERT", CredentialRequest(make_did(holder.address, 52062), RESIDENCE)
    )
    header, payload, signature = issued.jwt.split(".")
    forged = b64url(b64url_decode(payload).replace(b"Mustermann", b"Musterfrau"))
    result = verify(encode_payload(f"{header}.{forged}.{signature}"), chain_source)
    statuses = _statuses(result)
    assert not result.valid
    assert statuses["signature"] == "failed" and statuses["anchored"] == "failed"
    assert result.check("anchored").code == "not-anchored"


def test_department_not_accredited_for_the_claimed_type(
    credential_city: CredentialCity, gateway_rpc: RpcClient, chain_source: ChainSource, holder
) -> None:
    """Public order (FB32, parking permits only) signs a registration certificate and anchors it
    as a parking permit, the only type the chain lets it anchor."""
    key = credential_city.keys["FB32"]
    jwt = issue_credential(
        issuer_did=make_did(key.address, 52062),
        subject_did=make_did(holder.address, 52062),
        vc_type="ResidenceCertificate",
        claims=RESIDENCE,
        status=status_entry(
            chain_id=52062,
            registry=credential_city.manifest.address("CredentialStatusRegistry"),
            type_code="RESIDENCE_CERT",
        ),
        private_key=bytes(key.key),
        valid_until=int(time.time()) + 3600,
    )
    status = credential_city.manifest.contract("CredentialStatusRegistry")
    from registry_core.vc import credential_hash

    Signer(key, gateway_rpc).transact(
        to=status.address,
        data=status.interface.encode_call(
            "anchorCredential", credential_hash(jwt), CREDENTIAL_TYPES["PARKING_PERMIT"].type_id
        ),
        interface=status.interface,
    )
    result = verify(jwt, chain_source)
    assert not result.valid and result.reason == "not-accredited"
    assert "FB32" in result.check("accreditation").reason_en


def test_expired_credential(
    credential_city: CredentialCity, gateway_rpc: RpcClient, chain_source: ChainSource, holder
) -> None:
    past = int(time.time()) - 10 * 86400
    issued = credential_city.issuer(gateway_rpc, "FB33").issue(
        "RESIDENCE_CERT",
        CredentialRequest(make_did(holder.address, 52062), RESIDENCE, valid_until=past + 86400),
        now=past,
    )
    result = verify(issued.jwt, chain_source)
    assert not result.valid and result.reason == "expired"
    assert result.check("signature").status == "passed"


@pytest.mark.parametrize(
    "garbage",
    ["", "hello", "CRV1:", "CRV1:%%%%", "CRV1:" + "0" * 5000, "a.b.c", "x" * 100_000, "\x00\xff"],
)
def test_garbage_is_a_failed_format_check(chain_source: ChainSource, garbage: str) -> None:
    result = verify(garbage, chain_source)
    assert not result.valid and result.reason == "malformed"
    assert [c.status for c in result.checks][1:] == ["skipped"] * 7


def test_presentation_binds_the_holder(
    credential_city: CredentialCity, gateway_rpc: RpcClient, chain_source: ChainSource, holder
) -> None:
    did = make_did(holder.address, 52062)
    issued = credential_city.issuer(gateway_rpc, "FB33").issue(
        "RESIDENCE_CERT", CredentialRequest(did, RESIDENCE)
    )

    def vp(signer: LocalAccount, nonce: str = "n-1", audience: str = "landlord") -> str:
        return create_presentation(
            holder_did=did,
            credentials=[issued.jwt],
            audience=audience,
            nonce=nonce,
            private_key=bytes(signer.key),
        )

    good = verify(
        issued.jwt, chain_source, presentation=vp(holder), audience="landlord", nonce="n-1"
    )
    _assert_valid(good)
    assert good.check("holder").status == "passed"
    for presentation, code in [
        (vp(Account.create()), "bad-holder-signature"),
        (vp(holder, nonce="replayed"), "wrong-nonce"),
        (vp(holder, audience="bank"), "wrong-audience"),
        ("not a jwt", "bad-presentation"),
    ]:
        result = verify(
            issued.jwt, chain_source, presentation=presentation, audience="landlord", nonce="n-1"
        )
        assert not result.valid and result.check("holder").code == code


def test_key_rotation_keeps_old_credentials_and_refuses_the_old_key(
    credential_city: CredentialCity, gateway_rpc: RpcClient, chain_source: ChainSource, holder
) -> None:
    """A department rotates its credential key (ERC-1056 changeOwner): credentials signed before
    stay valid (checked against the DID document as of their issuance block); a new credential
    signed with the old key does not verify."""
    manifest, council = credential_city.manifest, credential_city.council
    old, new = Account.create(), Account.create()
    for decision in (
        ADD_DEPARTMENT.decide(department="FB20", name="Stadtarchiv / City Archive"),
        ADD_ACCOUNT.decide(department="FB20", account=old.address),
        ACCREDIT_TYPE.decide(
            department="FB20", credential_type="RESIDENCE_CERT", valid_from=0, valid_until=0
        ),
    ):
        decide(rpc=gateway_rpc, manifest=manifest, members=council, decision=decision)
    from registry_core.issuance import Issuer

    did = make_did(holder.address, 52062)
    before = Issuer(rpc=gateway_rpc, manifest=manifest, signing_key=old).issue(
        "RESIDENCE_CERT", CredentialRequest(did, RESIDENCE)
    )
    registry = manifest.contract("EthereumDIDRegistry")
    Signer(old, gateway_rpc).transact(
        to=registry.address,
        data=registry.interface.encode_call("changeOwner", old.address, new.address),
        interface=registry.interface,
    )
    decide(
        rpc=gateway_rpc,
        manifest=manifest,
        members=council,
        decision=ADD_ACCOUNT.decide(department="FB20", account=new.address),
    )
    after_old_key = Issuer(rpc=gateway_rpc, manifest=manifest, signing_key=old).issue(
        "RESIDENCE_CERT", CredentialRequest(did, RESIDENCE)
    )
    after_new_key = Issuer(
        rpc=gateway_rpc, manifest=manifest, signing_key=new, identity=old.address
    ).issue("RESIDENCE_CERT", CredentialRequest(did, RESIDENCE))

    _assert_valid(verify(before.jwt, chain_source))
    refused = verify(after_old_key.jwt, chain_source)
    assert not refused.valid and refused.reason == "bad-signature"
    _assert_valid(verify(after_new_key.jwt, chain_source))
    document = chain_source.resolver.resolve(make_did(old.address, 52062)).document
    assert document["verificationMethod"][0]["blockchainAccountId"] == f"eip155:52062:{new.address}"


def test_delegates_resolve_from_chain_events(
    credential_city: CredentialCity, gateway_rpc: RpcClient, chain_source: ChainSource
) -> None:
    identity, delegate = credential_city.keys["FB02"], Account.create()
    registry = credential_city.manifest.contract("EthereumDIDRegistry")
    receipt = Signer(identity, gateway_rpc).transact(
        to=registry.address,
        data=registry.interface.encode_call(
            "addDelegate", identity.address, b"veriKey".ljust(32, b"\0"), delegate.address, 86400
        ),
        interface=registry.interface,
    )
    block = int(receipt["blockNumber"], 16)
    did = make_did(identity.address, 52062)
    now = chain_source.resolver.resolve(did)
    assert delegate.address.lower() in now.signers
    assert now.document["verificationMethod"][1]["id"].endswith("#delegate-1")
    before = chain_source.resolver.resolve(did, block=block - 1)
    assert delegate.address.lower() not in before.signers


def test_offline_bundle_verifies_and_refuses_untrusted_or_altered_bundles(
    credential_city: CredentialCity, gateway_rpc: RpcClient, holder
) -> None:
    issuer = credential_city.issuer(gateway_rpc, "FB33")
    did = make_did(holder.address, 52062)
    good = issuer.issue("RESIDENCE_CERT", CredentialRequest(did, RESIDENCE))
    gone = issuer.issue("RESIDENCE_CERT", CredentialRequest(did, RESIDENCE))
    issuer.change_status(credential_hash=gone.credential_hash, action="revoke", reason_code=1)
    batch = credential_city.issuer(gateway_rpc, "FB32").issue_batch(
        "PARKING_PERMIT", [CredentialRequest(did, {"licensePlate": "AC-X 1", "zone": "B"})] * 3
    )
    signer = Account.create()
    bundle = build_trust_bundle(rpc=gateway_rpc, manifest=credential_city.manifest, signer=signer)
    trusted = TrustBundle.load(bundle, trusted_signers=[signer.address])
    _assert_valid(verify(encode_payload(good.jwt), trusted))
    _assert_valid(verify(encode_payload(batch[1].envelope.serialize()), trusted))
    assert verify(gone.jwt, trusted).reason == "revoked"
    offline = verify(good.jwt, trusted)
    assert offline.mode == "offline" and offline.knowledge_block == bundle["as_of_block"]
    with pytest.raises(TrustBundleError, match="not trusted"):
        TrustBundle.load(bundle, trusted_signers=[Account.create().address])
    altered = {**bundle, "tables": {**bundle["tables"], "statuses": pack(encode_statuses([]))}}
    with pytest.raises(TrustBundleError, match="does not match"):
        TrustBundle.load(altered, trusted_signers=[signer.address])


def test_demo_credential_seeding_is_idempotent(
    credential_city: CredentialCity, gateway_rpc: RpcClient, tmp_path
) -> None:
    from registry_core.keystore import Keystore
    from scripts.credentials_seed import seed_demo_credentials

    keystore = Keystore(tmp_path)
    kwargs = {
        "rpc": gateway_rpc,
        "manifest": credential_city.manifest,
        "council": credential_city.council,
        "keystore": keystore,
        "passphrase": "demo-test",
    }
    assert (
        seed_demo_credentials(**kwargs) == 3
    )  # the three new credential keys join their departments
    assert seed_demo_credentials(**kwargs) == 0
    assert keystore.exists("vc-fb33")
