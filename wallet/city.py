"""Talking to the city's API: sign-in (EIP-4361), credential requests, OpenID4VCI delivery and the
gas-free ERC-1056 key rotation relay. The wallet signs; the city never sees a key.

Paths of the API's identity domain (one home for them on the wallet's side)::

    POST /auth/nonce                          {"nonce", "expires_at"}
    POST /auth/siwe  {"message","signature"}  {"token", "expires_at", "address", "did"}
    POST /auth/logout                         (Bearer) 204
    POST /credential-requests {"type","claims"}   (Bearer) the request
    GET  /credential-requests[/{id}]          (Bearer) state, reason, credential offer when approved
    GET  /identity/{did}/erc1056              registry, owner, nonce for a signed change
    POST /identity/{did}/change-owner         (Bearer) a signed changeOwner, relayed via the outbox

OpenID4VCI endpoints come from the issuer's metadata, not from here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount

from registry_core.did import parse_did, to_checksum_address
from registry_core.erc1056 import SignedChangeOwner
from registry_core.openid4vci import (
    AUTHORIZATION_SERVER_METADATA_PATH,
    CREDENTIAL_FORMAT,
    ISSUER_METADATA_PATH,
    PRE_AUTHORIZED_GRANT,
    CredentialOffer,
    make_proof,
)
from registry_core.sign_in import Audience, build_message, sign_message
from wallet.errors import NegativeAnswerError, WalletError

TIMEOUT_SECONDS = 15.0
MAX_ANSWER_BYTES = 1024 * 1024


class CityError(NegativeAnswerError):
    """The city refused; ``problem`` is its RFC 9457 problem (or OAuth error) as received."""

    def __init__(self, detail: str, *, de: str | None = None, problem: dict[str, Any]) -> None:
        super().__init__(detail, de=de)
        self.problem = problem


def _refusal(response: httpx.Response) -> CityError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    # problem+json: title/detail (with German in detail_de); OAuth: error/error_description
    english = body.get("detail") or body.get("error_description") or body.get("title")
    code = body.get("error") or body.get("code") or str(response.status_code)
    return CityError(
        f"the city refused ({code}): {english or response.reason_phrase}"[:500],
        de=str(body["detail_de"])[:300] if body.get("detail_de") else None,
        problem=body,
    )


@dataclass(frozen=True)
class SignIn:
    message: str
    signature: str
    token: str
    expires_at: int
    did: str


class CityClient:
    def __init__(self, api_url: str, *, http: httpx.Client | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.http = http or httpx.Client(timeout=TIMEOUT_SECONDS)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CityClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def answer(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise _refusal(response)
        if len(response.content) > MAX_ANSWER_BYTES:
            raise WalletError("the city's answer is too large", de="die Antwort ist zu groß")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise WalletError(
                f"{response.url} did not answer with a JSON object",
                de=f"{response.url} antwortete nicht mit JSON",
            )
        return body

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise WalletError(
                f"cannot reach the city at {url}: {type(exc).__name__}",
                de=f"die Stadt ist unter {url} nicht erreichbar",
            ) from None

    def get(self, path: str, *, token: str | None = None) -> dict[str, Any]:
        return self.answer(self.request("GET", self.api_url + path, headers=_bearer(token)))

    def post(self, path: str, body: dict[str, Any], *, token: str | None = None) -> dict[str, Any]:
        response = self.request("POST", self.api_url + path, json=body, headers=_bearer(token))
        return self.answer(response)

    # -- sign-in ------------------------------------------------------------------------------

    def sign_in(
        self, account: LocalAccount, *, chain_id: int, did: str, now: datetime | None = None
    ) -> SignIn:
        """EIP-4361: a nonce from the city, the message signed by the identity's key, a token.
        A rotated key names the DID it controls as the message's resource."""
        nonce = str(self.post("/auth/nonce", {})["nonce"])
        message = build_message(
            audience=Audience.from_public_url(self.api_url),
            address=account.address,
            chain_id=chain_id,
            nonce=nonce,
            issued_at=now or datetime.now(UTC),
            did=did if parse_did(did).address != to_checksum_address(account.address) else None,
        )
        signature = sign_message(message, account)
        session = self.post("/auth/siwe", {"message": message, "signature": signature})
        return SignIn(
            message,
            signature,
            str(session["token"]),
            int(session["expires_at"]),
            str(session["did"]),
        )

    def logout(self, token: str) -> None:
        response = self.request("POST", self.api_url + "/auth/logout", headers=_bearer(token))
        if response.status_code >= 400:
            raise _refusal(response)

    # -- key rotation ---------------------------------------------------------------------------

    def erc1056_state(self, did: str) -> dict[str, Any]:
        return self.get(f"/identity/{did}/erc1056")

    def relay_change_owner(
        self, did: str, signed: SignedChangeOwner, *, token: str
    ) -> dict[str, Any]:
        return self.post(f"/identity/{did}/change-owner", signed.to_json(), token=token)


