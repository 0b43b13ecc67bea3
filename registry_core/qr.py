"""The QR payload of a credential and its PNG/SVG rendering.

Payload (in the spirit of the EU Digital COVID Certificate's ``HC1:``)::

    CRV1:<base45(zlib(body, zdict=CRV1_DICTIONARY))>

base45 (RFC 9285) uses exactly QR's 45 alphanumeric characters, so a standard QR reader returns the
payload as text and the code is ~40 % smaller than in byte mode. ``body`` is binary, because base64url
text (as inside a JWT) hides the JSON's redundancy from the compressor:

- ``0x01`` ‖ u16 header length ‖ header JSON ‖ u16 payload length ‖ payload JSON ‖ 64-byte
  signature ‖ batch proof (root and siblings, 32 bytes each, possibly none): a compact VC-JWT whose
  parts are canonical unpadded base64url; the decoder rebuilds the exact JWT string (so its keccak256,
  the anchored credential hash, is unchanged);
- ``0x00`` ‖ the UTF-8 envelope text (fallback for tokens that do not re-encode exactly).

zlib (RFC 1950, level 9) uses the preset dictionary :data:`CRV1_DICTIONARY` (strings every city
credential contains; part of the format, never changed within ``CRV1``). Decoding bounds every step
(payload length, decompressed size) and reports garbage with a :class:`QrPayloadError`.

Images use error correction M and are cached: in memory (LRU) and optionally on disk, keyed by the
SHA-256 of payload and format, since generating a version-16 code takes ~50 ms.
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Literal, NamedTuple

import base45
import qrcode
import qrcode.constants
import qrcode.image.svg
import qrcode.util

from registry_core.errors import RegistryCoreError
from registry_core.vc import b64url

PREFIX = "CRV1:"
MAX_PAYLOAD_CHARS = 4296  # the most alphanumeric characters any QR code (version 40-L) holds
MAX_DECOMPRESSED = 16384
ImageFormat = Literal["png", "svg"]


class QrPayloadError(RegistryCoreError):
    """A QR payload is not ours, is garbage, or is too long."""


# Part of the CRV1 format: changing it needs a new prefix.
CRV1_DICTIONARY = (
    b'{"alg":"ES256K","typ":"JWT"}'
    b'"vc":{"@context":["https://www.w3.org/2018/credentials/v1",'
    b'"https://city-registry.example/credentials/v1"],"type":["VerifiableCredential",'
    b'"ResidenceCertificate","BusinessRegistrationCertificate","ResidentParkingPermit"],'
    b'"credentialSubject":{"givenName":"familyName":"birthDate":"address":"since":"businessName":'
    b'"holderName":"activity":"registeredOn":"licensePlate":"zone":'
    b'"credentialStatus":{"id":"eip155:52062:0x","type":"EthereumCredentialStatus2026",'
    b'"credentialType":"RESIDENCE_CERT","BUSINESS_REG","PARKING_PERMIT"}}}'
    b'"jti":"urn:uuid:","nbf":17,"exp":17,'
    b'{"iss":"did:ethr:0xcb5e:0x","sub":"did:ethr:0xcb5e:0x'
)


def _b64url_decode_exact(text: str) -> bytes | None:
    """Bytes of canonical unpadded base64url text; None if re-encoding would not give ``text``."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None
    return raw if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == text else None


def _pack(envelope: str) -> bytes:
    jwt, _, proof = envelope.partition("~")
    parts = jwt.split(".")
    if len(parts) == 3:
        raw = [_b64url_decode_exact(part) for part in parts]
        proof_raw = _b64url_decode_exact(proof) if proof else b""
        if (
            all(r is not None for r in raw)
            and proof_raw is not None
            and len(raw[2] or b"") == 64
            and len(proof_raw) % 32 == 0
            and (proof == "" or proof_raw)
            and max(len(raw[0] or b""), len(raw[1] or b"")) < 65536
        ):
            header, body, signature = (r or b"" for r in raw)
            return (
                b"\x01"
                + struct.pack(">H", len(header))
                + header
                + struct.pack(">H", len(body))
                + body
                + signature
                + proof_raw
            )
    return b"\x00" + envelope.encode("utf-8")


class PackedCredential(NamedTuple):
    """The binary parts of a compact (``0x01``) payload body: what the JWT's base64url parts and the
    batch proof decode to."""

    header: bytes  # header JSON
    payload: bytes  # payload JSON
    signature: bytes  # 64 bytes r‖s
    proof: bytes  # batch root and siblings (32 bytes each), or b""

    def envelope(self) -> str:
        """The envelope text exactly as the issuer wrote it."""
        jwt = f"{b64url(self.header)}.{b64url(self.payload)}.{b64url(self.signature)}"
        return f"{jwt}~{b64url(self.proof)}" if self.proof else jwt


