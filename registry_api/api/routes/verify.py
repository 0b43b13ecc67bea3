"""Public verification: JSON in, one result per check out; QR images decoded server-side. (The
bilingual page that calls these is ``registry_api/pages/verification.py``.)"""

from __future__ import annotations

import io
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, File, UploadFile
from starlette.concurrency import run_in_threadpool

from registry_api.api.deps import CredentialServiceDep, ManifestDep, RpcDep
from registry_api.models.verification import VerifyOut, VerifyRequest
from registry_core.verification import unreadable, verify

router = APIRouter(tags=["verify"])

MAX_IMAGE_BYTES = 8 * 1024 * 1024
# A phone's photo at its default size (24 MP: 5712 x 4284 on recent iPhones, 12 MP on most others),
# not more: decoding costs time in proportion to the pixels, whatever the file's size.
MAX_IMAGE_PIXELS = 25_000_000
# Decodes at a time per process: each holds a thread for up to a second or two, and the thread
# pool also runs every synchronous route and store read.
_decoders = anyio.CapacityLimiter(2)


def _verify(body: VerifyRequest, service: Any, rpc: Any, manifest: Any) -> VerifyOut:
    source = service.source(rpc=rpc, manifest=manifest)
    result = verify(
        body.payload,
        source,
        presentation=body.presentation,
        audience=body.audience,
        nonce=body.nonce,
    )
    return VerifyOut(**result.to_json())


@router.post(
    "/verify",
    response_model=VerifyOut,
    summary="Verify a credential: each check with a German and English reason",
)
def verify_payload(
    body: VerifyRequest, service: CredentialServiceDep, rpc: RpcDep, manifest: ManifestDep
) -> VerifyOut:
    return _verify(body, service, rpc, manifest)


def decode_image(data: bytes) -> str | tuple[str, str, str]:
    """The text of the first QR code in an image, or (code, reason_de, reason_en)."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_IMAGE_BYTES:
        return (
            "image-too-large",
            "Das Bild ist zu groß (höchstens 8 MB).",
            "The image is too large (at most 8 MB).",
        )
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_IMAGE_PIXELS:
            return (
                "image-too-large",
                "Das Bild hat zu viele Pixel.",
                "The image has too many pixels.",
            )
        image.load()
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return (
            "not-an-image",
            "Die Datei ist kein lesbares Bild.",
            "The file is not a readable image.",
        )
    results = zxingcpp.read_barcodes(image)
    if not results:
        return (
            "no-qr-code",
            "Im Bild wurde kein QR-Code gefunden.",
            "No QR code was found in the image.",
        )
    return str(results[0].text)


@router.post(
    "/verify/image",
    response_model=VerifyOut,
    summary="Verify the QR code in an uploaded photo or screenshot (decoded with zxing-cpp)",
)
async def verify_image(
    image: Annotated[UploadFile, File(description="PNG, JPEG, … with a QR code")],
    service: CredentialServiceDep,
    rpc: RpcDep,
    manifest: ManifestDep,
) -> VerifyOut:
    data = await image.read(MAX_IMAGE_BYTES + 1)
    # Off the event loop (a big photo takes a second or more), at most two at a time.
    decoded = await anyio.to_thread.run_sync(decode_image, data, limiter=_decoders)
    if isinstance(decoded, tuple):
        return VerifyOut(**unreadable(*decoded).to_json())
    out = await run_in_threadpool(
        _verify, VerifyRequest(payload=decoded[:65536]), service, rpc, manifest
    )
    out.payload = decoded[:65536]
    return out
