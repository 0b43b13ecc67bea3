"""Sign-In with Ethereum (EIP-4361) messages as the city uses them, built with the ``siwe`` library.

The wallet builds and signs the message, the API parses and verifies it with the same library; both
take the expected *domain* and *URI* from the API's configured public URL (never from a request's
Host header): domain = the URL's authority (host and port), URI = the URL itself, scheme = its
scheme. The statement is ASCII in German and English, as EIP-4361's grammar allows only ASCII
there. Signatures are EIP-191 ``personal_sign`` over the message text, as EIP-4361 says. A key that
controls a DID other than its own (after a rotation) names that DID as the message's one resource.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from pydantic import ValidationError

from registry_core.errors import RegistryCoreError

# abnf < 2.9 (the README's "Toolchain notes") warns about siwe's core rules on import.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from siwe import SiweMessage

STATEMENT = "Mit der Brieftasche bei der Stadt anmelden / Sign in to the city with your wallet"
MESSAGE_LIFETIME_SECONDS = 300
MAX_MESSAGE_LENGTH = 2048


class SignInError(RegistryCoreError):
    """A sign-in message cannot be built from what was given."""


@dataclass(frozen=True)
class Audience:
    """Who a sign-in message is for, from the API's public URL."""

    scheme: str
    domain: str
    uri: str

    @classmethod
    def from_public_url(cls, public_url: str) -> Audience:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
            raise SignInError(f"the public URL {public_url!r} is not an http(s) URL with a host")
        return cls(scheme=parts.scheme, domain=parts.netloc, uri=public_url.rstrip("/"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def build_message(
    *,
    audience: Audience,
    address: str,
    chain_id: int,
    nonce: str,
    issued_at: datetime,
    lifetime_seconds: int = MESSAGE_LIFETIME_SECONDS,
    statement: str = STATEMENT,
    did: str | None = None,
) -> str:
    """The EIP-4361 text the wallet signs. ``did`` (a resource) names the did:ethr the key acts
    for when it is not the key's own, i.e. after a key rotation (ERC-1056 ``changeOwner``)."""
    try:
        message = SiweMessage(
            scheme=audience.scheme,
            domain=audience.domain,
            address=address,
            uri=audience.uri,
            version="1",
            chain_id=chain_id,
            issued_at=_iso(issued_at),
            expiration_time=_iso(issued_at + timedelta(seconds=lifetime_seconds)),
            nonce=nonce,
            statement=statement,
            resources=[did] if did else None,
        )
    except ValidationError as exc:
        raise SignInError(f"cannot build a sign-in message: {exc.errors()[0]['msg']}") from None
    return str(message.prepare_message())


def sign_message(text: str, account: LocalAccount) -> str:
    """EIP-191 ``personal_sign`` of the message text, as 0x-hex (65 bytes r‖s‖v)."""
    signed = account.sign_message(encode_defunct(text=text))
    return "0x" + bytes(signed.signature).hex()


SIWE_PREAMBLE = " wants you to sign in with your Ethereum account:"


def parse_message(text: str) -> SiweMessage:
    """The message's fields (siwe's ABNF parser); :class:`SignInError` if it is not EIP-4361."""
    if len(text) > MAX_MESSAGE_LENGTH:
        raise SignInError(f"a sign-in message has at most {MAX_MESSAGE_LENGTH} characters")
    # siwe's ABNF parser takes time that grows with the square of what it cannot parse (~2 s for
    # 2 KB of junk on a free core); a message without EIP-4361's preamble never reaches it.
    first_line, _, rest = text.partition("\n")
    if not first_line.endswith(SIWE_PREAMBLE) or not rest.startswith("0x"):
        raise SignInError("not an EIP-4361 message: it does not begin with its preamble")
    try:
        return SiweMessage.from_message(message=text)
    except Exception as exc:  # siwe raises ValueError, ValidationError and parser errors
        raise SignInError(f"not an EIP-4361 message: {str(exc)[:160]}") from None
