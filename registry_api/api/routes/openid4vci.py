"""OpenID4VCI 1.0 endpoints: issuer and authorization-server metadata, token (pre-authorized code),
nonce and credential. Errors are the protocol's (``{"error": …}``), not problem+json, and the
token endpoint reads a form, as OAuth says.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from registry_api.api.deps import (
    CredentialServiceDep,
    ManifestDep,
    NowDep,
    RpcDep,
    SessionDep,
    SettingsDep,
)
from registry_api.core.errors import RegistryError
from registry_api.models.identity_tables import CredentialRequestRow
from registry_api.models.tables import Write
from registry_api.services import credential_requests, openid4vci
from registry_api.services.credentials import CredentialService
from registry_api.services.openid4vci import OAuthError
from registry_core.did import DidError
from registry_core.errors import RegistryCoreError
from registry_core.issuance import CredentialRequest
from registry_core.manifest import DeploymentManifest
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
    service: CredentialServiceDep,
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
        claims = dict(row.claims or {})
        try:
            accepted = service.issue(
                session,
                department=row.department or "",
                rpc=rpc,
                manifest=manifest,
                code=row.type,
                requests=[CredentialRequest(row.did, claims, credential_requests.valid_until(row))],
                batch=False,
            )
        except RegistryError as exc:
            raise OAuthError("credential_request_denied", exc.detail[:300]) from None
        return accepted.write_id, accepted.credential_hashes[0]

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
        # Off the event loop: the store and the DID registry (chain reads) wait.
        write_id = await run_in_threadpool(
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
    pipeline = request.app.state.pipeline
    # The store and chain reads below block: off the event loop, as the ones above.
    pipeline.wake(await run_in_threadpool(_department_of, session, write_id))
    await pipeline.wait([write_id], timeout=settings.credential_wait_seconds)
    return await run_in_threadpool(
        partial(_anchored_or_deferred, session, service, manifest, write_id, first=True)
    )


def _write(session: Session, write_id: str) -> Write | None:
    return session.exec(select(Write).where(Write.id == write_id[:32])).first()


def _department_of(session: Session, write_id: str) -> str:
    write = _write(session, write_id)
    return write.department if write is not None else ""


def _anchored_or_deferred(
    session: Session,
    service: CredentialService,
    manifest: DeploymentManifest,
    write_id: str,
    *,
    first: bool,
) -> JSONResponse:
    """The credential once anchored; else 202 + transaction_id (first answer) or
    ``issuance_pending`` (deferred endpoint)."""
    session.expire_all()
    found = service.issuance(
        session,
        department=_department_of(session, write_id),
        write_id=write_id,
        manifest=manifest,
    )
    if found.status == "failed":
        return _error(OAuthError("credential_request_denied", found.error or "the chain refused"))
    if found.status == "anchored" and found.credential is not None:
        return JSONResponse(
            {"credentials": [{"credential": found.credential.credential}]}, headers=NO_STORE
        )
    interval = openid4vci.DEFERRED_INTERVAL_SECONDS
    if first:
        return JSONResponse(
            {"transaction_id": write_id, "interval": interval}, status_code=202, headers=NO_STORE
        )
    return JSONResponse(
        {"error": "issuance_pending", "interval": interval}, status_code=400, headers=NO_STORE
    )


@router.post(openid4vci.DEFERRED_PATH, summary="Deferred credential endpoint (OpenID4VCI 9)")
async def deferred_credential(
    request: Request,
    session: SessionDep,
    now: NowDep,
    manifest: ManifestDep,
    service: CredentialServiceDep,
) -> JSONResponse:
    authorization = request.headers.get("authorization", "")
    access_token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else None
    try:
        try:
            body = await request.json()
        except ValueError:
            body = None
        transaction_id = body.get("transaction_id") if isinstance(body, dict) else None
        await run_in_threadpool(_check_deferred, session, access_token, transaction_id, now)
    except OAuthError as exc:
        return _error(exc)
    return await run_in_threadpool(
        partial(_anchored_or_deferred, session, service, manifest, str(transaction_id), first=False)
    )


def _check_deferred(
    session: Session, access_token: str | None, transaction_id: Any, now: int
) -> None:
    """Raises the OAuth error unless the token's request has the issuance ``transaction_id``."""
    row = openid4vci.deferred_request(
        session, access_token=access_token, transaction_id=transaction_id, now=now
    )
    write = _write(session, str(transaction_id))
    if write is None or write.reference != row.credential_hash:
        raise OAuthError("invalid_transaction_id", "no issuance with that transaction_id")
