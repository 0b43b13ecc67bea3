"""RFC 9457 problem details: one exception root and the handlers that render it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from registry_core.abi import DecodedError
from registry_core.errors import RegistryCoreError

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://city-registry.example/problems/"


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
    *, status: int, kind: str, title: str, detail: str, instance: str, **extra: Any
) -> JSONResponse:
    body = {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


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
        return problem(
            status=exc.status_code,
            kind="http-error",
            title=str(exc.detail),
            detail=str(exc.detail),
            instance=request.url.path,
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
