"""The integrity check page: a form (paste JSON + salt, or upload a file) and its result."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from explorer.integrity import check, claims_of
from explorer.web import ExplorerError, explorer_of, render

router = APIRouter()


@router.get("/integrity")
def integrity_form(request: Request) -> Response:
    return render(request, "integrity.html", {"outcomes": None})


@router.post("/integrity")
async def integrity_check(request: Request) -> Response:
    limit = explorer_of(request).settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ExplorerError(413, "too_large", limit=limit)
    body = await request.body()
    if len(body) > limit:
        raise ExplorerError(413, "too_large", limit=limit)
    form = await request.form(max_part_size=limit)
    document = str(form.get("document") or "")
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(limit + 1)
        if len(raw) > limit:
            raise ExplorerError(413, "too_large", limit=limit)
        try:
            document = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ExplorerError(400, "bad_json", detail="not UTF-8") from None
    salt = str(form.get("salt") or "") or None
    if not document.strip():
        raise ExplorerError(400, "bad_json", detail="empty")
    claims = claims_of(document, salt)
    explorer = explorer_of(request)
    outcomes = await run_in_threadpool(lambda: [check(explorer, claim) for claim in claims])
    status = 200
    return await run_in_threadpool(
        render,
        request,
        "integrity.html",
        {"outcomes": outcomes, "document": document[:20_000], "salt": salt or ""},
        status=status,
    )
