"""Credential routes: issuing rules, batch, status changes, QR images, DIDs, trust bundle, page."""

from __future__ import annotations

import io

import zxingcpp
from eth_account import Account
from PIL import Image

from registry_core.did import make_did
from registry_core.trust import TrustBundle
from tests.credential_fixtures import CredentialApi

PERMIT = {"licensePlate": "AC-XY 123", "zone": "A1"}


def _holder() -> str:
    return make_did(Account.create().address, 52062)


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
    # A batch member has no record of its own: its first change needs the envelope (proof).
    _problem(
        credential_api.client.post(f"{url}/suspend", json={"reason_code": 6}, headers=headers), 409
    )
    suspended = credential_api.client.post(
        f"{url}/suspend",
        json={"reason_code": 6, "credential": member["credential"]},
        headers=headers,
    )
    assert suspended.status_code == 200 and suspended.json()["state"] == "suspended"
    resumed = credential_api.client.post(f"{url}/resume", json={"reason_code": 8}, headers=headers)
    assert resumed.json()["state"] == "active"
    status = credential_api.client.get(f"{url}/status").json()
    assert status["issuer_department"] == "FB32" and status["type"] == "PARKING_PERMIT"


def test_only_the_issuing_department_changes_status(credential_api: CredentialApi) -> None:
    issued = credential_api.client.post(
        "/credentials",
        json={"type": "PARKING_PERMIT", "holder_did": _holder(), "claims": PERMIT},
        headers=credential_api.headers("FB32"),
    ).json()
    problem = _problem(
        credential_api.client.post(
            f"/credentials/{issued['credential_hash']}/revoke",
            json={"reason_code": 0},
            headers=credential_api.headers("FB33"),
        ),
        409,
    )
    assert problem["error"] == "CredentialStatusNotIssuer"


def test_status_of_unknown_and_malformed_hashes(credential_api: CredentialApi) -> None:
    unknown = credential_api.client.get(f"/credentials/0x{'ab' * 32}/status").json()
    assert unknown["state"] == "unknown" and unknown["issuer_department"] is None
    _problem(credential_api.client.get("/credentials/0x1234/status"), 422)


def test_qr_svg_and_png_are_cached(credential_api: CredentialApi) -> None:
    issued = credential_api.client.post(
        "/credentials",
        json={"type": "PARKING_PERMIT", "holder_did": _holder(), "claims": PERMIT},
        headers=credential_api.headers("FB32"),
    ).json()
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
    issued = credential_api.client.post(
        "/credentials",
        json={"type": "PARKING_PERMIT", "holder_did": _holder(), "claims": PERMIT},
        headers=credential_api.headers("FB32"),
    ).json()
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


def test_verification_page_is_bilingual(credential_api: CredentialApi) -> None:
    page = credential_api.client.get("/verify")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Nachweis der Stadt prüfen" in page.text and "Verify a city credential" in page.text
    assert "BarcodeDetector" in page.text and "verify/image" in page.text
