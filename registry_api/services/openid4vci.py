"""OpenID4VCI 1.0 (final) issuance of approved requests: pre-authorized code flow, ``jwt_vc_json``.

Rules only; the routes speak HTTP. Every refusal is an :class:`OAuthError` in the protocol's own
form (``{"error": "invalid_grant", "error_description": …}``), never problem+json:

- token endpoint (section 6): an unknown, used or expired pre-authorized code → ``invalid_grant``;
  a wrong grant type → ``unsupported_grant_type``; a missing code → ``invalid_request``;
- credential endpoint (section 8): a missing, unknown, expired or used access token →
  ``invalid_token`` (401, RFC 6750); a proof that is malformed, for another audience, too old or
  signed by a key that does not control the request's DID → ``invalid_proof``; a proof whose
  ``c_nonce`` this API did not hand out, or handed out and saw used or expired → ``invalid_nonce``;
  another credential configuration → ``unknown_credential_configuration``; a body without
  exactly one proof → ``invalid_credential_request``;
- the credential is anchored on chain through the outbox like every credential: the credential
  endpoint waits for it a bounded time and otherwise answers ``202`` with a ``transaction_id``
  for the deferred credential endpoint (section 9: ``issuance_pending`` until anchored).

Codes, tokens and nonces are single-use: each is consumed by one conditional ``UPDATE`` (codes and
tokens stored as hashes), so API processes sharing the store never accept one twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from registry_api.models.identity_tables import (
    CredentialNonce,
    CredentialRequestRow,
    IssuanceToken,
    PreAuthorizedCode,
)
from registry_api.services import credential_requests
from registry_api.services.identity import token_hash
from registry_core.credential_types import CREDENTIAL_TYPES
from registry_core.openid4vci import (
    CREDENTIAL_FORMAT,
    PRE_AUTHORIZED_GRANT,
    PROOF_TYPE,
    CredentialOffer,
    OpenId4VciError,
    read_proof,
)

TOKEN_PATH = "/oid4vci/token"  # noqa: S105  (a path)
NONCE_PATH = "/oid4vci/nonce"
CREDENTIAL_PATH = "/oid4vci/credential"
DEFERRED_PATH = "/oid4vci/deferred_credential"
DEFERRED_INTERVAL_SECONDS = 2
DEFERRED_GRACE_SECONDS = 3600  # a used access token still asks about its deferred credential


class OAuthError(Exception):
    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def to_json(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def issuer_metadata(public_url: str) -> dict[str, Any]:
    """Credential issuer metadata (section 12.2); the issuer is its own authorization server."""
    configurations = {
        spec.code: {
            "format": CREDENTIAL_FORMAT,
            "scope": spec.code,
            "cryptographic_binding_methods_supported": ["did:ethr"],
            "credential_signing_alg_values_supported": ["ES256K"],
            "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256K"]}},
            "credential_definition": {"type": ["VerifiableCredential", spec.vc_type]},
            "credential_metadata": {
                "display": [
                    {"name": spec.name_de, "locale": "de-DE"},
                    {"name": spec.name_en, "locale": "en-US"},
                ],
                "claims": [
                    {"path": ["credentialSubject", name]} for name in spec.schema["properties"]
                ],
            },
        }
        for spec in CREDENTIAL_TYPES.values()
    }
    return {
        "credential_issuer": public_url,
        "credential_endpoint": public_url + CREDENTIAL_PATH,
        "nonce_endpoint": public_url + NONCE_PATH,
        "deferred_credential_endpoint": public_url + DEFERRED_PATH,
        "display": [
            {"name": "Stadtverwaltung", "locale": "de-DE"},
            {"name": "City administration", "locale": "en-US"},
        ],
        "credential_configurations_supported": configurations,
    }


def authorization_server_metadata(public_url: str) -> dict[str, Any]:
    """RFC 8414 metadata with OpenID4VCI's pre-authorized grant, anonymous access allowed."""
    return {
        "issuer": public_url,
        "token_endpoint": public_url + TOKEN_PATH,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
    }


def make_offer(
    session: Session, *, request: CredentialRequestRow, public_url: str, now: int, lifetime: int
) -> CredentialOffer:
    """A new single-use pre-authorized code for an approved request (only its hash is kept)."""
    code = secrets.token_urlsafe(32)
    session.add(
        PreAuthorizedCode(
            code_hash=token_hash(code), request_id=request.id, expires_at=now + lifetime
        )
    )
    session.commit()
    return CredentialOffer(public_url, (request.type,), code)


def _consume(session: Session, table: Any, key_column: Any, key: str, now: int) -> bool:
    taken = session.exec(
        update(table)
        .where(key_column == key, col(table.used_at).is_(None), col(table.expires_at) > now)
        .values(used_at=now)
    )
    session.commit()
    return int(taken.rowcount) == 1


@dataclass(frozen=True)
class AccessToken:
    access_token: str
    expires_in: int


