"""The credential story through the API: a department issues, the QR PNG is read by a real decoder
(zxing-cpp), the public endpoint verifies; revoked, tampered, wrong issuer, expired, garbage image
and over-long payloads each get a clear verdict, never a 500."""

from __future__ import annotations

import io
import time

import zxingcpp
from eth_account import Account
from PIL import Image

from registry_core.did import make_did
from registry_core.issuance import CredentialRequest
from registry_core.qr import encode_payload
from registry_core.rpc import RpcClient
from registry_core.vc import b64url, b64url_decode
from tests.credential_fixtures import CredentialApi, CredentialCity

RESIDENCE = {
    "givenName": "Erika",
    "familyName": "Mustermann",
    "birthDate": "1964-08-12",
    "address": "Markt 1, 52062 Aachen",
}


def _holder() -> str:
    return make_did(Account.create().address, 52062)


def _issue(api: CredentialApi, department: str = "FB33", **overrides: object) -> dict:
    body = {"type": "RESIDENCE_CERT", "holder_did": _holder(), "claims": RESIDENCE, **overrides}
    response = api.client.post("/credentials", json=body, headers=api.headers(department))
    assert response.status_code == 201, response.text
    return response.json()


def _verify(api: CredentialApi, payload: str, **extra: object) -> dict:
    response = api.client.post("/verify", json={"payload": payload, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def test_issue_qr_png_decode_verify_then_revoke(credential_api: CredentialApi) -> None:
    issued = _issue(credential_api)
    png = credential_api.client.post("/credentials/qr", json={"credential": issued["credential"]})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert int(png.headers["X-QR-Version"]) <= 16
    (decoded,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded.text == issued["qr_payload"]

    result = _verify(credential_api, decoded.text)
    assert result["valid"] is True, result["checks"]
    assert {c["name"]: c["status"] for c in result["checks"]} == {
        "format": "passed",
        "issuer": "passed",
        "signature": "passed",
        "anchored": "passed",
        "accreditation": "passed",
        "status": "passed",
        "validity": "passed",
        "holder": "skipped",
    }
    upload = credential_api.client.post(
        "/verify/image", files={"image": ("qr.png", png.content, "image/png")}
    )
    assert upload.status_code == 200 and upload.json()["valid"] is True

    revoked = credential_api.client.post(
        f"/credentials/{issued['credential_hash']}/revoke",
        json={"reason_code": 4},
        headers=credential_api.headers("FB33"),
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked", revoked.text
    # The online verifier caches status briefly; poll with a bound instead of sleeping.
    deadline = time.monotonic() + 5
    while (result := _verify(credential_api, decoded.text))[
        "valid"
    ] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert result["valid"] is False and result["reason"] == "revoked"
    status = {c["name"]: c for c in result["checks"]}["status"]
    assert status["reason_de"].startswith("Der Nachweis wurde widerrufen")
    assert status["reason_en"].startswith("The credential has been revoked")


def test_tampered_payload_is_invalid(credential_api: CredentialApi) -> None:
    jwt = _issue(credential_api)["credential"]
    header, payload, signature = jwt.split(".")
    forged = b64url(b64url_decode(payload).replace(b"Erika", b"Erich"))
    result = _verify(credential_api, f"{header}.{forged}.{signature}")
    assert result["valid"] is False
    checks = {c["name"]: c["code"] for c in result["checks"]}
    assert checks["signature"] == "bad-signature" and checks["anchored"] == "not-anchored"


def test_department_without_accreditation_is_refused_by_the_chain(
    credential_api: CredentialApi,
) -> None:
    response = credential_api.client.post(
        "/credentials",
        json={"type": "RESIDENCE_CERT", "holder_did": _holder(), "claims": RESIDENCE},
        headers=credential_api.headers("FB32"),
    )
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["error"] == "CredentialStatusNotAccredited"


def test_expired_credential_is_invalid(
    credential_api: CredentialApi, credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    past = int(time.time()) - 30 * 86400
    issued = credential_city.issuer(gateway_rpc, "FB33").issue(
        "RESIDENCE_CERT",
        CredentialRequest(_holder(), RESIDENCE, valid_until=past + 86400),
        now=past,
    )
    result = _verify(credential_api, encode_payload(issued.jwt))
    assert result["valid"] is False and result["reason"] == "expired"
    validity = {c["name"]: c for c in result["checks"]}["validity"]
    assert validity["reason_de"] == "Der Nachweis ist abgelaufen."


def test_garbage_image_and_image_without_code(credential_api: CredentialApi) -> None:
    garbage = credential_api.client.post(
        "/verify/image", files={"image": ("x.png", b"\x89PNG not really", "image/png")}
    )
    assert garbage.status_code == 200
    assert garbage.json()["valid"] is False and garbage.json()["reason"] == "not-an-image"
    blank = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(blank, format="PNG")
    empty = credential_api.client.post(
        "/verify/image", files={"image": ("blank.png", blank.getvalue(), "image/png")}
    )
    assert empty.status_code == 200 and empty.json()["reason"] == "no-qr-code"


def test_over_long_and_garbage_payloads(credential_api: CredentialApi) -> None:
    for payload in ["CRV1:" + "A" * 6000, "x" * 60_000, "CRV1:@@@", "", "did:ethr:nope"]:
        result = _verify(credential_api, payload)
        assert result["valid"] is False and result["reason"] == "malformed", payload[:20]
        assert result["checks"][0]["name"] == "format"
    too_long = credential_api.client.post("/verify", json={"payload": "x" * 70_000})
    assert too_long.status_code == 422
    assert too_long.headers["content-type"] == "application/problem+json"
