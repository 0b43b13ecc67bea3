"""The wallet's side of the city's protocols, checked against their reference implementations:
EIP-4361 messages against the ``siwe`` library, OpenID4VCI proof JWTs against PyJWT (ES256K),
and signed ERC-1056 ``changeOwnerSigned`` against the deployed registry contract."""

from __future__ import annotations

import time
import warnings
from datetime import UTC, datetime, timedelta

import jwt as pyjwt
import pytest
from coincurve import PublicKey
from cryptography.hazmat.primitives.asymmetric import ec
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.did import make_did
from registry_core.erc1056 import SignedChangeError, sign_change_owner
from registry_core.errors import TransactionFailedError
from registry_core.openid4vci import (
    PROOF_TYPE,
    CredentialOffer,
    OpenId4VciError,
    make_proof,
    read_proof,
)
from registry_core.rpc import RpcClient
from registry_core.sign_in import Audience, SignInError, build_message, parse_message, sign_message
from registry_core.transactions import Signer
from tests.credential_fixtures import CredentialCity

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import siwe

API = Audience.from_public_url("http://127.0.0.1:8000")
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _message(account: LocalAccount, **overrides: object) -> str:
    arguments: dict[str, object] = {
        "audience": API,
        "address": account.address,
        "chain_id": 52062,
        "nonce": "k3Jd9s0QpL",
        "issued_at": NOW,
    }
    return build_message(**{**arguments, **overrides})  # type: ignore[arg-type]


def test_sign_in_message_verifies_with_the_siwe_library() -> None:
    account = Account.create()
    text = _message(account)
    assert text.startswith("http://127.0.0.1:8000 wants you to sign in with your Ethereum account:")
    assert "Mit der Brieftasche bei der Stadt anmelden / Sign in to the city" in text
    parsed = siwe.SiweMessage.from_message(message=text)  # the library's ABNF parser
    assert (parsed.domain, parsed.uri, parsed.chain_id, parsed.nonce) == (
        "127.0.0.1:8000",
        "http://127.0.0.1:8000",
        52062,
        "k3Jd9s0QpL",
    )
    assert parsed.expiration_time == "2026-12-01T09:35:00.000Z"
    signature = sign_message(text, account)
    parsed.verify(
        signature, domain=API.domain, nonce="k3Jd9s0QpL", timestamp=NOW + timedelta(seconds=5)
    )
    with pytest.raises(siwe.DomainMismatch):
        parsed.verify(signature, domain="evil.example", timestamp=NOW)
    with pytest.raises(siwe.ExpiredMessage):
        parsed.verify(signature, timestamp=NOW + timedelta(minutes=6))
    with pytest.raises(siwe.InvalidSignature):
        parsed.verify(sign_message(text, Account.create()), timestamp=NOW)
    assert parse_message(text).address == account.address


def test_sign_in_refuses_what_eip4361_forbids() -> None:
    account = Account.create()
    with pytest.raises(SignInError, match="at least 8"):
        _message(account, nonce="short")
    with pytest.raises(SignInError):
        Audience.from_public_url("ftp://city.example")
    with pytest.raises(SignInError, match="not an EIP-4361"):
        parse_message("hello")
    assert Audience.from_public_url("https://city.example/api/").uri == "https://city.example/api"


def _public_key(account: LocalAccount) -> ec.EllipticCurvePublicKey:
    point = PublicKey.from_valid_secret(bytes(account.key)).format(compressed=True)
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), point)


