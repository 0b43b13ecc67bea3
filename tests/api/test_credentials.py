"""Credential routes: issuing rules, batch, status changes, QR images, DIDs, trust bundle, page."""

from __future__ import annotations

import io
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import zxingcpp
from eth_account import Account
from PIL import Image
from sqlalchemy import delete
from sqlmodel import col

from registry_api.core.db import session_scope
from registry_api.models.tables import SenderLease
from registry_core.abi import DecodedEvent
from registry_core.codes import code_to_bytes32
from registry_core.did import make_did
from registry_core.issuance import CredentialRequest
from registry_core.rpc import RpcClient
from registry_core.trust import apply_delta
from registry_core.vc import Envelope
from registry_core.verification import TrustBundle, verify
from tests.api_process import poll
from tests.credential_fixtures import CredentialApi, CredentialCity

PERMIT = {"licensePlate": "AC-XY 123", "zone": "A1"}


def _holder() -> str:
    return make_did(Account.create().address, 52062)


def _issue_permit(credential_api: CredentialApi) -> dict[str, Any]:
    """A parking permit of FB32 (the API's answer)."""
    response = credential_api.client.post(
        "/credentials",
        json={"type": "PARKING_PERMIT", "holder_did": _holder(), "claims": PERMIT},
        headers=credential_api.headers("FB32"),
    )
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def test_issuing_needs_an_api_key(credential_api: CredentialApi) -> None:
    body = {"type": "PARKING_PERMIT", "holder_did": _holder(), "claims": PERMIT}
    _problem(credential_api.client.post("/credentials", json=body), 401)


def test_claims_are_checked_against_the_types_schema(credential_api: CredentialApi) -> None:
    body = {
        "type": "PARKING_PERMIT",
        "holder_did": _holder(),
        "claims": {"licensePlate": "not a plate", "zone": "A1", "extra": 1},
    }
    problem = _problem(
        credential_api.client.post(
            "/credentials", json=body, headers=credential_api.headers("FB32")
        ),
        422,
    )
    assert problem["type"].endswith("claims-invalid")
    assert {e["path"] for e in problem["errors"]} == {"", "licensePlate"}


def test_unknown_type_and_bad_holder_did(credential_api: CredentialApi) -> None:
    headers = credential_api.headers("FB32")
    unknown = {"type": "DOG_LICENSE", "holder_did": _holder(), "claims": {}}
    _problem(credential_api.client.post("/credentials", json=unknown, headers=headers), 422)
    bad_did = {"type": "PARKING_PERMIT", "holder_did": "did:web:example.com", "claims": PERMIT}
    problem = _problem(
        credential_api.client.post("/credentials", json=bad_did, headers=headers), 422
    )
    assert "did:ethr" in problem["detail"]


def test_batch_issue_then_suspend_and_resume_a_member(credential_api: CredentialApi) -> None:
    headers = credential_api.headers("FB32")
    items = [{"holder_did": _holder(), "claims": PERMIT} for _ in range(4)]
    response = credential_api.client.post(
        "/credentials/batch", json={"type": "PARKING_PERMIT", "items": items}, headers=headers
    )
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["count"] == 4 and len(batch["credentials"]) == 4
    member = batch["credentials"][1]
    assert "~" in member["credential"]
    verdict = credential_api.client.post("/verify", json={"payload": member["qr_payload"]}).json()
    assert verdict["valid"] is True, verdict["checks"]

    url = f"/credentials/{member['credential_hash']}"
    # A batch member has no record of its own: its first change needs its proof, which the API
    # kept since it issued it.
    before = credential_api.client.get(f"{url}/status").json()
    assert before["state"] == "active", before
    suspended = credential_api.client.post(
        f"{url}/suspend", json={"reason_code": 6}, headers=headers
    )
    assert suspended.status_code == 200 and suspended.json()["state"] == "suspended"
    resumed = credential_api.client.post(f"{url}/resume", json={"reason_code": 8}, headers=headers)
    assert resumed.json()["state"] == "active"
    status = credential_api.client.get(f"{url}/status").json()
    assert status["issuer_department"] == "FB32" and status["type"] == "PARKING_PERMIT"


