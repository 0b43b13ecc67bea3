"""VC-JWT signing (ES256K), the CRV1 QR payload and its images."""

from __future__ import annotations

import contextlib
import io
import time

import pytest
import zxingcpp
from eth_account import Account
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

from registry_core.did import make_did
from registry_core.qr import (
    MAX_PAYLOAD_CHARS,
    PREFIX,
    QrPayloadError,
    QrRenderer,
    decode_payload,
    encode_payload,
    qr_info,
)
from registry_core.vc import (
    BatchProof,
    CredentialFormatError,
    Envelope,
    b64url,
    b64url_decode,
    credential_hash,
    decode_jwt,
    issue_credential,
    status_entry,
)

ISSUER = Account.create()
HOLDER = Account.create()
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _credential(**claims: str) -> str:
    return issue_credential(
        issuer_did=make_did(ISSUER.address, 52062),
        subject_did=make_did(HOLDER.address, 52062),
        vc_type="ResidenceCertificate",
        claims=claims
        or {
            "givenName": "Erika",
            "familyName": "Mustermann",
            "birthDate": "1964-08-12",
            "address": "Marktplatz 1, 52062 Aachen",
            "since": "2020-01-01",
        },
        status=status_entry(chain_id=52062, registry=REGISTRY, type_code="RESIDENCE_CERT"),
        private_key=bytes(ISSUER.key),
        valid_until=int(time.time()) + 365 * 86400,
    )


def test_jwt_has_es256k_header_and_vc_claims() -> None:
    token = decode_jwt(_credential())
    assert token.header == {"alg": "ES256K", "typ": "JWT"}
    payload = token.payload
    assert payload["iss"] == make_did(ISSUER.address, 52062)
    assert payload["sub"] == make_did(HOLDER.address, 52062)
    assert payload["jti"].startswith("urn:uuid:") and payload["nbf"] < payload["exp"]
    assert payload["vc"]["type"] == ["VerifiableCredential", "ResidenceCertificate"]
    assert payload["vc"]["credentialStatus"] == {
        "id": f"eip155:52062:{REGISTRY}",
        "type": "EthereumCredentialStatus2026",
        "credentialType": "RESIDENCE_CERT",
    }


def test_signature_is_low_s_and_recovers_the_issuer_like_did_jwt() -> None:
    token = decode_jwt(_credential())
    assert int.from_bytes(token.signature[32:], "big") <= 2**255  # low-s
    # did-jwt: recover with recovery ids 0 and 1, compare with blockchainAccountId's address.
    assert ISSUER.address.lower() in token.recover_addresses()
    assert token.signed_by({ISSUER.address.lower()}) == ISSUER.address.lower()
    assert token.signed_by({ISSUER.address.lower()}) == ISSUER.address.lower()  # warm key cache
    assert token.signed_by({HOLDER.address.lower()}) is None


def test_tampered_payload_is_not_signed_by_the_issuer() -> None:
    header, payload, signature = _credential().split(".")
    body = b64url_decode(payload).replace(b"Erika", b"Erich")
    forged = decode_jwt(f"{header}.{b64url(body)}.{signature}")
    assert forged.signed_by({ISSUER.address.lower()}) is None


@pytest.mark.parametrize(
    "token",
    ["", "a.b", "a.b.c", "x" * 10_000, "eyJhbGciOiJub25lIn0.e30.", "e30.e30." + "A" * 86],
)
def test_malformed_tokens_raise_format_errors(token: str) -> None:
    with pytest.raises(CredentialFormatError):
        decode_jwt(token)


def test_credential_hash_is_keccak_of_the_jwt_text() -> None:
    from eth_utils.crypto import keccak

    jwt = _credential()
    assert credential_hash(jwt) == keccak(text=jwt)


def test_typical_credential_fits_qr_version_16_at_m() -> None:
    payload = encode_payload(_credential())
    info = qr_info(payload)
    assert payload.startswith(PREFIX)
    assert info.version <= 16 and info.error_correction == "M", info
    assert set(payload) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def test_payload_round_trips_exactly_including_a_batch_proof() -> None:
    jwt = _credential()
    envelope = Envelope(jwt, BatchProof(b"\1" * 32, (b"\2" * 32, b"\3" * 32)))
    text = envelope.serialize()
    assert decode_payload(encode_payload(text)) == text
    assert Envelope.parse(text) == envelope
    assert decode_payload(encode_payload(jwt)) == jwt


@given(st.text(max_size=300))
@example("a.b.c")
@example("e30.e30.AAAA~AA")
def test_any_text_round_trips(text: str) -> None:
    assert decode_payload(encode_payload(text)) == text


