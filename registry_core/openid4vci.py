"""OpenID for Verifiable Credential Issuance 1.0 (final) as the city speaks it: formats only.

Pre-authorized code flow, credential format ``jwt_vc_json``, key proofs of type ``jwt``
(``openid4vci-proof+jwt``, ES256K, ``kid`` = the holder's did:ethr URL). The API serves the
endpoints, the wallet is the client; both use these definitions:

- a *credential offer* ``openid-credential-offer://?credential_offer=<JSON>`` (section 4.1, by
  value) names the issuer, the credential configuration and the single-use pre-authorized code;
- the *proof JWT* (appendix F.1) binds the credential to the holder's key: header ``typ``,
  ``alg`` and ``kid``; claims ``aud`` (the credential issuer identifier), ``iat`` and ``nonce``
  (a ``c_nonce`` from the nonce endpoint); ``iss`` is left out, as anonymous pre-authorized
  access allows.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from registry_core.did import DidError, parse_did
from registry_core.errors import RegistryCoreError
from registry_core.vc import CredentialFormatError, decode_jwt, sign_jwt

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME = "openid-credential-offer"
PROOF_TYPE = "openid4vci-proof+jwt"
CREDENTIAL_FORMAT = "jwt_vc_json"
ISSUER_METADATA_PATH = "/.well-known/openid-credential-issuer"
AUTHORIZATION_SERVER_METADATA_PATH = "/.well-known/oauth-authorization-server"
MAX_OFFER_LENGTH = 4096
PROOF_MAX_AGE_SECONDS = 300
CLOCK_LEEWAY_SECONDS = 30


class OpenId4VciError(RegistryCoreError):
    """Something is not what OpenID4VCI says; ``error`` is the protocol's error code."""

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(detail)
        self.error = error


@dataclass(frozen=True)
class CredentialOffer:
    credential_issuer: str
    credential_configuration_ids: tuple[str, ...]
    pre_authorized_code: str

    def to_json(self) -> dict[str, Any]:
        return {
            "credential_issuer": self.credential_issuer,
            "credential_configuration_ids": list(self.credential_configuration_ids),
            "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": self.pre_authorized_code}},
        }

    def to_uri(self) -> str:
        text = json.dumps(self.to_json(), separators=(",", ":"))
        return f"{OFFER_SCHEME}://?credential_offer={quote(text, safe='')}"

    @classmethod
    def from_json(cls, data: object) -> CredentialOffer:
        try:
            if not isinstance(data, dict):
                raise TypeError("not an object")
            issuer = data["credential_issuer"]
            ids = data["credential_configuration_ids"]
            code = data["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
            if not (isinstance(issuer, str) and issuer.startswith(("https://", "http://"))):
                raise ValueError("credential_issuer")
            if not (isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids)):
                raise ValueError("credential_configuration_ids")
            if not (isinstance(code, str) and 0 < len(code) <= 512):
                raise ValueError("pre-authorized_code")
        except (KeyError, TypeError, ValueError) as exc:
            raise OpenId4VciError(
                "invalid_request", f"not a pre-authorized credential offer ({exc})"
            ) from None
        return cls(issuer, tuple(ids), code)

    @classmethod
    def parse(cls, uri: str) -> CredentialOffer:
        """An offer given by value (``credential_offer=``) in an ``openid-credential-offer://``
        URI, or as its bare JSON."""
        text = uri.strip()
        if len(text) > MAX_OFFER_LENGTH:
            raise OpenId4VciError("invalid_request", "the credential offer is too long")
        if text.startswith("{"):
            document = text
        else:
            parts = urlsplit(text)
            values = parse_qs(parts.query).get("credential_offer")
            if parts.scheme != OFFER_SCHEME or not values:
                raise OpenId4VciError(
                    "invalid_request", f"not an {OFFER_SCHEME}:// URI with a credential_offer"
                )
            document = values[0]
        try:
            data = json.loads(document)
        except json.JSONDecodeError:
            raise OpenId4VciError("invalid_request", "the credential offer is not JSON") from None
        return cls.from_json(data)


def make_proof(
    *, private_key: bytes, kid: str, audience: str, nonce: str, issued_at: int | None = None
) -> str:
    """An ``openid4vci-proof+jwt`` over the issuer's ``c_nonce`` for ``audience`` (the issuer)."""
    header = {"alg": "ES256K", "typ": PROOF_TYPE, "kid": kid}
    payload = {"aud": audience, "iat": int(time.time()) if issued_at is None else issued_at}
    payload["nonce"] = nonce
    return sign_jwt(payload, private_key, header=header)


@dataclass(frozen=True)
class ProofClaims:
    """A proof JWT that passed the checks needing no state: what is left to check is that
    ``nonce`` is a live, unused ``c_nonce`` and that a ``signer_candidates`` key may act for
    ``did`` (its DID document)."""

    did: str
    kid: str
    nonce: str
    issued_at: int
    signer_candidates: frozenset[str]  # addresses recovered from the signature (ids 0 and 1)


def read_proof(token: str, *, audience: str, now: int | None = None) -> ProofClaims:
    """Check a proof JWT's form, type, key id, audience and time (appendix F.1 / F.4)."""
    try:
        decoded = decode_jwt(token)
    except CredentialFormatError as exc:
        raise OpenId4VciError(
            "invalid_proof", f"the proof is not an ES256K JWT: {exc.detail}"
        ) from None
    header, claims = decoded.header, decoded.payload
    if header.get("typ") != PROOF_TYPE:
        raise OpenId4VciError("invalid_proof", f"the proof's typ must be {PROOF_TYPE}")
    kid = header.get("kid")
    if not isinstance(kid, str) or "#" not in kid or "jwk" in header or "x5c" in header:
        raise OpenId4VciError("invalid_proof", "the proof names its key by a did:ethr kid only")
    try:
        did = str(parse_did(kid.split("#", 1)[0]))
    except DidError:
        raise OpenId4VciError("invalid_proof", "the proof's kid is not a did:ethr URL") from None
    if claims.get("aud") != audience:
        raise OpenId4VciError("invalid_proof", "the proof's aud is not this credential issuer")
    issued_at = claims.get("iat")
    moment = int(time.time()) if now is None else now
    if not isinstance(issued_at, int) or isinstance(issued_at, bool):
        raise OpenId4VciError("invalid_proof", "the proof has no numeric iat")
    if issued_at > moment + CLOCK_LEEWAY_SECONDS or issued_at < moment - PROOF_MAX_AGE_SECONDS:
        raise OpenId4VciError("invalid_proof", "the proof's iat is too old or in the future")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise OpenId4VciError("invalid_nonce", "the proof carries no c_nonce")
    signers = frozenset(decoded.recover_addresses())
    return ProofClaims(did, kid, nonce, issued_at, signers)
