"""W3C Verifiable Credentials and Presentations as JWT (VC-JWT, ES256K), signed with coincurve.

Format (VC Data Model 1.1, "JWT encoding"):

- header ``{"alg":"ES256K","typ":"JWT"}``; compact JWS; the signature is the 64-byte ``r‖s`` (low-s)
  of ECDSA/secp256k1 over ``SHA-256(ASCII(header "." payload))``, base64url without padding;
- ``iss`` = the department's did:ethr, ``sub`` = the holder's did:ethr, ``nbf``/``exp`` (seconds),
  ``jti`` = ``urn:uuid:…``, and ``vc`` with ``@context``, ``type``, ``credentialSubject`` and
  ``credentialStatus``.

``credentialStatus`` (type ``EthereumCredentialStatus2026``, documented in the README) names where the
status lives: ``id`` = ``eip155:<chainId>:<CredentialStatusRegistry address>`` (CAIP-10) and
``credentialType`` (the trusted-issuer type code). The *credential hash* anchored on
chain is ``keccak256(ASCII(JWT))``: verifiers compute it from the token they hold, so the token does
not (and cannot) contain its own hash.

did-jwt compatibility: did-jwt verifies ES256K against an ``EcdsaSecp256k1RecoveryMethod2020``
(``blockchainAccountId``) by recovering the public key with recovery ids 0 and 1 and comparing the
address; signatures made here are plain low-s compact signatures, which is exactly what it expects.

Batch-issued credentials travel as an *envelope* ``<JWT>~<base64url(root ‖ proof…)>``: the Merkle
root of the batch followed by the sibling hashes (32 bytes each) of the credential's leaf.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from coincurve import PrivateKey, PublicKey
from coincurve._libsecp256k1 import lib
from coincurve.ecdsa import deserialize_compact

from registry_core.eip712 import SECP256K1_N
from registry_core.errors import RegistryCoreError
from registry_core.keccak import keccak256

VC_CONTEXT = "https://www.w3.org/2018/credentials/v1"
CITY_CONTEXT = "https://city-registry.example/credentials/v1"
STATUS_TYPE = "EthereumCredentialStatus2026"
HEADER = {"alg": "ES256K", "typ": "JWT"}
MAX_JWT_LENGTH = 8192
MAX_ENVELOPE_LENGTH = MAX_JWT_LENGTH + 2000
_HEADER_B64 = ""  # filled below


class CredentialFormatError(RegistryCoreError):
    """A token is not a well-formed VC-JWT / VP-JWT (or an envelope)."""


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def b64url(data: bytes) -> str:
    # base64.urlsafe_b64encode, minus two layers of Python wrappers (hot path)
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise CredentialFormatError("invalid base64url") from exc


_HEADER_B64 = b64url(orjson.dumps(HEADER))


def _sha256(message: bytes) -> bytes:
    return hashlib.sha256(message).digest()


def address_of(public_key: PublicKey) -> str:
    """Lower-case Ethereum address of a public key."""
    return "0x" + keccak256(public_key.format(compressed=False)[1:])[-20:].hex()


def credential_hash(jwt: str) -> bytes:
    """The hash anchored on chain: keccak256 of the JWT's ASCII bytes."""
    return keccak256(jwt.encode("ascii"))


def sign_jwt(
    payload: dict[str, Any], private_key: bytes, *, header: dict[str, Any] | None = None
) -> str:
    """Compact JWS with ES256K over ``payload`` (serialised without spaces); ``header`` replaces
    the VC-JWT header (it must say ``"alg": "ES256K"``), e.g. for OpenID4VCI proofs."""
    header_b64 = _HEADER_B64 if header is None else b64url(orjson.dumps(header))
    signing_input = header_b64 + "." + b64url(orjson.dumps(payload))
    signature = PrivateKey(private_key).sign_recoverable(signing_input.encode("ascii"), _sha256)
    return signing_input + "." + b64url(signature[:64])