def _unpack_parts(body: bytes) -> PackedCredential | str:
    if body[:1] == b"\x00":
        try:
            return body[1:].decode("utf-8")
        except UnicodeDecodeError:
            raise QrPayloadError("the payload does not hold text") from None
    if body[:1] != b"\x01":
        raise QrPayloadError("unknown payload body format")
    try:
        (header_len,) = struct.unpack_from(">H", body, 1)
        header = body[3 : 3 + header_len]
        (payload_len,) = struct.unpack_from(">H", body, 3 + header_len)
        start = 5 + header_len
        payload = body[start : start + payload_len]
        signature = body[start + payload_len : start + payload_len + 64]
        proof = body[start + payload_len + 64 :]
    except struct.error:
        raise QrPayloadError("the payload body is truncated") from None
    if len(header) != header_len or len(payload) != payload_len or len(signature) != 64:
        raise QrPayloadError("the payload body is truncated")
    if len(proof) % 32:
        raise QrPayloadError("the batch proof in the payload is malformed")
    return PackedCredential(header, payload, signature, proof)


def _unpack(body: bytes) -> str:
    parts = _unpack_parts(body)
    return parts if isinstance(parts, str) else parts.envelope()


def encode_payload(envelope: str) -> str:
    """``CRV1:…`` for a credential envelope (a VC-JWT, optionally ``~`` batch proof)."""
    packer = zlib.compressobj(9, zdict=CRV1_DICTIONARY)
    compressed = packer.compress(_pack(envelope)) + packer.flush()
    payload = PREFIX + bytes(base45.b45encode(compressed)).decode("ascii")
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise QrPayloadError(
            f"the credential needs {len(payload)} QR characters, more than the {MAX_PAYLOAD_CHARS} a QR code holds"
        )
    return payload


_B45_CHARSET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
# Character -> value; any other byte -> 0xFF, which no valid character maps to.
_B45_VALUES = bytes(
    _B45_CHARSET.index(byte) if byte in _B45_CHARSET else 0xFF for byte in range(256)
)


def b45decode(text: str) -> bytes:
    """RFC 9285 base45 decoding; ``ValueError`` for invalid input.

    Same results as the ``base45`` package (which encodes; a property test compares the two) but
    several times faster, as nothing runs per character or per group in Python: ``bytes.translate``
    maps characters to their values, and each column of the groups (``c + 45 d + 2025 e``) is
    spread into 3-byte lanes of one big integer, so a single integer sum computes every 16-bit
    word at once (the largest, 91124, fits a lane; a nonzero top byte means a word above 0xFFFF).
    Decoding is on the verification hot path.
    """
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError("invalid base45 string") from None
    size = len(raw)
    values = raw.translate(_B45_VALUES)
    if size % 3 == 1 or 0xFF in values:
        raise ValueError("invalid base45 string")
    full = size - size % 3
    groups = full // 3
    lanes = bytearray(3 * groups)
    lanes[2::3] = values[0:full:3]
    low = int.from_bytes(lanes, "big")
    lanes[2::3] = values[1:full:3]
    middle = int.from_bytes(lanes, "big")
    lanes[2::3] = values[2:full:3]
    high = int.from_bytes(lanes, "big")
    words = (low + 45 * middle + 2025 * high).to_bytes(3 * groups, "big")
    if words[0::3].count(0) != groups:
        raise ValueError("invalid base45 string")
    out = bytearray(2 * groups)
    out[0::2] = words[1::3]
    out[1::2] = words[2::3]
    if full < size:
        last = values[full] + values[full + 1] * 45
        if last > 0xFF:
            raise ValueError("invalid base45 string")
        out.append(last)
    return bytes(out)


def _decompress(payload: str) -> bytes:
    if not isinstance(payload, str):
        raise QrPayloadError("a QR payload is text")
    text = payload.strip()
    if len(text) > MAX_PAYLOAD_CHARS:
        raise QrPayloadError(
            f"the payload has {len(text)} characters, more than the {MAX_PAYLOAD_CHARS} a QR code can hold"
        )
    if not text.startswith(PREFIX):
        raise QrPayloadError(f"the payload does not start with {PREFIX!r}")
    try:
        compressed = b45decode(text[len(PREFIX) :])
    except ValueError:
        raise QrPayloadError("the payload is not valid base45 (RFC 9285)") from None
    decompressor = zlib.decompressobj(zdict=CRV1_DICTIONARY)
    try:
        raw = decompressor.decompress(compressed, MAX_DECOMPRESSED)
    except zlib.error:
        raise QrPayloadError("the payload is not zlib-compressed data") from None
    if decompressor.unconsumed_tail:
        raise QrPayloadError(f"the payload expands beyond {MAX_DECOMPRESSED} bytes")
    if not decompressor.eof:
        raise QrPayloadError("the compressed payload is truncated")
    return raw