def _bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@dataclass(frozen=True)
class IssuerEndpoints:
    credential_issuer: str
    token_endpoint: str
    nonce_endpoint: str
    credential_endpoint: str
    deferred_endpoint: str | None
    configurations: dict[str, Any]


def discover(http: httpx.Client, offer: CredentialOffer) -> IssuerEndpoints:
    """The issuer's and its authorization server's metadata (sections 12.2 and RFC 8414)."""
    client = CityClient(offer.credential_issuer, http=http)
    issuer = client.get(ISSUER_METADATA_PATH)
    if issuer.get("credential_issuer") != offer.credential_issuer:
        raise WalletError(
            "the issuer's metadata names another issuer than the offer",
            de="die Metadaten nennen einen anderen Aussteller als das Angebot",
        )
    servers = issuer.get("authorization_servers") or [offer.credential_issuer]
    server = CityClient(str(servers[0]), http=http).get(AUTHORIZATION_SERVER_METADATA_PATH)
    try:
        return IssuerEndpoints(
            credential_issuer=offer.credential_issuer,
            token_endpoint=str(server["token_endpoint"]),
            nonce_endpoint=str(issuer["nonce_endpoint"]),
            credential_endpoint=str(issuer["credential_endpoint"]),
            deferred_endpoint=issuer.get("deferred_credential_endpoint"),
            configurations=dict(issuer["credential_configurations_supported"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise WalletError(
            f"the issuer's metadata lacks {exc}", de="den Metadaten des Ausstellers fehlt etwas"
        ) from None


def receive_credential(
    http: httpx.Client, offer: CredentialOffer, *, account: LocalAccount, did: str
) -> str:
    """The pre-authorized code flow: token, c_nonce, proof of the DID's key, credential."""
    endpoints = discover(http, offer)
    configuration_id = offer.credential_configuration_ids[0]
    configuration = endpoints.configurations.get(configuration_id)
    if not isinstance(configuration, dict) or configuration.get("format") != CREDENTIAL_FORMAT:
        raise WalletError(
            f"the offered credential {configuration_id!r:.60} is not {CREDENTIAL_FORMAT}",
            de="das angebotene Format wird nicht unterstützt",
        )
    client = CityClient(offer.credential_issuer, http=http)
    token_response = client.request(
        "POST",
        endpoints.token_endpoint,
        data={"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": offer.pre_authorized_code},
    )
    access_token = str(client.answer(token_response)["access_token"])
    nonce = str(client.answer(client.request("POST", endpoints.nonce_endpoint))["c_nonce"])
    proof = make_proof(
        private_key=bytes(account.key),
        kid=f"{did}#controller",
        audience=offer.credential_issuer,
        nonce=nonce,
    )
    response = client.request(
        "POST",
        endpoints.credential_endpoint,
        json={"credential_configuration_id": configuration_id, "proofs": {"jwt": [proof]}},
        headers=_bearer(access_token),
    )
    answer = client.answer(response)
    if response.status_code == 202:  # deferred (section 9): the city is still anchoring it
        answer = _deferred(client, endpoints, access_token, answer)
    try:
        return str(answer["credentials"][0]["credential"])
    except (KeyError, IndexError, TypeError):
        raise WalletError(
            "the credential endpoint answered without a credential",
            de="der Aussteller lieferte keinen Nachweis",
        ) from None


DEFERRED_WAIT_SECONDS = 120.0


def _deferred(
    client: CityClient, endpoints: IssuerEndpoints, access_token: str, accepted: dict[str, Any]
) -> dict[str, Any]:
    """Ask the deferred credential endpoint until the credential is there (bounded)."""
    transaction = accepted.get("transaction_id")
    if not endpoints.deferred_endpoint or not isinstance(transaction, str):
        raise WalletError(
            "the issuer deferred the credential but names no deferred endpoint",
            de="der Aussteller verschiebt die Ausgabe ohne Abholstelle",
        )
    deadline = time.monotonic() + DEFERRED_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(min(max(float(accepted.get("interval", 2)), 0.2), 10.0))
        response = client.request(
            "POST",
            endpoints.deferred_endpoint,
            json={"transaction_id": transaction},
            headers=_bearer(access_token),
        )
        if response.status_code == 400 and response.json().get("error") == "issuance_pending":
            continue
        return client.answer(response)
    raise WalletError(
        "the city has not anchored the credential yet; try again later",
        de="die Stadt hat den Nachweis noch nicht verankert; später erneut versuchen",
    )