def test_proof_jwt_is_a_standard_es256k_jws() -> None:
    holder = Account.create()
    did = make_did(holder.address, 52062)
    proof = make_proof(
        private_key=bytes(holder.key), kid=f"{did}#controller", audience=API.uri, nonce="c-1"
    )
    header = pyjwt.get_unverified_header(proof)
    assert header == {"alg": "ES256K", "typ": PROOF_TYPE, "kid": f"{did}#controller"}
    claims = pyjwt.decode(proof, _public_key(holder), algorithms=["ES256K"], audience=API.uri)
    assert claims["nonce"] == "c-1" and abs(claims["iat"] - time.time()) < 5
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(proof, _public_key(Account.create()), algorithms=["ES256K"], audience=API.uri)
    read = read_proof(proof, audience=API.uri)
    assert (
        read.did == did and read.nonce == "c-1" and holder.address.lower() in read.signer_candidates
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"aud": "https://other.example"}, "invalid_proof"),
        ({"iat": int(time.time()) - 3600}, "invalid_proof"),
        ({"iat": int(time.time()) + 3600}, "invalid_proof"),
        ({"nonce": ""}, "invalid_nonce"),
        ({"typ": "JWT"}, "invalid_proof"),
        ({"kid": "did:web:example.com#key-1"}, "invalid_proof"),
    ],
)
def test_proof_refusals(change: dict[str, object], error: str) -> None:
    from registry_core.vc import sign_jwt

    holder = Account.create()
    did = make_did(holder.address, 52062)
    header = {"alg": "ES256K", "typ": PROOF_TYPE, "kid": f"{did}#controller"}
    payload: dict[str, object] = {"aud": API.uri, "iat": int(time.time()), "nonce": "c-1"}
    for key, value in change.items():
        (header if key in ("typ", "kid") else payload)[key] = value
    token = sign_jwt(payload, bytes(holder.key), header=header)
    with pytest.raises(OpenId4VciError) as refused:
        read_proof(token, audience=API.uri)
    assert refused.value.error == error
    with pytest.raises(OpenId4VciError) as garbage:
        read_proof("not.a.jwt", audience=API.uri)
    assert garbage.value.error == "invalid_proof"


def test_credential_offer_round_trip_and_refusals() -> None:
    offer = CredentialOffer("http://127.0.0.1:8000", ("RESIDENT_PARKING",), "pa-Zx81")
    uri = offer.to_uri()
    assert uri.startswith("openid-credential-offer://?credential_offer=%7B%22credential_issuer")
    assert CredentialOffer.parse(uri) == offer
    assert offer.to_json()["grants"] == {
        "urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": "pa-Zx81"}
    }
    for bad in (
        "https://x/?credential_offer={}",
        "openid-credential-offer://?credential_offer=[",
        "{}",
    ):
        with pytest.raises(OpenId4VciError):
            CredentialOffer.parse(bad)


def _owner(rpc: RpcClient, city: CredentialCity, identity: str) -> str:
    registry = city.manifest.contract("EthereumDIDRegistry")
    data = registry.interface.encode_call("identityOwner", identity)
    return str(registry.interface.decode_output("identityOwner", rpc.call(registry.address, data)))


def _nonce(rpc: RpcClient, city: CredentialCity, owner: str) -> int:
    registry = city.manifest.contract("EthereumDIDRegistry")
    data = registry.interface.encode_call("nonce", owner)
    return int(registry.interface.decode_output("nonce", rpc.call(registry.address, data)))


def test_signed_change_owner_is_accepted_by_the_did_registry(
    credential_city: CredentialCity, gateway_rpc: RpcClient
) -> None:
    citizen, new_key = Account.create(), Account.create()
    registry = credential_city.manifest.contract("EthereumDIDRegistry")
    signed = sign_change_owner(
        citizen,
        registry=registry.address,
        nonce=_nonce(gateway_rpc, credential_city, citizen.address),
        identity=citizen.address,
        new_owner=new_key.address,
    )
    assert signed.signer(registry.address) == citizen.address
    with pytest.raises(SignedChangeError):
        type(signed)(
            signed.identity, signed.new_owner, signed.nonce, 29, signed.r, signed.s
        ).signer(registry.address)
    relayer = Signer(credential_city.keys["FB33"], gateway_rpc)  # a department relays it

    def submit(change: type(signed)) -> None:  # type: ignore[valid-type]
        relayer.transact(
            to=registry.address,
            data=registry.interface.encode_call(
                "changeOwnerSigned", change.identity, change.v, change.r, change.s, change.new_owner
            ),
            interface=registry.interface,
        )

    submit(signed)
    assert _owner(gateway_rpc, credential_city, citizen.address).lower() == new_key.address.lower()
    with pytest.raises(TransactionFailedError) as replay:  # the nonce moved on: a replay fails
        submit(signed)
    assert replay.value.error_name == "DIDRegistryBadSignature"