def test_a_batch_member_issued_elsewhere_needs_its_envelope(
    credential_api: CredentialApi, credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    """Issued by another of the department's keys (not through this API): the proof comes with
    the envelope; without it the chain has no record to change."""
    issued = credential_city.issuer(gateway_rpc, "FB32").issue_batch(
        "PARKING_PERMIT", [CredentialRequest(_holder(), PERMIT) for _ in range(2)]
    )
    member = issued[0]
    url = f"/credentials/0x{member.credential_hash.hex()}/suspend"
    headers = credential_api.headers("FB32")
    problem = _problem(
        credential_api.client.post(url, json={"reason_code": 6}, headers=headers), 409
    )
    assert problem["error"] == "CredentialStatusUnknownCredential", problem
    suspended = credential_api.client.post(
        url, json={"reason_code": 6, "credential": member.envelope.serialize()}, headers=headers
    )
    assert suspended.status_code == 200 and suspended.json()["state"] == "suspended", suspended.text


def test_only_the_issuing_department_changes_status(credential_api: CredentialApi) -> None:
    issued = _issue_permit(credential_api)
    problem = _problem(
        credential_api.client.post(
            f"/credentials/{issued['credential_hash']}/revoke",
            json={"reason_code": 0},
            headers=credential_api.headers("FB33"),
        ),
        409,
    )
    # Records and batches are per issuing department on chain: FB33 anchored no batch (the API
    # anchors even a single issuance as a root) holding FB32's credential.
    assert problem["error"] == "CredentialStatusUnknownBatch"


def test_a_reason_code_the_chain_refuses_is_a_422_before_anything_is_sent(
    credential_api: CredentialApi,
) -> None:
    """RFC 5280 leaves 7 unused and the contract refuses it; so does the API, as a 422."""
    issued = _issue_permit(credential_api)
    url = f"/credentials/{issued['credential_hash']}"
    for code in (7, 11):
        problem = _problem(
            credential_api.client.post(
                f"{url}/revoke", json={"reason_code": code}, headers=credential_api.headers("FB32")
            ),
            422,
        )
        assert problem["errors"][0]["loc"] == ["body", "reason_code"], problem
    assert credential_api.client.get(f"{url}/status").json()["state"] == "active"
    revoked = credential_api.client.post(
        f"{url}/revoke", json={"reason_code": 10}, headers=credential_api.headers("FB32")
    )
    assert revoked.status_code == 200 and revoked.json()["reason_code"] == 10, revoked.text


def test_status_of_unknown_and_malformed_hashes(credential_api: CredentialApi) -> None:
    unknown = credential_api.client.get(f"/credentials/0x{'ab' * 32}/status").json()
    assert unknown["state"] == "unknown" and unknown["issuer_department"] is None
    _problem(credential_api.client.get("/credentials/0x1234/status"), 422)


def test_qr_svg_and_png_are_cached(credential_api: CredentialApi) -> None:
    issued = _issue_permit(credential_api)
    svg = credential_api.client.post(
        "/credentials/qr?format=svg", json={"payload": issued["qr_payload"]}
    )
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    first = credential_api.client.post("/credentials/qr", json={"payload": issued["qr_payload"]})
    again = credential_api.client.post("/credentials/qr", json={"payload": issued["qr_payload"]})
    assert first.content == again.content
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(first.content)))
    assert decoded.text == issued["qr_payload"]
    _problem(credential_api.client.post("/credentials/qr", json={"payload": "HC1:garbage"}), 422)


def test_did_resolution_endpoint(credential_api: CredentialApi) -> None:
    issued = _issue_permit(credential_api)
    result = credential_api.client.get(f"/dids/{issued['issuer']}").json()
    document = result["didDocument"]
    assert document["id"] == issued["issuer"]
    assert document["verificationMethod"][0]["type"] == "EcdsaSecp256k1RecoveryMethod2020"
    _problem(credential_api.client.get("/dids/did:web:example.com"), 404)