def decode_payload(payload: str) -> str:
    """The credential envelope inside ``CRV1:…``; :class:`QrPayloadError` for anything else."""
    return _unpack(_decompress(payload))


def decode_payload_parts(payload: str) -> PackedCredential | str:
    """Like :func:`decode_payload`, but a compact body comes back as its binary parts (which
    :func:`registry_core.vc.decode_packed` turns into envelope and decoded JWT without decoding
    base64url again); a text body comes back as the envelope text. Same errors."""
    return _unpack_parts(_decompress(payload))


@dataclass(frozen=True)
class QrInfo:
    version: int
    modules: int  # modules per side, without the quiet zone
    error_correction: str
    characters: int


def _qr(payload: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=8)
    # One alphanumeric segment: qrcode's optimiser would split it into mode changes otherwise.
    code.add_data(qrcode.util.QRData(payload.encode("ascii"), mode=qrcode.util.MODE_ALPHA_NUM))
    code.make(fit=True)
    return code


# The largest QR code a credential should need: phone cameras and the verification page read
# version 16 (81x81 modules) at error correction M reliably from a screen or A6 print.
QR_MAX_VERSION = 16


def alphanumeric_capacity(version: int) -> int:
    """Characters one alphanumeric segment fits into a QR code of ``version`` at EC M."""
    bits: int = qrcode.util.BIT_LIMIT_TABLE[qrcode.constants.ERROR_CORRECT_M][version]
    count_bits: int = qrcode.util.length_in_bits(qrcode.util.MODE_ALPHA_NUM, version)
    free = bits - 4 - count_bits
    return free // 11 * 2 + (1 if free % 11 >= 6 else 0)


def proof_levels_that_fit(jwt: str, version: int = QR_MAX_VERSION) -> int:
    """How many batch-proof hashes the credential's CRV1 payload can carry and still fit a QR
    code of ``version`` at EC M (0 if even a root alone does not; such a credential is anchored
    on its own). Measured with random hashes, which do not compress, like real ones."""
    root, sibling = (
        hashlib.sha256(jwt.encode()).digest(),
        hashlib.sha256(b"~" + jwt.encode()).digest(),
    )
    alone = len(encode_payload(f"{jwt}~{b64url(root)}"))
    one = len(encode_payload(f"{jwt}~{b64url(root + sibling)}"))
    per_level = one - alone + 2  # a little headroom: zlib's block overhead varies by a byte
    return max(0, (alphanumeric_capacity(version) - alone) // per_level)


def qr_info(payload: str) -> QrInfo:
    code = _qr(payload)
    version = int(code.version)
    return QrInfo(version, 17 + 4 * version, "M", len(payload))


class QrRenderer:
    """PNG/SVG rendering with an in-memory LRU and an optional disk cache."""

    def __init__(self, *, cache_size: int = 256, cache_dir: Path | None = None) -> None:
        self.cache_size = cache_size
        self.cache_dir = cache_dir
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._lock = Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(payload: str, image_format: ImageFormat) -> str:
        return hashlib.sha256(f"{image_format}\n{payload}".encode()).hexdigest()

    def render(self, payload: str, image_format: ImageFormat = "png") -> bytes:
        if image_format not in ("png", "svg"):
            raise QrPayloadError(f"unknown image format {image_format!r}: use png or svg")
        key = self._key(payload, image_format)
        with self._lock:
            cached = self._memory.get(key)
            if cached is not None:
                self._memory.move_to_end(key)
                self.hits += 1
                return cached
        path = self.cache_dir / f"{key}.{image_format}" if self.cache_dir else None
        if path is not None and path.exists():
            image = path.read_bytes()
        else:
            image = _render(payload, image_format)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(image)
                tmp.replace(path)
        with self._lock:
            self.misses += 1
            self._memory[key] = image
            while len(self._memory) > self.cache_size:
                self._memory.popitem(last=False)
        return image


def _render(payload: str, image_format: ImageFormat) -> bytes:
    code = _qr(payload)
    buffer = io.BytesIO()
    if image_format == "svg":
        code.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    else:
        code.make_image().save(buffer)
    return buffer.getvalue()


def render_png(payload: str) -> bytes:
    return _render(payload, "png")


def render_svg(payload: str) -> bytes:
    return _render(payload, "svg")


def render_link_png(text: str) -> bytes:
    """Any short text (e.g. an ``openid-credential-offer://`` link) as a QR PNG, EC M; qrcode
    picks the modes (links need byte mode, unlike ``CRV1:`` payloads)."""
    if len(text) > MAX_LINK_CHARACTERS:
        raise QrPayloadError(f"a link QR code holds at most {MAX_LINK_CHARACTERS} characters")
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=6)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


MAX_LINK_CHARACTERS = 2048
