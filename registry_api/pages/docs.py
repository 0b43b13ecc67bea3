"""The API documentation, Swagger UI at ``/docs`` and ReDoc at ``/redoc``, from this server only.

FastAPI's built-in pages load their scripts, styles, favicon and fonts from public CDNs and
start them with inline scripts; in a closed city network they stay blank. These pages load the
pinned npm releases (``assets.py``) and start them from files in ``static/``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from registry_api.pages.assets import require_packages
from registry_api.pages.rendering import render
from registry_core.pages import content_security_policy, new_nonce

router = APIRouter(include_in_schema=False)

# Swagger UI's stylesheet draws its icons as data: URIs.
SWAGGER_POLICY = content_security_policy(img_src=["data:"])


def _openapi_url(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/") + str(request.app.openapi_url)


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    require_packages(request, "swagger-ui-dist")
    context = {"lang": "en", "title": request.app.title, "openapi_url": _openapi_url(request)}
    return render(request, "swagger.html", context, policy=SWAGGER_POLICY)


# ReDoc 2.5.4's bundle injects one stylesheet of its own when it loads (its perfect-scrollbar
# styles), before its nonce option can apply; it is allowed by hash, of its text and of the empty
# element it starts as. Another ReDoc version changes them: the browser test then reports the
# refused style (tests/e2e/test_pages.py).
REDOC_STYLE_HASHES = (
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
)


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    require_packages(request, "redoc", "@fontsource/roboto", "@fontsource/montserrat")
    nonce = new_nonce()
    # ReDoc's styled-components inject <style> elements (nonced), its search index runs in a
    # worker made from a blob: URL and its link icons are data: images.
    policy = content_security_policy(
        style_src=[f"'nonce-{nonce}'", *REDOC_STYLE_HASHES], worker_src=["blob:"], img_src=["data:"]
    )
    context = {
        "lang": "en",
        "title": request.app.title,
        "openapi_url": _openapi_url(request),
        "nonce": nonce,
    }
    return render(request, "redoc.html", context, policy=policy)