def redeem(
    session: Session, *, grant_type: str | None, code: str | None, now: int, lifetime: int
) -> AccessToken:
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise OAuthError("unsupported_grant_type", f"only {PRE_AUTHORIZED_GRANT} is supported here")
    if not code:
        raise OAuthError("invalid_request", "pre-authorized_code is missing")
    digest = token_hash(code[:512])
    row = session.get(PreAuthorizedCode, digest)
    if row is None or not _consume(
        session, PreAuthorizedCode, col(PreAuthorizedCode.code_hash), digest, now
    ):
        raise OAuthError(
            "invalid_grant", "the pre-authorized code is unknown, used already or expired"
        )
    request = session.get(CredentialRequestRow, row.request_id)
    if request is None or request.state != credential_requests.APPROVED:
        raise OAuthError("invalid_grant", "the request behind this code is not approved")
    token = secrets.token_urlsafe(32)
    session.add(
        IssuanceToken(
            token_hash=token_hash(token), request_id=request.id, expires_at=now + lifetime
        )
    )
    session.commit()
    return AccessToken(token, lifetime)


def new_c_nonce(session: Session, *, now: int, lifetime: int) -> str:
    nonce = secrets.token_urlsafe(24)
    session.add(CredentialNonce(c_nonce=nonce, expires_at=now + lifetime))
    session.commit()
    return nonce


def _bearer_request(session: Session, access_token: str | None, now: int) -> CredentialRequestRow:
    row = session.get(IssuanceToken, token_hash(access_token)) if access_token else None
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise OAuthError(
            "invalid_token", "the access token is missing, unknown, used or expired", status=401
        )
    request = session.get(CredentialRequestRow, row.request_id)
    if request is None or request.state != credential_requests.APPROVED:
        raise OAuthError("credential_request_denied", "the request is no longer approved")
    return request


def _proof(body: dict[str, Any], request: CredentialRequestRow) -> str:
    configuration = body.get("credential_configuration_id")
    if "credential_identifier" in body or configuration is None:
        raise OAuthError(
            "invalid_credential_request", "give credential_configuration_id (no identifiers)"
        )
    if configuration != request.type:
        raise OAuthError(
            "unknown_credential_configuration",
            f"this token is for {request.type}, not {str(configuration)[:40]!r}",
        )
    proofs = body.get("proofs")
    if "proof" in body or not isinstance(proofs, dict) or set(proofs) != {"jwt"}:
        raise OAuthError("invalid_credential_request", 'give "proofs": {"jwt": [<one proof>]}')
    jwts = proofs["jwt"]
    if not isinstance(jwts, list) or len(jwts) != 1 or not isinstance(jwts[0], str):
        raise OAuthError("invalid_credential_request", "exactly one jwt proof is accepted")
    return jwts[0]


def credential(
    session: Session,
    *,
    access_token: str | None,
    body: dict[str, Any],
    audience: str,
    controls: Callable[[str, frozenset[str]], bool],
    issue: Callable[[CredentialRequestRow], tuple[str, str]],
    now: int,
) -> str:
    """Check the request and its proof, consume token and nonce, issue; returns the credential.

    ``controls(did, addresses)``: whether one of the addresses may act for the DID (its DID
    document, a chain read). ``issue(request)`` signs the credential and adds it with its outbox
    row to ``session``, returning the write's id and the credential hash; the request is marked
    issued in the same transaction. Returns the write id (the deferred ``transaction_id``).
    """
    request = _bearer_request(session, access_token, now)
    token = _proof(body, request)
    try:
        claims = read_proof(token, audience=audience, now=now)
    except OpenId4VciError as exc:
        raise OAuthError(exc.error, exc.detail) from None
    if claims.did != request.did:
        raise OAuthError("invalid_proof", "the proof's key is not of the DID the request is for")
    if not controls(claims.did, claims.signer_candidates):
        raise OAuthError(
            "invalid_proof", f"the {PROOF_TYPE} is not signed by a key that controls {claims.did}"
        )
    if not _consume(session, CredentialNonce, col(CredentialNonce.c_nonce), claims.nonce[:48], now):
        raise OAuthError(
            "invalid_nonce", "the c_nonce is unknown, used or expired; fetch a new one"
        )
    if not _consume(
        session, IssuanceToken, col(IssuanceToken.token_hash), token_hash(access_token or ""), now
    ):
        raise OAuthError("invalid_token", "the access token was used already", status=401)
    write_id, credential_hash = issue(request)
    credential_requests.mark_issued(session, request, credential_hash=credential_hash, now=now)
    return write_id


def deferred_request(
    session: Session, *, access_token: str | None, transaction_id: object, now: int
) -> CredentialRequestRow:
    """The issued request a deferred credential request (section 9) may ask about: its access
    token (used by then) and the transaction id the credential endpoint answered."""
    row = session.get(IssuanceToken, token_hash(access_token)) if access_token else None
    if row is None or row.expires_at + DEFERRED_GRACE_SECONDS <= now:
        raise OAuthError(
            "invalid_token", "the access token is missing, unknown or expired", status=401
        )
    request = session.get(CredentialRequestRow, row.request_id)
    if (
        not isinstance(transaction_id, str)
        or request is None
        or request.state != credential_requests.ISSUED
    ):
        raise OAuthError("invalid_transaction_id", "no issuance with that transaction_id")
    return request
