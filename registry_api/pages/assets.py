"""Where the pages' files come from: ``static/`` (our own) and pinned npm packages.

The API documentation's Swagger UI (``swagger-ui-dist``), ReDoc (``redoc``'s standalone bundle)
and ReDoc's fonts (``@fontsource/*``) are the upstream projects' own npm releases, pinned with
their integrity hashes in ``package-lock.json`` and installed by ``npm ci``; the API serves them
from ``node_modules`` (``CITY_API_NODE_MODULES_DIR``), so no page needs another origin.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from registry_api.core.errors import RegistryError
from registry_core.pages import MissingPackageError, NpmPackage, servable

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static/pages"
VENDOR_URL = "/static/vendor"
VENDOR_PACKAGES = ("swagger-ui-dist", "redoc", "@fontsource/roboto", "@fontsource/montserrat")


class PackageFiles(StaticFiles):
    """An npm package's scripts, styles, fonts and images; nothing else of it (no HTML)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if not servable(path):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


def mount_static(app: FastAPI, node_modules: Path) -> None:
    """Mount ``static/`` and each installed vendor package; remember which packages are there."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="pages-static")
    found: dict[str, NpmPackage] = {}
    for name in VENDOR_PACKAGES:
        try:
            package = NpmPackage.find(node_modules, name)
        except MissingPackageError as exc:
            log.warning("%s: the API documentation pages will answer 503", exc)
            continue
        app.mount(f"{VENDOR_URL}/{name}", PackageFiles(directory=package.directory), name=name)
        found[name] = package
    app.state.vendor_packages = found


def require_packages(request: Request, *names: str) -> None:
    """Refuse a page (503 problem) whose npm packages are not installed, instead of a blank page."""
    found: dict[str, NpmPackage] = request.app.state.vendor_packages
    missing = [name for name in names if name not in found]
    if missing:
        raise RegistryError(
            status=503,
            kind="page-assets-missing",
            title="This page's files are not installed",
            detail=f"npm packages {', '.join(missing)} are missing on the server (run `npm ci`)",
        )
