"""Offline verification against trust bundles (city-trust-bundle/2) and their deltas
(city-trust-delta/1): the third outcome, status as of the bundle, updates and their signatures."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.did import make_did
from registry_core.issuance import CredentialRequest, IssuedCredential, credential_type
from registry_core.qr import encode_payload
from registry_core.rpc import RpcClient
from registry_core.trust import (
    TrustBundleError,
    apply_delta,
    build_trust_bundle,
    make_delta,
    read_tables,
    sign_bundle,
)
from registry_core.trust_format import encode_tables
from registry_core.vc import b64url, b64url_decode, sign_jwt
from registry_core.verification import ChainSource, TrustBundle, VerificationResult, verify
from tests.credential_fixtures import CredentialCity

RESIDENCE = {
    "givenName": "Erika",
    "familyName": "Mustermann",
    "birthDate": "1964-08-12",
    "address": "Markt 1, 52062 Aachen",
}
HOUR = 3600


@dataclass(frozen=True)
class Story:
    """Bundle ``old`` as of block N; then a credential issued, one revoked; bundle ``new``."""

    signer: LocalAccount
    old: dict
    new: dict
    before: IssuedCredential  # issued and anchored before N, revoked after N
    batch_member: IssuedCredential  # anchored in a batch before N, unchanged
    after: IssuedCredential  # issued after N
    unanchored_old: str  # signed by the issuer long before N, never anchored


@pytest.fixture(scope="module")
def story(credential_city: CredentialCity, gateway_rpc: RpcClient) -> Story:
    issuer = credential_city.issuer(gateway_rpc, "FB33")
    did = make_did(Account.create().address, 52062)
    before = issuer.issue("RESIDENCE_CERT", CredentialRequest(did, RESIDENCE))
    members = credential_city.issuer(gateway_rpc, "FB32").issue_batch(
        "PARKING_PERMIT", [CredentialRequest(did, {"licensePlate": "AC-X 2", "zone": "A"})] * 2
    )
    signer = Account.create()
    old = build_trust_bundle(rpc=gateway_rpc, manifest=credential_city.manifest, signer=signer)
    after = issuer.issue("RESIDENCE_CERT", CredentialRequest(did, RESIDENCE))
    issuer.change_status(credential_hash=before.credential_hash, action="revoke", reason_code=1)
    new = build_trust_bundle(rpc=gateway_rpc, manifest=credential_city.manifest, signer=signer)
    unanchored = issuer.sign(
        credential_type("RESIDENCE_CERT"),
        CredentialRequest(did, RESIDENCE),
        now=old["as_of_time"] - old["anchor_window"] - HOUR,
    )
    return Story(signer, old, new, before, members[1], after, unanchored)


def _load(bundle: dict, story: Story, **kwargs) -> TrustBundle:
    return TrustBundle.load(bundle, trusted_signers=[story.signer.address], **kwargs)


def _codes(result: VerificationResult) -> dict[str, str]:
    return {c.name: f"{c.status}:{c.code}" for c in result.checks}


def test_credential_issued_after_the_bundle_cannot_be_confirmed_offline_yet(
    story: Story, chain_source: ChainSource
) -> None:
    offline = verify(encode_payload(story.after.jwt), _load(story.old, story))
    assert (offline.outcome, offline.valid) == ("unconfirmed", False), _codes(offline)
    anchored = offline.check("anchored")
    assert (anchored.status, anchored.code) == ("unconfirmed", "newer-than-bundle")
    assert f"as of block {story.old['as_of_block']}" in anchored.reason_en
    assert "trust update" in anchored.reason_en and "online" in anchored.reason_en
    assert "Offline noch nicht bestätigbar" in anchored.reason_de
    assert offline.check("signature").status == "passed"  # the signature is still checked
    assert offline.to_json()["outcome"] == "unconfirmed"
    online = verify(encode_payload(story.after.jwt), chain_source)
    assert (online.outcome, online.valid, online.mode) == ("valid", True, "online")


def test_forged_altered_or_long_unanchored_credentials_stay_invalid_offline(story: Story) -> None:
    header, payload, signature = story.after.jwt.split(".")
    altered = b64url_decode(payload).replace(b"Erika", b"Erica")
    forged_key = Account.create()
    forged = _forgery(story.after.jwt, forged_key)
    for bundle in (story.old, story.new):
        for age in (0, 72 * HOUR):
            source = _load(bundle, story)
            now = source.as_of_time + age
            for text, code in (
                (f"{header}.{b64url(altered)}.{signature}", "bad-signature"),
                (forged, "bad-signature"),
                (story.unanchored_old, "not-anchored"),
            ):
                result = verify(text, source, now=now)
                assert result.outcome == "invalid" and result.reason == code, _codes(result)


def _forgery(jwt: str, key: LocalAccount) -> str:
    """The same payload signed by a key that is not the issuer's."""
    return sign_jwt(json.loads(b64url_decode(jwt.split(".")[1])), bytes(key.key))