def test_trust_bundle_is_signed_by_the_published_signer(credential_api: CredentialApi) -> None:
    signer = credential_api.client.get("/credentials/trust-bundle/signer").json()["signer"]
    bundle = credential_api.client.get("/credentials/trust-bundle").json()
    loaded = TrustBundle.load(bundle, trusted_signers=[signer])
    assert loaded.chain_id == 52062 and loaded.as_of_block > 0
    assert any(code.startswith("0x4642") for code in bundle["departments"].values())  # "FB.."


def test_trust_bundle_delta_brings_a_verifier_from_its_block_to_now(
    credential_api: CredentialApi,
) -> None:
    client = credential_api.client
    signer = client.get("/credentials/trust-bundle/signer").json()["signer"]
    settings = client.app.state.credentials.settings  # type: ignore[attr-defined]
    cache, settings.trust_bundle_max_age_seconds = settings.trust_bundle_max_age_seconds, 0
    try:
        old = client.get("/credentials/trust-bundle").json()
        permit = _issue_permit(credential_api)
        delta = client.get(
            "/credentials/trust-bundle/delta", params={"since_block": old["as_of_block"]}
        ).json()
    finally:
        settings.trust_bundle_max_age_seconds = cache
    assert delta["format"] == "city-trust-delta/1" and delta["base_block"] == old["as_of_block"]
    stale = verify(permit["qr_payload"], TrustBundle.load(old, trusted_signers=[signer]))
    assert stale.outcome == "unconfirmed", stale.checks
    current = TrustBundle.load(
        apply_delta(old, delta, trusted_signers=[signer]), trusted_signers=[signer]
    )
    assert verify(permit["qr_payload"], current).outcome == "valid"
    online = client.post("/verify", json={"payload": permit["qr_payload"]}).json()
    assert (online["outcome"], online["valid"], online["mode"]) == ("valid", True, "online")
    ahead = client.get("/credentials/trust-bundle/delta", params={"since_block": 10**12})
    assert _problem(ahead, 409)["detail_de"].startswith("Block")
    _problem(client.get("/credentials/trust-bundle/delta", params={"since_block": -1}), 422)


def test_verification_page_is_bilingual(credential_api: CredentialApi) -> None:
    page = credential_api.client.get("/verify")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Nachweis der Stadt prüfen" in page.text and "Verify a city credential" in page.text
    script = credential_api.client.get("/static/pages/verify.js")  # the page's <script src>
    assert '<script src="/static/pages/verify.js">' in page.text and script.status_code == 200
    assert "BarcodeDetector" in script.text and "verify/image" in script.text


# ---- Idempotency-Key: a retried write replays the first answer and sends no transaction ------


def _keyed(credential_api: CredentialApi, department: str = "FB32") -> dict[str, str]:
    return {**credential_api.headers(department), "Idempotency-Key": secrets.token_hex(8)}


def _sent(rpc: RpcClient, api: CredentialApi, department: str = "FB32") -> int:
    """How many transactions the API's credential key of the department has sent."""
    return rpc.nonce(api.keys[department].address, "latest")


def _events(
    rpc: RpcClient,
    city: CredentialCity,
    api: CredentialApi,
    name: str,
    *,
    since: int,
    department: str = "FB32",
) -> list[DecodedEvent]:
    """CredentialStatusRegistry's ``name`` events from block ``since`` on, by the API's key."""
    status = city.manifest.contract("CredentialStatusRegistry")
    decoded = (
        status.interface.decode_log(log)
        for log in rpc.get_logs(address=status.address, from_block=since)
    )
    actor = api.keys[department].address
    return [e for e in decoded if e is not None and e.name == name and e.args["actor"] == actor]


def _hash(answer: dict[str, Any]) -> bytes:
    return bytes.fromhex(answer["credential_hash"].removeprefix("0x"))


