"""Rendering a page: a Jinja2 template (autoescaped) with its own Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from registry_api.pages.assets import STATIC_URL, VENDOR_URL

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    policy: str,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """``template`` rendered with ``context`` plus the URLs of the pages' files (``static``,
    ``vendor``, behind any proxy prefix), sent with the page's ``policy``."""
    root: str = request.scope.get("root_path", "")
    root = root.rstrip("/")
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {"static": root + STATIC_URL, "vendor": root + VENDOR_URL, **context},
        headers={"Content-Security-Policy": policy, **(headers or {})},
    )