@given(st.text(max_size=400))
@example(PREFIX + "%%%")
@example(PREFIX + "00")
@example(PREFIX)
def test_garbage_payloads_raise_only_payload_errors(text: str) -> None:
    with contextlib.suppress(QrPayloadError):
        decode_payload(text)


def test_over_long_payload_is_refused_before_decoding() -> None:
    with pytest.raises(QrPayloadError, match="more than"):
        decode_payload(PREFIX + "0" * MAX_PAYLOAD_CHARS)


def test_zip_bomb_is_bounded() -> None:
    import zlib

    import base45

    from registry_core.qr import CRV1_DICTIONARY

    packer = zlib.compressobj(9, zdict=CRV1_DICTIONARY)
    bomb = packer.compress(b"\0" + b"A" * 1_000_000) + packer.flush()
    with pytest.raises(QrPayloadError, match="expands"):
        decode_payload(PREFIX + base45.b45encode(bomb).decode())


def test_png_is_read_back_by_zxing_and_images_are_cached(tmp_path) -> None:
    payload = encode_payload(_credential())
    renderer = QrRenderer(cache_dir=tmp_path)
    png = renderer.render(payload, "png")
    assert renderer.render(payload, "png") is png and renderer.hits == 1
    (result,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert result.text == payload
    svg = renderer.render(payload, "svg")
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert QrRenderer(cache_dir=tmp_path).render(payload, "png") == png  # from disk


def test_b64url_decode_rejects_garbage() -> None:
    with pytest.raises(CredentialFormatError):
        b64url_decode("a")


@given(st.binary(max_size=600))
def test_fast_base45_decoder_matches_the_base45_package(data: bytes) -> None:
    import base45

    from registry_core.qr import b45decode

    text = base45.b45encode(data).decode()
    assert b45decode(text) == base45.b45decode(text) == data


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:ab", max_size=12))
@example("GGW")  # 65535 + 1: out of range
@example(":::")
def test_fast_base45_decoder_refuses_what_the_package_refuses(text: str) -> None:
    import base45

    from registry_core.qr import b45decode

    try:
        expected: bytes | None = base45.b45decode(text)
    except ValueError:
        expected = None
    try:
        got: bytes | None = b45decode(text)
    except ValueError:
        got = None
    assert got == expected


@given(st.binary(max_size=3000))
@example(b"")
def test_keccak256_matches_eth_utils(data: bytes) -> None:
    from eth_utils.crypto import keccak

    from registry_core.keccak import keccak256

    assert keccak256(data) == keccak(data)


def _decoded_or_error(decode: object) -> object:
    try:
        return decode()  # type: ignore[operator]
    except CredentialFormatError as exc:
        return ("error", exc.detail)


_JSON_PARTS = st.sampled_from(
    [b"", b"{}", b"[]", b"nope", b'{"alg":"ES256K","typ":"JWT"}', b'{"alg":"none"}', b'{"a":1}']
)


@given(
    header=_JSON_PARTS | st.binary(max_size=40),
    payload=_JSON_PARTS
    | st.binary(max_size=40)
    | st.sampled_from([b'{"x":"' + b"y" * n + b'"}' for n in (6300, 9000)]),
    signature=st.sampled_from([b"\1" * 64, b"\2" * 63, b""]),
    proof=st.sampled_from([b"", b"\3" * 32, b"\4" * 96, b"\5" * 32 * 34, b"\6" * 32 * 300]),
)
@example(header=b'{"alg":"ES256K","typ":"JWT"}', payload=b"{}", signature=b"\1" * 64, proof=b"")
def test_packed_parts_decode_like_the_envelope_text(
    header: bytes, payload: bytes, signature: bytes, proof: bytes
) -> None:
    from registry_core.qr import PackedCredential
    from registry_core.vc import decode_packed

    text = PackedCredential(header, payload, signature, proof).envelope()

    def via_text() -> tuple[Envelope, object]:
        envelope = Envelope.parse(text)
        return envelope, decode_jwt(envelope.jwt)

    expected = _decoded_or_error(via_text)
    got = _decoded_or_error(lambda: decode_packed(header, payload, signature, proof))
    assert got == expected, f"expected {expected!r:.300}, got {got!r:.300}"


def test_a_typical_payload_decodes_to_packed_parts() -> None:
    from registry_core.qr import PackedCredential, decode_payload_parts

    jwt = _credential()
    parts = decode_payload_parts(encode_payload(jwt))
    assert isinstance(parts, PackedCredential), parts
    assert parts.envelope() == jwt