def _roots(
    rpc: RpcClient, city: CredentialCity, api: CredentialApi, since: int, department: str = "FB32"
) -> list[str]:
    """Roots the API's key of the department anchored from block ``since`` on."""
    found = _events(rpc, city, api, "CredentialBatchAnchored", since=since, department=department)
    return ["0x" + e.args["root"].hex() for e in found]


def _members(rpc: RpcClient, city: CredentialCity, root: str, answer: dict[str, Any]) -> bool:
    status = city.manifest.contract("CredentialStatusRegistry")
    proof = Envelope.parse(answer["credential"]).batch
    assert proof is not None and "0x" + proof.root.hex() == root
    data = status.interface.encode_call(
        "verifyBatchMember", code_to_bytes32("FB32"), proof.root, list(proof.proof), _hash(answer)
    )
    return bool(status.interface.decode_output("verifyBatchMember", rpc.call(status.address, data)))


def test_issuing_again_with_the_same_key_replays_the_first_credential(
    credential_api: CredentialApi, credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    headers = _keyed(credential_api)
    body = {"type": "PARKING_PERMIT", "holder_did": _holder(), "claims": PERMIT}
    first = credential_api.client.post("/credentials", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replay" not in first.headers
    sent = _sent(gateway_rpc, credential_api)

    again = credential_api.client.post("/credentials", json=body, headers=headers)

    assert again.status_code == 201, again.text
    assert again.headers.get("Idempotent-Replay") == "true"
    assert again.json() == first.json(), "the replay is not the first answer"
    assert _sent(gateway_rpc, credential_api) == sent, "the replay sent a transaction"
    roots = _roots(gateway_rpc, credential_city, credential_api, first.json()["block"])
    assert roots.count(first.json()["root"]) == 1, roots
    assert _members(gateway_rpc, credential_city, first.json()["root"], first.json())


def test_issuing_with_a_used_key_and_another_body_is_refused(
    credential_api: CredentialApi, credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    headers = _keyed(credential_api)
    holder = _holder()
    body = {"type": "PARKING_PERMIT", "holder_did": holder, "claims": PERMIT}
    first = credential_api.client.post("/credentials", json=body, headers=headers)
    assert first.status_code == 201, first.text
    sent = _sent(gateway_rpc, credential_api)

    other = {**body, "claims": {**PERMIT, "licensePlate": "AC-Z 9"}}
    problem = _problem(credential_api.client.post("/credentials", json=other, headers=headers), 422)

    assert problem["type"].endswith("/idempotency-key-reused"), problem
    assert headers["Idempotency-Key"] in problem["detail"] and "new key" in problem["detail"]
    assert _sent(gateway_rpc, credential_api) == sent, "a refused request sent a transaction"


def test_a_refused_request_may_be_retried_with_its_key(credential_api: CredentialApi) -> None:
    headers = _keyed(credential_api)
    body = {"type": "PARKING_PERMIT", "holder_did": _holder(), "claims": {"zone": "A1"}}
    problem = _problem(credential_api.client.post("/credentials", json=body, headers=headers), 422)
    assert problem["type"].endswith("/claims-invalid")

    fixed = credential_api.client.post(
        "/credentials", json={**body, "claims": PERMIT}, headers=headers
    )

    assert fixed.status_code == 201, fixed.text
    assert "Idempotent-Replay" not in fixed.headers


def test_concurrent_requests_with_one_key_issue_once(
    credential_api: CredentialApi,
    credential_city: CredentialCity,
    gateway_rpc: RpcClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both requests found no stored answer and signed a credential; the one that commits second
    loses its credential with the key's entry, waits for the first one and answers it."""
    service = credential_api.client.app.state.credentials  # type: ignore[attr-defined]
    both_signing = threading.Barrier(2, timeout=30)
    issue = service.issue

    def issue_when_both_got_here(*args: Any, **kwargs: Any) -> Any:
        both_signing.wait()
        return issue(*args, **kwargs)

    monkeypatch.setattr(service, "issue", issue_when_both_got_here)
    headers = _keyed(credential_api)
    body = {"type": "PARKING_PERMIT", "holder_did": _holder(), "claims": PERMIT}
    since = gateway_rpc.block_number() + 1
    sent = _sent(gateway_rpc, credential_api)

    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(credential_api.client.post, "/credentials", json=body, headers=headers)
            for _ in range(2)
        ]
    answers = [f.result() for f in futures]

    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    assert sorted(a.headers.get("Idempotent-Replay", "") for a in answers) == ["", "true"]
    assert _sent(gateway_rpc, credential_api) == sent + 1
    assert _roots(gateway_rpc, credential_city, credential_api, since) == [
        answers[0].json()["root"]
    ]


@contextmanager
def _sender_paused(api: CredentialApi, department: str) -> Iterator[None]:
    """Another (live, remote) owner holds the lease of the department's credential signer."""
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    signer = api.keys[department].address
    with session_scope(engine) as session:
        lease = session.get(SenderLease, signer)
        if lease is None:
            lease = SenderLease(signer=signer, owner="", expires_at=datetime.now(UTC))
        lease.owner = "elsewhere:1:test"
        lease.expires_at = datetime.now(UTC) + timedelta(minutes=5)
        session.add(lease)
    try:
        yield
    finally:
        with session_scope(engine) as session:
            session.execute(delete(SenderLease).where(col(SenderLease.signer) == signer))


def test_an_issuance_not_mined_in_time_answers_202_and_its_retries_replay_that(
    credential_api: CredentialApi, credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    headers = _keyed(credential_api)
    body = {"type": "PARKING_PERMIT", "holder_did": _holder(), "claims": PERMIT}
    since = gateway_rpc.block_number() + 1
    settings = credential_api.client.app.state.credentials.settings  # type: ignore[attr-defined]
    wait, settings.credential_wait_seconds = settings.credential_wait_seconds, 0.3
    try:
        with _sender_paused(credential_api, "FB32"):
            first = credential_api.client.post("/credentials", json=body, headers=headers)
            assert first.status_code == 202, first.text
            accepted = first.json()
            assert first.headers["Location"] == accepted["status_url"]
            assert accepted["status_url"] == f"/credentials/issuances/{accepted['write_id']}"
            waiting = credential_api.client.get(accepted["status_url"], headers=headers).json()
            assert waiting["status"] == "pending" and waiting["credential"] is None, waiting
            again = credential_api.client.post("/credentials", json=body, headers=headers)
            assert again.status_code == 202 and again.json() == accepted, again.text
            assert again.headers.get("Idempotent-Replay") == "true"

        def anchored() -> dict[str, Any] | None:
            found: dict[str, Any] = credential_api.client.get(
                accepted["status_url"], headers=headers
            ).json()
            return found if found["status"] == "anchored" else None

        done = poll(anchored, timeout=30, what="the issuance to be anchored")
        credential = done["credential"]
        assert [credential["credential_hash"]] == accepted["credential_hashes"]
        after = credential_api.client.post("/credentials", json=body, headers=headers)
        assert after.status_code == 202 and after.json() == accepted, "not the first answer"
    finally:
        settings.credential_wait_seconds = wait
    assert _roots(gateway_rpc, credential_city, credential_api, since) == [credential["root"]]
    assert _members(gateway_rpc, credential_city, credential["root"], credential)
    verdict = credential_api.client.post("/verify", json={"payload": credential["qr_payload"]})
    assert verdict.json()["valid"] is True, verdict.json()["checks"]


def test_batch_again_with_the_same_key_replays_the_first_batch(
    credential_api: CredentialApi, credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    headers = _keyed(credential_api)
    body = {
        "type": "PARKING_PERMIT",
        "items": [{"holder_did": _holder(), "claims": PERMIT} for _ in range(3)],
    }
    first = credential_api.client.post("/credentials/batch", json=body, headers=headers)
    assert first.status_code == 201, first.text
    sent = _sent(gateway_rpc, credential_api)

    again = credential_api.client.post("/credentials/batch", json=body, headers=headers)

    assert again.status_code == 201, again.text
    assert again.headers.get("Idempotent-Replay") == "true"
    assert again.json() == first.json(), "the replay is not the first answer"
    assert _sent(gateway_rpc, credential_api) == sent, "the replay sent a transaction"
    roots = _roots(gateway_rpc, credential_city, credential_api, first.json()["block"])
    assert roots == [first.json()["root"]]


def test_batch_with_a_used_key_and_another_body_or_path_is_refused(
    credential_api: CredentialApi, credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    headers = _keyed(credential_api)
    items = [{"holder_did": _holder(), "claims": PERMIT} for _ in range(2)]
    first = credential_api.client.post(
        "/credentials/batch", json={"type": "PARKING_PERMIT", "items": items}, headers=headers
    )
    assert first.status_code == 201, first.text
    sent = _sent(gateway_rpc, credential_api)

    fewer = {"type": "PARKING_PERMIT", "items": items[:1]}
    refused = _problem(
        credential_api.client.post("/credentials/batch", json=fewer, headers=headers), 422
    )
    single = {"type": "PARKING_PERMIT", **items[0]}
    elsewhere = _problem(
        credential_api.client.post("/credentials", json=single, headers=headers), 422
    )

    assert refused["type"].endswith("/idempotency-key-reused"), refused
    assert elsewhere["type"].endswith("/idempotency-key-reused"), elsewhere
    assert _sent(gateway_rpc, credential_api) == sent, "a refused request sent a transaction"


def test_revoking_again_with_the_same_key_sends_no_transaction(
    credential_api: CredentialApi, credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    issued = _issue_permit(credential_api)
    url = f"/credentials/{issued['credential_hash']}/revoke"
    headers = _keyed(credential_api)
    first = credential_api.client.post(url, json={"reason_code": 4}, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["state"] == "revoked" and "Idempotent-Replay" not in first.headers
    sent = _sent(gateway_rpc, credential_api)

    again = credential_api.client.post(url, json={"reason_code": 4}, headers=headers)

    assert again.status_code == 200, again.text
    assert again.headers.get("Idempotent-Replay") == "true"
    assert again.json() == first.json()
    assert _sent(gateway_rpc, credential_api) == sent, "the replayed revoke sent a transaction"
    revoked = _events(
        gateway_rpc, credential_city, credential_api, "CredentialRevoked", since=issued["block"]
    )
    assert [e.args["credentialHash"] for e in revoked] == [_hash(issued)]


def test_revoking_with_a_used_key_and_another_body_or_credential_is_refused(
    credential_api: CredentialApi, credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    issued = [
        credential_api.client.post(
            "/credentials",
            json={"type": "PARKING_PERMIT", "holder_did": _holder(), "claims": PERMIT},
            headers=credential_api.headers("FB32"),
        ).json()
        for _ in range(2)
    ]
    headers = _keyed(credential_api)
    first = credential_api.client.post(
        f"/credentials/{issued[0]['credential_hash']}/revoke",
        json={"reason_code": 4},
        headers=headers,
    )
    assert first.status_code == 200, first.text
    sent = _sent(gateway_rpc, credential_api)

    other_reason = credential_api.client.post(
        f"/credentials/{issued[0]['credential_hash']}/revoke",
        json={"reason_code": 1},
        headers=headers,
    )
    other_credential = credential_api.client.post(
        f"/credentials/{issued[1]['credential_hash']}/revoke",
        json={"reason_code": 4},
        headers=headers,
    )

    for response in (other_reason, other_credential):
        problem = _problem(response, 422)
        assert problem["type"].endswith("/idempotency-key-reused"), problem
    assert _sent(gateway_rpc, credential_api) == sent, "a refused request sent a transaction"
    status = credential_api.client.get(f"/credentials/{issued[1]['credential_hash']}/status")
    assert status.json()["state"] == "active"
