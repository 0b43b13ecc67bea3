"""RFC 9457 problem details: one exception root and the handlers that render it."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from registry_core.abi import DecodedError
from registry_core.errors import RegistryCoreError

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://city-registry.example/problems/"
# The OpenID4VCI endpoints refuse in the OAuth error form (RFC 6749 section 5.2), also for what
# the framework refuses before they run (validation, body size, methods, rate limits).
OAUTH_PATHS = ("/oid4vci/",)
HTTP_KINDS = {
    400: "unreadable-body",
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    429: "too-many-requests",
}


class ProblemResponse(JSONResponse):
    """problem+json as ASCII JSON: a refusal may quote what the client sent (a path, a field
    name), and text that is not Unicode (a lone surrogate from ``"\\ud800"``) must not turn the
    refusal into a 500."""

    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


class RegistryError(Exception):
    """Root of the API's errors; rendered as problem+json with these fields."""

    def __init__(self, *, status: int, kind: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.extra = extra


def problem(
    *,
    status: int,
    kind: str,
    title: str,
    detail: str,
    instance: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    if instance.startswith(OAUTH_PATHS):
        oauth_error = "invalid_token" if status == 401 else "invalid_request"
        return ProblemResponse(
            {"error": oauth_error, "error_description": detail},
            status_code=status,
            headers={**(headers or {}), "Cache-Control": "no-store"},
            media_type="application/json",
        )
    body = {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


Methods = list[tuple[str, dict[str, re.Pattern[str]]]]  # method -> its path parameters' patterns


def _method_table(app: Any) -> list[tuple[str, re.Pattern[str], Methods]]:
    """The documented paths: their regex and, per method, the patterns of its path parameters."""
    table = []
    for path, operations in app.openapi().get("paths", {}).items():
        methods: Methods = []
        for method, operation in operations.items():
            patterns = {
                parameter["name"]: re.compile(parameter["schema"]["pattern"])
                for parameter in operation.get("parameters", [])
                if parameter.get("in") == "path" and "pattern" in parameter.get("schema", {})
            }
            methods.append((method.upper(), patterns))
        table.append((path, compile_path(path)[0], methods))
    return table


def allowed_methods(request: Request, *, also: str = "", besides: str | None = None) -> list[str]:
    """Every method the API documents for this path (the ``Allow`` of a 405) whose path
    parameters fit; for an undocumented path ``also``, the ``Allow`` of the route that refused (each
    route holds one method and does not check its parameters, so it is no answer for the others)."""
    table = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = request.app.state.allowed_methods = _method_table(request.app)
    allowed: set[str] = set()
    for path, regex, methods in table:
        match = regex.match(request.url.path)
        if path == besides or match is None:
            continue
        values = match.groupdict()
        for method, patterns in methods:
            if all(p.search(values.get(name, "")) for name, p in patterns.items()):
                allowed.add(method)
    if not allowed:  # an undocumented route (a page): what the router says
        allowed = {m.strip().upper() for m in also.split(",") if m.strip()}
    return sorted(allowed)


def _method_not_allowed(request: Request, methods: list[str]) -> JSONResponse:
    return problem(
        status=405,
        kind=HTTP_KINDS[405],
        title="Method Not Allowed",
        detail=f"{request.method} is not allowed here; allowed: {', '.join(methods)}",
        instance=request.url.path,
        headers={"Allow": ", ".join(methods)},
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RegistryError)
    async def registry_error(request: Request, exc: RegistryError) -> JSONResponse:
        return problem(
            status=exc.status,
            kind=exc.kind,
            title=exc.title,
            detail=exc.detail,
            instance=request.url.path,
            **exc.extra,
        )

    @app.exception_handler(RegistryCoreError)
    async def core_error(request: Request, exc: RegistryCoreError) -> JSONResponse:
        return problem(
            status=503,
            kind="chain-unavailable",
            title="The chain or its deployment is not available",
            detail=exc.detail,
            instance=request.url.path,
        )

    @app.exception_handler(OperationalError)
    async def store_error(request: Request, exc: OperationalError) -> JSONResponse:
        # The store is down or restarting. A commit cut off in flight may still have landed, so
        # the client retries with the same Idempotency-Key and gets that answer if it did.
        return problem(
            status=503,
            kind="store-unavailable",
            title="The store is not available",
            detail="the API's SQL store does not answer right now; send the request again with "
            "the same Idempotency-Key",
            instance=request.url.path,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        if all(e["loc"][:1] == ("path",) for e in exc.errors()):
            # The path is no resource of this route (``/records/bulk`` is no record id), but
            # another route's: the method is what is wrong.
            route = getattr(request.scope.get("route"), "path", None)
            others = allowed_methods(request, besides=route)
            if others and request.method not in others:
                return _method_not_allowed(request, others)
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return problem(
            status=422,
            kind="invalid-request",
            title="The request is not valid",
            detail=f"{len(errors)} field(s) failed validation",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:  # RFC 9110 section 15.5.6: with every allowed method
            also = (exc.headers or {}).get("Allow", "")
            return _method_not_allowed(request, allowed_methods(request, also=also))
        return problem(
            status=exc.status_code,
            kind=HTTP_KINDS.get(exc.status_code, "http-error"),
            title=str(exc.detail),
            detail=str(exc.detail),
            instance=request.url.path,
            headers=dict(exc.headers or {}),
        )


# Decoded contract custom errors (registry_core.abi.DecodedError) as problems: status and type.
CONTRACT_ERRORS: dict[str, tuple[int, str]] = {
    "RegisterUnauthorizedAccount": (403, "chain-unauthorized-account"),
    "RegisterDepartmentSuspended": (403, "department-suspended"),
    "RegisterCreatorNotAllowed": (403, "register-creator-not-allowed"),
    "RegisterUnknownDepartment": (404, "unknown-department"),
    "RegisterUnknownRegister": (404, "unknown-register"),
    "RegisterUnknownRecord": (404, "unknown-record"),
    "RegisterExists": (409, "register-exists"),
    "RegisterRecordExists": (409, "record-exists"),
    "RegisterStaleVersion": (409, "stale-version"),
    "RegisterRecordNotActive": (409, "record-not-active"),
    "RegisterContentAnchored": (409, "content-anchored"),
}


def contract_problem(decoded: DecodedError) -> RegistryError:
    """The problem for a contract's custom error (``detail`` names the error and its values)."""
    status, kind = CONTRACT_ERRORS.get(decoded.name, (422, "contract-rejected"))
    return RegistryError(
        status=status,
        kind=kind,
        title="The chain refuses this write",
        detail=f"the RegisterHub contract would revert with {decoded}",
        contract_error=decoded.name,
    )
