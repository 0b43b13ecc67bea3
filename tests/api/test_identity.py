"""The identity domain in-process (TestClient, real chain and store): every EIP-4361 refusal,
sessions and logout, credential requests and the departments' decisions, and every OpenID4VCI
refusal in the protocol's own error form. Time moves through ``app.state.clock``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.did import make_did
from registry_core.openid4vci import CredentialOffer, make_proof
from registry_core.sign_in import Audience, build_message, sign_message
from tests.api_process import poll
from tests.credential_fixtures import CredentialApi

PUBLIC = Audience.from_public_url("http://127.0.0.1:8000")  # the settings' default public URL
PERMIT = {"zone": "A3", "licensePlate": "AC-EM 1964", "validUntil": "2027-11-30"}
TOKEN_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


@pytest.fixture
def api(credential_api: CredentialApi) -> Iterator[CredentialApi]:
    yield credential_api
    credential_api.client.app.state.clock = time.time  # type: ignore[attr-defined]


def _at(api: CredentialApi, moment: float) -> None:
    api.client.app.state.clock = lambda: moment  # type: ignore[attr-defined]


def _now(api: CredentialApi) -> float:
    return float(getattr(api.client.app.state, "clock", time.time)())


def _nonce(api: CredentialApi) -> str:
    answer = api.client.post("/auth/nonce")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    return str(answer.json()["nonce"])


def _sign_in(
    api: CredentialApi, account: LocalAccount, *, signer: LocalAccount | None = None, **fields: Any
) -> Any:
    arguments: dict[str, Any] = {
        "audience": PUBLIC,
        "address": account.address,
        "chain_id": 52062,
        "nonce": fields.pop("nonce", None) or _nonce(api),
        "issued_at": datetime.fromtimestamp(_now(api), UTC),
    }
    message = fields.pop("text", None) or build_message(**{**arguments, **fields})
    body = {"message": message, "signature": sign_message(message, signer or account)}
    return api.client.post("/auth/siwe", json=body)


def _refused(answer: Any, kind: str, status: int = 401) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = dict(answer.json())
    assert body["type"].endswith("/sign-in-" + kind) and body["detail_de"], body
    return body


def test_sign_in_and_session(api: CredentialApi) -> None:
    citizen = Account.create()
    answer = _sign_in(api, citizen)
    assert answer.status_code == 200, answer.text
    session = answer.json()
    assert session["did"] == make_did(citizen.address, 52062) and session["token_type"] == "Bearer"
    bearer = {"Authorization": f"Bearer {session['token']}"}
    assert api.client.get("/credential-requests", headers=bearer).status_code == 200
    assert api.client.post("/auth/logout", headers=bearer).status_code == 204
    gone = api.client.get("/credential-requests", headers=bearer)
    assert gone.status_code == 401 and gone.json()["type"].endswith("/invalid-session")
    assert api.client.get("/credential-requests").json()["type"].endswith("/missing-session")
    later = _sign_in(api, citizen).json()
    _at(api, time.time() + 3600)  # sessions are short-lived (900 s by default)
    expired = api.client.get(
        "/credential-requests", headers={"Authorization": f"Bearer {later['token']}"}
    )
    assert expired.status_code == 401


def test_every_sign_in_refusal_says_which(api: CredentialApi) -> None:
    citizen = Account.create()
    used = _nonce(api)
    assert _sign_in(api, citizen, nonce=used).status_code == 200
    _refused(_sign_in(api, citizen, nonce=used), "nonce-used")
    _refused(_sign_in(api, citizen, nonce="NeverHandedOut1"), "unknown-nonce")
    stale = _nonce(api)
    _at(api, time.time() + 400)  # nonces live 300 s
    _refused(
        _sign_in(api, citizen, nonce=stale, issued_at=datetime.now(UTC).replace(microsecond=0)),
        "expired",  # the message (5 minutes) has also expired by then
    )
    _at(api, time.time())
    stale_nonce_fresh_message = _nonce(api)
    _at(api, time.time() + 400)
    _refused(
        _sign_in(
            api,
            citizen,
            nonce=stale_nonce_fresh_message,
            issued_at=datetime.fromtimestamp(time.time() + 400, UTC),
        ),
        "nonce-expired",
    )
    _at(api, time.time())
    _refused(
        _sign_in(api, citizen, issued_at=datetime.fromtimestamp(time.time() + 600, UTC)),
        "not-yet-valid",
    )
    _refused(
        _sign_in(api, citizen, audience=Audience.from_public_url("http://evil.example:8000")),
        "wrong-uri",
    )
    wrong_domain = Audience("http", "evil.example", PUBLIC.uri)
    _refused(_sign_in(api, citizen, audience=wrong_domain), "wrong-domain")
    _refused(_sign_in(api, citizen, chain_id=1), "wrong-chain")
    _refused(_sign_in(api, citizen, signer=Account.create()), "wrong-address")
    _refused(_sign_in(api, citizen, lifetime_seconds=86_400), "lifetime-too-long")
    _refused(_sign_in(api, citizen, text="hello, city"), "malformed-message", 400)
    someone = make_did(Account.create().address, 52062)
    _refused(_sign_in(api, citizen, did=someone), "not-controller", 403)
    invalid = api.client.post("/auth/siwe", json={"message": "x", "signature": "0x12"})
    assert invalid.status_code == 422  # the body's shape: a validation problem


def _citizen(api: CredentialApi) -> tuple[LocalAccount, dict[str, str]]:
    account = Account.create()
    answer = _sign_in(api, account)
    assert answer.status_code == 200, answer.text
    return account, {"Authorization": f"Bearer {answer.json()['token']}"}


def _request(
    api: CredentialApi, bearer: dict[str, str], claims: dict[str, Any] = PERMIT
) -> dict[str, Any]:
    answer = api.client.post(
        "/credential-requests", json={"type": "RESIDENT_PARKING", "claims": claims}, headers=bearer
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_requests_decisions_and_deletion_of_personal_data(api: CredentialApi) -> None:
    _, bearer = _citizen(api)
    bad = api.client.post(
        "/credential-requests",
        json={"type": "RESIDENT_PARKING", "claims": {"zone": "a"}},
        headers=bearer,
    )
    assert bad.status_code == 422 and bad.json()["type"].endswith("/invalid-claims")
    unknown = api.client.post(
        "/credential-requests", json={"type": "NOPE", "claims": {}}, headers=bearer
    )
    assert unknown.status_code == 422 and "RESIDENT_PARKING" in unknown.json()["valid"]
    first, second = _request(api, bearer), _request(api, bearer)
    assert first["state"] == "submitted" and first["claims"] == PERMIT
    listed = api.client.get("/department/credential-requests", headers=api.headers("FB32")).json()
    assert {first["id"], second["id"]} <= {r["id"] for r in listed["data"]}
    approved = api.client.post(
        f"/department/credential-requests/{first['id']}/approve",
        json={"claims": {"zone": "B1"}},
        headers=api.headers("FB32"),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved" and approved.json()["claims"]["zone"] == "B1"
    assert approved.json()["credential_offer"].startswith("openid-credential-offer://")
    again = api.client.post(
        f"/department/credential-requests/{first['id']}/reject",
        json={"reason": "x"},
        headers=api.headers("FB32"),
    )
    assert again.status_code == 409 and again.json()["type"].endswith("/request-not-pending")
    wrong_correction = api.client.post(
        f"/department/credential-requests/{second['id']}/approve",
        json={"claims": {"licensePlate": "nonsense"}},
        headers=api.headers("FB32"),
    )
    assert wrong_correction.status_code == 422
    rejected = api.client.post(
        f"/department/credential-requests/{second['id']}/reject",
        json={"reason": "Kein Wohnsitz in Zone A3"},
        headers=api.headers("FB32"),
    )
    assert rejected.json()["state"] == "rejected"
    mine = api.client.get(f"/credential-requests/{second['id']}", headers=bearer).json()
    assert mine["state"] == "rejected" and mine["reason"] == "Kein Wohnsitz in Zone A3"
    assert mine["credential_offer"] is None
    _, other = _citizen(api)
    assert api.client.get(f"/credential-requests/{second['id']}", headers=other).status_code == 404
    # Personal data goes a configured time (30 days by default) after completion.
    _at(api, time.time() + 31 * 86_400)
    _, later = _citizen(api)
    api.client.get("/credential-requests", headers=later)  # any listing purges
    _at(api, time.time())
    _, bearer_again = _citizen(api)
    purged = api.client.get(
        "/department/credential-requests?state=rejected&limit=500", headers=api.headers("FB32")
    ).json()
    row = next(r for r in purged["data"] if r["id"] == second["id"])
    assert row["claims"] is None and row["reason"] == "Kein Wohnsitz in Zone A3"
    assert bearer_again


def test_a_department_decides_only_its_types(api: CredentialApi) -> None:
    from registry_api.core.db import session_scope
    from registry_api.core.security import create_api_key

    _, bearer = _citizen(api)
    request = _request(api, bearer)
    with session_scope(api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        _, business_only = create_api_key(
            session=session, department="FB02", registers=[], credential_types=["BUSINESS_REG"]
        )
    headers = {"X-API-Key": business_only}
    listed = api.client.get("/department/credential-requests", headers=headers).json()
    assert request["id"] not in {r["id"] for r in listed["data"]}
    refused = api.client.post(
        f"/department/credential-requests/{request['id']}/approve", json={}, headers=headers
    )
    assert refused.status_code == 404
    assert api.client.get("/department/credential-requests").status_code == 401


def _approved_offer(
    api: CredentialApi,
) -> tuple[LocalAccount, dict[str, str], dict[str, Any], CredentialOffer]:
    citizen, bearer = _citizen(api)
    request = _request(api, bearer)
    approved = api.client.post(
        f"/department/credential-requests/{request['id']}/approve",
        json={},
        headers=api.headers("FB32"),
    ).json()
    return citizen, bearer, approved, CredentialOffer.parse(approved["credential_offer"])


def _token(api: CredentialApi, code: str, grant: str = TOKEN_GRANT) -> Any:
    return api.client.post(
        "/oid4vci/token", data={"grant_type": grant, "pre-authorized_code": code}
    )


def _oauth(answer: Any, error: str, status: int = 400) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"] == error, answer.json()


def _c_nonce(api: CredentialApi) -> str:
    return str(api.client.post("/oid4vci/nonce").json()["c_nonce"])


def _credential(
    api: CredentialApi, token: str | None, proof: str, configuration: str = "RESIDENT_PARKING"
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}}
    return api.client.post("/oid4vci/credential", json=body, headers=headers)


def test_metadata_names_the_endpoints(api: CredentialApi) -> None:
    issuer = api.client.get("/.well-known/openid-credential-issuer").json()
    assert issuer["credential_issuer"] == PUBLIC.uri
    assert issuer["nonce_endpoint"] == PUBLIC.uri + "/oid4vci/nonce"
    permit = issuer["credential_configurations_supported"]["RESIDENT_PARKING"]
    assert permit["format"] == "jwt_vc_json" and permit["proof_types_supported"]["jwt"]
    server = api.client.get("/.well-known/oauth-authorization-server").json()
    assert server["token_endpoint"] == PUBLIC.uri + "/oid4vci/token"
    assert server["pre-authorized_grant_anonymous_access_supported"] is True


def test_pre_authorized_code_flow_and_every_refusal(api: CredentialApi) -> None:
    citizen, bearer, approved, offer = _approved_offer(api)
    did = make_did(citizen.address, 52062)
    _oauth(
        _token(api, offer.pre_authorized_code, grant="authorization_code"), "unsupported_grant_type"
    )
    _oauth(_token(api, "not-a-code"), "invalid_grant")
    _oauth(api.client.post("/oid4vci/token", data={"grant_type": TOKEN_GRANT}), "invalid_request")
    token = _token(api, offer.pre_authorized_code)
    assert token.status_code == 200 and token.headers["cache-control"] == "no-store", token.text
    access = token.json()["access_token"]
    _oauth(_token(api, offer.pre_authorized_code), "invalid_grant")  # a code works once

    def proof(
        nonce: str, *, key: LocalAccount = citizen, kid_did: str = did, aud: str = PUBLIC.uri
    ) -> str:
        return make_proof(
            private_key=bytes(key.key), kid=f"{kid_did}#controller", audience=aud, nonce=nonce
        )

    _oauth(_credential(api, None, proof(_c_nonce(api))), "invalid_token", 401)
    _oauth(_credential(api, "forged", proof(_c_nonce(api))), "invalid_token", 401)
    _oauth(_credential(api, access, proof("never-handed-out")), "invalid_nonce")
    _oauth(
        _credential(api, access, proof(_c_nonce(api), aud="https://other.example")), "invalid_proof"
    )
    _oauth(_credential(api, access, proof(_c_nonce(api), key=Account.create())), "invalid_proof")
    stranger = Account.create()
    _oauth(
        _credential(
            api,
            access,
            proof(_c_nonce(api), key=stranger, kid_did=make_did(stranger.address, 52062)),
        ),
        "invalid_proof",
    )
    _oauth(
        _credential(api, access, proof(_c_nonce(api)), configuration="BUSINESS_REG"),
        "unknown_credential_configuration",
    )
    no_proofs = api.client.post(
        "/oid4vci/credential",
        json={"credential_configuration_id": "RESIDENT_PARKING"},
        headers={"Authorization": f"Bearer {access}"},
    )
    _oauth(no_proofs, "invalid_credential_request")
    stale = _c_nonce(api)
    _at(api, time.time() + 400)
    _oauth(
        _credential(api, access, proof(stale)), "invalid_token", 401
    )  # the token (300 s) expired too
    _at(api, time.time())

    issued = _credential(api, access, proof(_c_nonce(api)))
    credential = _anchored(api, access, issued)
    verified = api.client.post("/verify", json={"payload": credential}).json()
    assert verified["valid"] is True, verified["checks"]  # signed, anchored, accredited issuer
    _oauth(
        _credential(api, access, proof(_c_nonce(api))), "invalid_token", 401
    )  # a token works once
    state = api.client.get(f"/credential-requests/{approved['id']}", headers=bearer).json()
    assert state["state"] == "issued" and state["credential_hash"].startswith("0x")


def _anchored(api: CredentialApi, access: str, issued: Any) -> str:
    """The credential: at once, or from the deferred endpoint once the outbox anchored it."""
    if issued.status_code == 202:  # anchoring took longer than the endpoint waits
        transaction = issued.json()["transaction_id"]
        headers = {"Authorization": f"Bearer {access}"}
        wrong = api.client.post(
            "/oid4vci/deferred_credential", json={"transaction_id": "x"}, headers=headers
        )
        _oauth(wrong, "invalid_transaction_id")
        issued = poll(
            lambda: (
                answer
                if (
                    answer := api.client.post(
                        "/oid4vci/deferred_credential",
                        json={"transaction_id": transaction},
                        headers=headers,
                    )
                ).status_code
                == 200
                else None
            ),
            timeout=90,
            what="the deferred credential",
        )
    assert issued.status_code == 200, issued.text
    return str(issued.json()["credentials"][0]["credential"])


def test_an_expired_offer_and_a_used_nonce(api: CredentialApi) -> None:
    _, _, _, offer = _approved_offer(api)
    _at(api, time.time() + 700)  # offers live 600 s
    _oauth(_token(api, offer.pre_authorized_code), "invalid_grant")
    _at(api, time.time())
    nonce = _c_nonce(api)
    for attempt in range(2):  # two citizens, one c_nonce: the second proof is refused
        citizen, _, _, fresh = _approved_offer(api)
        access = _token(api, fresh.pre_authorized_code).json()["access_token"]
        did = make_did(citizen.address, 52062)
        proof = make_proof(
            private_key=bytes(citizen.key),
            kid=f"{did}#controller",
            audience=PUBLIC.uri,
            nonce=nonce,
        )
        answer = _credential(api, access, proof)
        if attempt == 0:
            assert answer.status_code in (200, 202), answer.text
        else:
            _oauth(answer, "invalid_nonce")
