"""The API's HTML pages: the public verification page and the API documentation (Swagger UI at
``/docs``, ReDoc at ``/redoc``), rendered from ``templates/`` and loading only files this server
serves: ``static/`` (the pages' own scripts, styles and favicon) and pinned npm packages
(``assets.py``). Every HTML response carries a Content-Security-Policy (``registry_core.pages``).
"""

from __future__ import annotations

from fastapi import FastAPI

from registry_api.core.config import Settings
from registry_api.pages import docs, verification
from registry_api.pages.assets import mount_static
from registry_core.pages import ContentSecurityPolicyMiddleware


def install_pages(app: FastAPI, settings: Settings) -> None:
    """Serve the pages and their files, and hold every HTML response to a CSP."""
    app.add_middleware(ContentSecurityPolicyMiddleware)
    mount_static(app, settings.node_modules_dir)
    app.include_router(docs.router)
    app.include_router(verification.router)