@dataclass(frozen=True)
class DecodedJwt:
    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes  # 64 bytes r‖s

    def _recovered_keys(self) -> Iterator[PublicKey]:
        """The public keys recovered with recovery ids 0 and 1 (those that recover at all)."""
        for recovery_id in (0, 1):
            try:
                yield PublicKey.from_signature_and_message(
                    self.signature + bytes([recovery_id]), self.signing_input, _sha256
                )
            except (ValueError, TypeError):
                continue

    def recover_addresses(self) -> set[str]:
        """Addresses recovered with recovery ids 0 and 1 (did-jwt's ES256K check against
        ``blockchainAccountId``); one of them is the signer's if the signature is valid."""
        return {address_of(key) for key in self._recovered_keys()}

    def signed_by(self, addresses: Sequence[str] | frozenset[str] | set[str]) -> str | None:
        """Which of ``addresses`` (lower case) signed this token, or None.

        Public keys learned from earlier recoveries are kept (LRU), so a warm check is one ECDSA
        verification instead of two recoveries.
        """
        if _is_high_s(self.signature):
            return None  # did-jwt (noble) refuses high-s signatures; so do we
        for address in addresses:
            key = _KNOWN_KEYS.get(address)
            if key is not None and _verify(key, self.signature, self.signing_input):
                return address
        for key in self._recovered_keys():
            address = address_of(key)
            if address in addresses:
                _KNOWN_KEYS.put(address, key)
                return address
        return None

    def signed_by_public_key(self, public_key_hex: str) -> bool:
        try:
            key = PublicKey(bytes.fromhex(public_key_hex.removeprefix("0x")))
        except ValueError:
            return False
        return not _is_high_s(self.signature) and _verify(key, self.signature, self.signing_input)


def _is_high_s(signature: bytes) -> bool:
    return int.from_bytes(signature[32:], "big") > SECP256K1_N // 2


def _verify(key: PublicKey, signature: bytes, message: bytes) -> bool:
    """ECDSA verification straight from the compact signature (coincurve's ``verify`` wants DER,
    which would mean converting compact -> DER -> compact on the verification hot path)."""
    try:
        parsed = deserialize_compact(signature)
    except (ValueError, TypeError):
        return False
    digest = hashlib.sha256(message).digest()
    return bool(lib.secp256k1_ecdsa_verify(key.context.ctx, parsed, digest, key.public_key))


class _KeyCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._keys: OrderedDict[str, PublicKey] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, address: str) -> PublicKey | None:
        with self._lock:
            return self._keys.get(address)

    def put(self, address: str, key: PublicKey) -> None:
        with self._lock:
            self._keys[address] = key
            self._keys.move_to_end(address)
            while len(self._keys) > self.size:
                self._keys.popitem(last=False)


_KNOWN_KEYS = _KeyCache(4096)


def decode_jwt(token: str) -> DecodedJwt:
    """Split and parse a compact ES256K JWS; :class:`CredentialFormatError` for anything else."""
    if not isinstance(token, str):
        raise CredentialFormatError("a JWT is a string")
    if len(token) > MAX_JWT_LENGTH:
        raise CredentialFormatError(f"the token is longer than {MAX_JWT_LENGTH} characters")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise CredentialFormatError("a JWT has three non-empty parts separated by '.'")
    try:
        # Our own header is always the same text: skip decoding it.
        header = dict(HEADER) if parts[0] == _HEADER_B64 else orjson.loads(b64url_decode(parts[0]))
        payload = orjson.loads(b64url_decode(parts[1]))
    except orjson.JSONDecodeError as exc:
        raise CredentialFormatError("the JWT header or payload is not JSON") from exc
    _check_claims(header, payload)
    signature = b64url_decode(parts[2])
    if len(signature) != 64:
        raise CredentialFormatError(f"an ES256K signature has 64 bytes, not {len(signature)}")
    return DecodedJwt(header, payload, (parts[0] + "." + parts[1]).encode("ascii"), signature)


def _check_claims(header: Any, payload: Any) -> None:
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise CredentialFormatError("the JWT header and payload must be JSON objects")
    if header.get("alg") != "ES256K":
        raise CredentialFormatError(
            f"unsupported algorithm {header.get('alg')!r:.20}, expected ES256K"
        )


_HEADER_JSON = orjson.dumps(HEADER)


def decode_packed(
    header: bytes, payload: bytes, signature: bytes, proof: bytes
) -> tuple[Envelope, DecodedJwt]:
    """``Envelope.parse`` and :func:`decode_jwt` of the envelope whose JWT parts and batch proof
    are these bytes (as a QR payload carries them): same results and the same errors in the same
    order, without decoding base64url that was just encoded."""
    header_b64 = _HEADER_B64 if header == _HEADER_JSON else b64url(header)
    signing_input = header_b64 + "." + b64url(payload)
    jwt = signing_input + "." + b64url(signature)
    if len(jwt) + (len(b64url(proof)) + 1 if proof else 0) > MAX_ENVELOPE_LENGTH:
        raise CredentialFormatError("the credential is too long")
    envelope = Envelope(jwt, BatchProof.from_bytes(proof) if proof else None)
    # What decode_jwt checks of ``jwt``; base64url made here always decodes.
    if len(jwt) > MAX_JWT_LENGTH:
        raise CredentialFormatError(f"the token is longer than {MAX_JWT_LENGTH} characters")
    if not header or not payload or not signature:
        raise CredentialFormatError("a JWT has three non-empty parts separated by '.'")
    try:
        header_claims = dict(HEADER) if header_b64 == _HEADER_B64 else orjson.loads(header)
        payload_claims = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise CredentialFormatError("the JWT header or payload is not JSON") from exc
    _check_claims(header_claims, payload_claims)
    if len(signature) != 64:
        raise CredentialFormatError(f"an ES256K signature has 64 bytes, not {len(signature)}")
    decoded = DecodedJwt(header_claims, payload_claims, signing_input.encode("ascii"), signature)
    return envelope, decoded