def test_revoked_after_the_bundle_says_status_as_of_and_goes_unconfirmed_past_max_age(
    story: Story,
) -> None:
    source = _load(story.old, story)
    payload = encode_payload(story.before.jwt)
    fresh = verify(payload, source, now=source.as_of_time + 2 * HOUR)
    assert fresh.outcome == "valid", _codes(fresh)
    status = fresh.check("status")
    assert f"as of block {story.old['as_of_block']}, 2 hours ago" in status.reason_en
    assert "Stand Block" in status.reason_de
    stale = verify(payload, source, now=source.as_of_time + 25 * HOUR)
    assert stale.outcome == "unconfirmed" and stale.valid is False, _codes(stale)
    assert stale.check("status").code == "status-outdated"
    assert "at most 24 hours" in stale.check("status").reason_en
    relaxed = _load(story.old, story, max_age=48 * HOUR)
    assert verify(payload, relaxed, now=relaxed.as_of_time + 25 * HOUR).outcome == "valid"
    member = verify(encode_payload(story.batch_member.envelope.serialize()), source)
    assert member.outcome == "valid", _codes(member)


def test_update_brings_the_bundle_to_the_new_block_exactly(story: Story) -> None:
    delta = make_delta(story.new, story.old["as_of_block"], story.signer)
    merged = apply_delta(story.old, delta, trusted_signers=[story.signer.address])
    assert merged == story.new  # the same bundle, the same signature
    source = _load(merged, story)
    assert verify(encode_payload(story.after.jwt), source).outcome == "valid"
    revoked = verify(encode_payload(story.before.jwt), source)
    assert (revoked.outcome, revoked.reason) == ("invalid", "revoked")
    batches, singles, statuses = read_tables(delta)
    assert not batches and len(singles) == 1 and len(statuses) == 1  # only what changed
    assert delta["base_block"] == story.old["as_of_block"]
    assert delta["as_of_block"] == story.new["as_of_block"]


def test_update_signed_by_another_key_altered_or_for_another_block_is_refused(
    story: Story,
) -> None:
    trusted = [story.signer.address]
    since = story.old["as_of_block"]
    delta = make_delta(story.new, since, story.signer)
    stranger = make_delta(story.new, since, Account.create())
    with pytest.raises(TrustBundleError, match="not trusted"):
        apply_delta(story.old, stranger, trusted_signers=trusted)
    batches, singles, _ = read_tables(delta)
    dropped = {**delta, "tables": encode_tables(batches, singles, [])}  # hide the revocation
    with pytest.raises(TrustBundleError, match="does not match its signer"):
        apply_delta(story.old, dropped, trusted_signers=trusted)
    resigned = sign_bundle(dropped, story.signer)  # even signed by the city's key, it must
    with pytest.raises(TrustBundleError, match="does not yield the city's signed bundle"):
        apply_delta(story.old, resigned, trusted_signers=trusted)  # yield the signed bundle
    with pytest.raises(TrustBundleError, match="applies to a bundle as of block"):
        apply_delta(story.new, delta, trusted_signers=trusted)
    with pytest.raises(TrustBundleError, match="not a trust delta"):
        apply_delta(story.old, story.new, trusted_signers=trusted)


def test_bundle_with_altered_tables_or_old_format_is_refused(story: Story) -> None:
    batches, singles, statuses = read_tables(story.new)
    altered = {**story.new, "tables": encode_tables(batches, singles, statuses[1:])}
    with pytest.raises(TrustBundleError, match="does not match its signer"):
        _load(altered, story)
    with pytest.raises(TrustBundleError, match="city-trust-bundle/2"):
        _load({**story.new, "format": "city-trust-bundle/1"}, story)
