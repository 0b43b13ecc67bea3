"""OpenID4VCI 1.0 endpoints: issuer and authorization-server metadata, token (pre-authorized code),
nonce and credential. Errors are the protocol's (``{"error": …}``), not problem+json, and the
token endpoint reads a form, as OAuth says.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from registry_api.api.deps import (
    CredentialsDep,
    ManifestDep,
    NowDep,
    RpcDep,
    SessionDep,
    SettingsDep,
)
from registry_api.models.identity_tables import CredentialRequestRow
from registry_api.services import credential_requests, openid4vci
from registry_api.services.openid4vci import OAuthError
from registry_core.did import DidError
from registry_core.errors import RegistryCoreError
from registry_core.issuance import CredentialRequest
from registry_core.openid4vci import (
    AUTHORIZATION_SERVER_METADATA_PATH,
    ISSUER_METADATA_PATH,
)

router = APIRouter(tags=["openid4vci"])
NO_STORE = {"Cache-Control": "no-store"}
MAX_BODY_BYTES = 16 * 1024


def _error(exc: OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)


@router.get(ISSUER_METADATA_PATH, summary="Credential issuer metadata (OpenID4VCI 12.2)")
def issuer_metadata(settings: SettingsDep) -> dict[str, Any]:
    return openid4vci.issuer_metadata(settings.public_url.rstrip("/"))


@router.get(AUTHORIZATION_SERVER_METADATA_PATH, summary="Authorization server metadata (RFC 8414)")
def authorization_server_metadata(settings: SettingsDep) -> dict[str, Any]:
    return openid4vci.authorization_server_metadata(settings.public_url.rstrip("/"))


@router.post(openid4vci.TOKEN_PATH, summary="Token endpoint: redeem a pre-authorized code")
async def token(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> JSONResponse:
    try:
        if len(await request.body()) > MAX_BODY_BYTES:
            raise OAuthError("invalid_request", "the request is too large")
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            raise OAuthError("invalid_request", "send application/x-www-form-urlencoded")
        form = await request.form()
        grant = form.get("grant_type")
        code = form.get("pre-authorized_code")
        issued = await run_in_threadpool(  # store I/O off the event loop
            partial(
                openid4vci.redeem,
                session,
                grant_type=grant if isinstance(grant, str) else None,
                code=code if isinstance(code, str) else None,
                now=now,
                lifetime=settings.issuance_token_seconds,
            )
        )
    except OAuthError as exc:
        return _error(exc)
    return JSONResponse(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
        },
        headers=NO_STORE,
    )


@router.post(openid4vci.NONCE_PATH, summary="Nonce endpoint: a fresh c_nonce for a proof")
def nonce(session: SessionDep, settings: SettingsDep, now: NowDep) -> JSONResponse:
    value = openid4vci.new_c_nonce(session, now=now, lifetime=settings.c_nonce_seconds)
    return JSONResponse({"c_nonce": value}, headers=NO_STORE)


@router.post(openid4vci.CREDENTIAL_PATH, summary="Credential endpoint: the VC-JWT for a proof")
async def credential(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    rpc: RpcDep,
    manifest: ManifestDep,
    service: CredentialsDep,
) -> JSONResponse:
    authorization = request.headers.get("authorization", "")
    access_token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else None
    source = service.source(rpc=rpc, manifest=manifest)

    def controls(did: str, addresses: frozenset[str]) -> bool:
        try:
            document = source.resolver.resolve_latest(did)
        except DidError:
            return False
        return any(document.can_assert(address=a) for a in addresses)

    def issue(row: CredentialRequestRow) -> tuple[str, str]:
        department = row.department or ""
        issuer = service.issuer(department, rpc=rpc, manifest=manifest)
        if issuer is None:
            raise OAuthError(
                "credential_request_denied", f"department {department} cannot issue in this API"
            )
        with service.lock(department):
            issued = issuer.issue(
                row.type,
                CredentialRequest(
                    row.did, dict(row.claims or {}), credential_requests.valid_until(row)
                ),
                now=now,
            )
        return issued.envelope.serialize(), "0x" + issued.credential_hash.hex()

    try:
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            raise OAuthError("invalid_credential_request", "the request is too large")
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise OAuthError("invalid_credential_request", "the body is not a JSON object")
        # Off the event loop: the store, the DID registry and the anchoring transaction wait.
        issued = await run_in_threadpool(
            partial(
                openid4vci.credential,
                session,
                access_token=access_token,
                body=body,
                audience=settings.public_url.rstrip("/"),
                controls=controls,
                issue=issue,
                now=now,
            )
        )
    except OAuthError as exc:
        return _error(exc)
    except RegistryCoreError as exc:
        return _error(OAuthError("credential_request_denied", exc.detail[:300], status=503))
    return JSONResponse({"credentials": [{"credential": issued}]}, headers=NO_STORE)