def status_entry(*, chain_id: int, registry: str, type_code: str) -> dict[str, Any]:
    """``credentialStatus``: the registry as a CAIP-10 account id and the trusted-issuer type code."""
    return {
        "id": f"eip155:{chain_id}:{registry}",
        "type": STATUS_TYPE,
        "credentialType": type_code,
    }


def parse_status_entry(entry: Any) -> tuple[int, str, str]:
    """(chain id, registry address, type code) of a ``credentialStatus``; CredentialFormatError."""
    if not isinstance(entry, dict) or entry.get("type") != STATUS_TYPE:
        raise CredentialFormatError(f"credentialStatus must be of type {STATUS_TYPE}")
    parts = str(entry.get("id", "")).split(":")
    code = entry.get("credentialType")
    if (
        len(parts) != 3
        or parts[0] != "eip155"
        or not parts[1].isdigit()
        or not isinstance(code, str)
    ):
        raise CredentialFormatError(
            "credentialStatus needs id eip155:<chainId>:<registry> and credentialType"
        )
    return int(parts[1]), parts[2], code


def issue_credential(
    *,
    issuer_did: str,
    subject_did: str,
    vc_type: str,
    claims: dict[str, Any],
    status: dict[str, Any],
    private_key: bytes,
    valid_from: int | None = None,
    valid_until: int,
    jti: str | None = None,
) -> str:
    """Sign a VC-JWT. ``claims`` become ``credentialSubject`` as given, without an ``id``: the holder's
    DID is ``sub``, the JWT encoding's stand-in for ``credentialSubject.id`` (VC Data Model 1.1)."""
    now = int(time.time()) if valid_from is None else valid_from
    payload = {
        "iss": issuer_did,
        "sub": subject_did,
        "nbf": now,
        "exp": valid_until,
        "jti": jti or f"urn:uuid:{uuid.uuid4()}",
        "vc": {
            "@context": [VC_CONTEXT, CITY_CONTEXT],
            "type": ["VerifiableCredential", vc_type],
            "credentialSubject": dict(claims),
            "credentialStatus": status,
        },
    }
    return sign_jwt(payload, private_key)


def create_presentation(
    *,
    holder_did: str,
    credentials: Sequence[str],
    audience: str,
    nonce: str,
    private_key: bytes,
    lifetime: int = 300,
    now: int | None = None,
) -> str:
    """Sign a VP-JWT binding ``credentials`` to the holder for one verifier (``aud``) and challenge."""
    issued = int(time.time()) if now is None else now
    payload = {
        "iss": holder_did,
        "aud": audience,
        "nonce": nonce,
        "nbf": issued,
        "exp": issued + lifetime,
        "jti": f"urn:uuid:{uuid.uuid4()}",
        "vp": {
            "@context": [VC_CONTEXT],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": list(credentials),
        },
    }
    return sign_jwt(payload, private_key)


@dataclass(frozen=True)
class BatchProof:
    root: bytes
    proof: tuple[bytes, ...]

    def encode(self) -> str:
        return b64url(self.root + b"".join(self.proof))

    @classmethod
    def decode(cls, text: str) -> BatchProof:
        return cls.from_bytes(b64url_decode(text))

    @classmethod
    def from_bytes(cls, raw: bytes) -> BatchProof:
        if not raw or len(raw) % 32 or len(raw) > 32 * 33:
            raise CredentialFormatError("a batch proof is a root and at most 32 hashes of 32 bytes")
        hashes = [raw[i : i + 32] for i in range(0, len(raw), 32)]
        return cls(hashes[0], tuple(hashes[1:]))


@dataclass(frozen=True)
class Envelope:
    """A credential as carried in files and QR codes: the JWT and, for batch members, the proof."""

    jwt: str
    batch: BatchProof | None = None

    def serialize(self) -> str:
        return self.jwt if self.batch is None else f"{self.jwt}~{self.batch.encode()}"

    @classmethod
    def parse(cls, text: str) -> Envelope:
        if not isinstance(text, str) or len(text) > MAX_ENVELOPE_LENGTH:
            raise CredentialFormatError("the credential is too long")
        text = text.strip()
        jwt, sep, proof = text.partition("~")
        if not sep:
            return cls(jwt)
        return cls(jwt, BatchProof.decode(proof))

    @property
    def credential_hash(self) -> bytes:
        return credential_hash(self.jwt)
