"""Sign-In with Ethereum (EIP-4361) and citizen sessions: the rules, no HTTP.

The API hands out single-use nonces (stored, so any API process can check them); a signed-in
citizen gets a short-lived, revocable session token bound to the address and its did:ethr. The
message is verified with the ``siwe`` library (signature, domain, scheme, times) against what this
API expects (domain, URI and scheme from the configured public URL, the chain id), and each
refusal names what was wrong (a :class:`RegistryError`: problem+json with ``detail_de``).

A key may sign in for a DID other than its own only if the chain says it controls that DID
(ERC-1056 ``identityOwner``, after a key rotation): the message names the DID as its resource.
The old key of a rotated identity can no longer sign in as it.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from registry_api.core.errors import RegistryError
from registry_api.models.identity_tables import CitizenSession, SignInNonce
from registry_core.did import DidError, make_did, parse_did
from registry_core.sign_in import Audience, SignInError, parse_message

with warnings.catch_warnings():  # abnf < 2.9 warns about siwe's core rules
    warnings.simplefilter("ignore")
    import siwe

NONCE_ALPHABET = string.ascii_letters + string.digits
NONCE_LENGTH = 17  # EIP-4361: at least 8 alphanumerics; 17 give ~101 bits
CLOCK_LEEWAY_SECONDS = 30
MAX_MESSAGE_LIFETIME_SECONDS = 900


def _refuse(kind: str, detail: str, detail_de: str, *, status: int = 401) -> RegistryError:
    return RegistryError(
        status=status,
        kind=f"sign-in-{kind}",
        title="Sign-in refused / Anmeldung abgelehnt",
        detail=detail,
        detail_de=detail_de,
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue_nonce(session: Session, *, now: int, lifetime: int) -> SignInNonce:
    nonce = "".join(secrets.choice(NONCE_ALPHABET) for _ in range(NONCE_LENGTH))
    row = SignInNonce(nonce=nonce, expires_at=now + lifetime)
    session.add(row)
    session.commit()
    return row


def _seconds(value: object) -> int:
    """An EIP-4361 ISO 8601 time (siwe's ISO8601Datetime) as unix seconds."""
    moment: datetime = value._datetime  # type: ignore[attr-defined]
    return int(moment.timestamp())


@dataclass(frozen=True)
class SignedIn:
    token: str  # shown once; only its hash is stored
    session: CitizenSession


def sign_in(
    session: Session,
    *,
    message: str,
    signature: str,
    audience: Audience,
    chain_id: int,
    session_lifetime: int,
    owner_of: Callable[[str], str],
    now: int,
) -> SignedIn:
    """Check a signed EIP-4361 message; consume its nonce; open a session.

    ``owner_of(did)`` is the DID's current ERC-1056 owner (a chain read, as fresh as the head).
    """
    try:
        parsed = parse_message(message)
    except SignInError as exc:
        raise _refuse(
            "malformed-message",
            exc.detail,
            "die Nachricht ist keine EIP-4361-Anmeldung",
            status=400,
        ) from None
    if parsed.uri.rstrip("/") != audience.uri:
        raise _refuse(
            "wrong-uri",
            f"the message's URI is {parsed.uri!r:.100}, expected {audience.uri!r}",
            f"die URI der Nachricht ist nicht {audience.uri}",
        )
    if parsed.chain_id != chain_id:
        raise _refuse(
            "wrong-chain",
            f"the message is for chain {parsed.chain_id}, this city runs chain {chain_id}",
            f"die Nachricht gilt für Kette {parsed.chain_id}, die Stadt nutzt {chain_id}",
        )
    issued_at = _seconds(parsed.issued_at)
    if issued_at > now + CLOCK_LEEWAY_SECONDS:
        raise _refuse(
            "not-yet-valid", "the message is issued in the future", "die Nachricht ist vordatiert"
        )
    if parsed.expiration_time is None or (
        _seconds(parsed.expiration_time) - issued_at > MAX_MESSAGE_LIFETIME_SECONDS
    ):
        raise _refuse(
            "lifetime-too-long",
            f"the message needs an expiration time at most {MAX_MESSAGE_LIFETIME_SECONDS} s "
            "after its issued-at",
            "die Nachricht braucht eine kurze Ablaufzeit",
        )
    try:
        parsed.verify(
            signature,
            scheme=audience.scheme,
            domain=audience.domain,
            timestamp=datetime.fromtimestamp(now, UTC),
        )
    except siwe.DomainMismatch:
        raise _refuse(
            "wrong-domain",
            f"the message is for {parsed.domain!r:.100}, not {audience.domain!r}",
            f"die Nachricht gilt nicht für {audience.domain}",
        ) from None
    except siwe.siwe.SchemeMismatch:
        raise _refuse(
            "wrong-domain",
            f"the message's scheme is {parsed.scheme!r:.20}, expected {audience.scheme!r}",
            "falsches Schema der Nachricht",
        ) from None
    except siwe.ExpiredMessage:
        raise _refuse(
            "expired", "the message has expired", "die Nachricht ist abgelaufen"
        ) from None
    except siwe.NotYetValidMessage:
        raise _refuse(
            "not-yet-valid", "the message is not valid yet (not-before)", "noch nicht gültig"
        ) from None
    except (siwe.InvalidSignature, siwe.VerificationError, ValueError):
        raise _refuse(
            "wrong-address",
            f"the signature is not {parsed.address}'s",
            f"die Unterschrift stammt nicht von {parsed.address}",
        ) from None
    did = _did_for(parsed.address, parsed.resources, chain_id, owner_of)
    _consume_nonce(session, parsed.nonce, now)
    token = "cst_" + secrets.token_urlsafe(32)
    row = CitizenSession(
        token_hash=token_hash(token),
        address=parsed.address,
        did=did,
        created_at=now,
        expires_at=now + session_lifetime,
    )
    session.add(row)
    session.commit()
    return SignedIn(token, row)


def _did_for(
    address: str, resources: list[str] | None, chain_id: int, owner_of: Callable[[str], str]
) -> str:
    """The DID the key signs in for: its own, or the one resource it names (after a rotation)."""
    named = resources or []
    if len(named) > 1:
        raise _refuse("malformed-message", "name at most one DID as resource", "höchstens eine DID")
    try:
        identity = parse_did(named[0]) if named else parse_did(make_did(address, chain_id))
    except DidError:
        raise _refuse(
            "malformed-message",
            "the resource is not a did:ethr",
            "die Ressource ist keine did:ethr",
        ) from None
    if identity.chain_id != chain_id:
        raise _refuse("wrong-chain", "the DID is of another chain", "DID einer anderen Kette")
    if owner_of(str(identity)).lower() != address.lower():
        raise _refuse(
            "not-controller",
            f"{address} does not control {identity} on chain (ERC-1056 identityOwner)",
            f"{address} verfügt auf der Kette nicht über {identity}",
            status=403,
        )
    return str(identity)


def _consume_nonce(session: Session, nonce: str, now: int) -> None:
    taken = session.exec(
        update(SignInNonce)
        .where(
            col(SignInNonce.nonce) == nonce[:32],
            col(SignInNonce.used_at).is_(None),
            col(SignInNonce.expires_at) > now,
        )
        .values(used_at=now)
    )
    if taken.rowcount == 1:
        return
    session.rollback()
    known = session.get(SignInNonce, nonce[:32])
    if known is None:
        raise _refuse("unknown-nonce", "this API did not hand out that nonce", "unbekannte Nonce")
    if known.used_at is not None:
        raise _refuse("nonce-used", "the nonce was used before (replay)", "Nonce schon benutzt")
    raise _refuse("nonce-expired", "the nonce has expired; ask for a new one", "Nonce abgelaufen")


def current_session(session: Session, token: str, *, now: int) -> CitizenSession:
    row = session.get(CitizenSession, token_hash(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise RegistryError(
            status=401,
            kind="invalid-session",
            title="Not signed in / Nicht angemeldet",
            detail="the session token is unknown, expired or logged out; sign in again",
            detail_de="die Sitzung ist unbekannt, abgelaufen oder beendet; neu anmelden",
        )
    return row


def logout(session: Session, citizen: CitizenSession, *, now: int) -> None:
    session.exec(
        update(CitizenSession)
        .where(col(CitizenSession.token_hash) == citizen.token_hash)
        .values(revoked_at=now)
    )
    session.commit()


def sessions_of(session: Session, did: str) -> list[CitizenSession]:
    return list(session.exec(select(CitizenSession).where(CitizenSession.did == did)))
