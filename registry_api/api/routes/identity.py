"""The identity domain over HTTP: sign-in with the wallet (EIP-4361), sessions, citizens'
credential requests, the departments' decisions on them, and the DID state a key rotation needs.

Citizens authenticate with ``Authorization: Bearer <session token>`` (``/auth/siwe``), departments
with their API key (``X-API-Key``, scoped to credential types). A request of a fee-bearing type
(``CITY_API_FEE_TYPES``) that is approved before its fee is paid waits in ``awaiting_payment``
until the fee payment relayed by ``POST /payments/fees`` is mined, then it is approved. Refusals are RFC 9457 problems
with ``detail`` (English) and ``detail_de`` (German).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from registry_api.api.deps import (
    CredentialServiceDep,
    CurrentDepartment,
    ManifestDep,
    NowDep,
    Offset,
    RpcDep,
    SessionDep,
    SettingsDep,
)
from registry_api.core.config import Settings
from registry_api.core.errors import RegistryError
from registry_api.core.security import Department
from registry_api.models.identity import (
    ApproveIn,
    ChangeOwnerIn,
    NonceOut,
    RejectIn,
    RelayedOut,
    RequestIn,
    RequestOut,
    RequestsOut,
    SessionOut,
    SignInIn,
    State,
)
from registry_api.models.identity_tables import CitizenSession, CredentialRequestRow
from registry_api.services import credential_requests, did_relay, identity, openid4vci, payments
from registry_api.services.credentials import CredentialService
from registry_core.did import DidError, parse_did
from registry_core.erc1056 import SignedChangeOwner
from registry_core.manifest import DeploymentManifest
from registry_core.qr import render_link_png
from registry_core.rpc import RpcClient
from registry_core.sign_in import Audience

router = APIRouter(tags=["identity"])
bearer = HTTPBearer(auto_error=False, description="A citizen's session token (POST /auth/siwe)")


def get_citizen(
    session: SessionDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> CitizenSession:
    if credentials is None:
        raise RegistryError(
            status=401,
            kind="missing-session",
            title="Not signed in / Nicht angemeldet",
            detail="send the session token from POST /auth/siwe as a Bearer token",
            detail_de="Sitzungs-Token von POST /auth/siwe als Bearer-Token senden",
        )
    return identity.current_session(session, credentials.credentials[:200], now=now)


CitizenDep = Annotated[CitizenSession, Depends(get_citizen)]


def did_owner(
    service: CredentialService, rpc: RpcClient, manifest: DeploymentManifest
) -> Callable[[str], str]:
    """The DID's current ERC-1056 owner, read as of the chain's head (no stale cache)."""

    def owner(did: str) -> str:
        return service.source(rpc=rpc, manifest=manifest).resolver.resolve_latest(did).controller

    return owner


@router.post("/auth/nonce", response_model=NonceOut, summary="A single-use sign-in nonce")
def nonce(session: SessionDep, settings: SettingsDep, now: NowDep, response: Response) -> NonceOut:
    response.headers["Cache-Control"] = "no-store"
    row = identity.issue_nonce(session, now=now, lifetime=settings.sign_in_nonce_seconds)
    return NonceOut(nonce=row.nonce, expires_at=row.expires_at)


@router.post(
    "/auth/siwe",
    response_model=SessionOut,
    summary="Sign in with a signed EIP-4361 message; returns a short-lived session token",
)
def sign_in(
    body: SignInIn,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    rpc: RpcDep,
    manifest: ManifestDep,
    service: CredentialServiceDep,
    response: Response,
) -> SessionOut:
    response.headers["Cache-Control"] = "no-store"
    signed_in = identity.sign_in(
        session,
        message=body.message,
        signature=body.signature,
        audience=Audience.from_public_url(settings.public_url),
        chain_id=manifest.chain_id,
        session_lifetime=settings.citizen_session_seconds,
        owner_of=did_owner(service, rpc, manifest),
        now=now,
    )
    row = signed_in.session
    return SessionOut(
        token=signed_in.token, expires_at=row.expires_at, address=row.address, did=row.did
    )


@router.post("/auth/logout", status_code=204, summary="End the session (the token stops working)")
def logout(session: SessionDep, citizen: CitizenDep, now: NowDep) -> Response:
    identity.logout(session, citizen, now=now)
    return Response(status_code=204)


def _out(row: CredentialRequestRow, offer: str | None = None) -> RequestOut:
    return RequestOut(
        id=row.id,
        type=row.type,
        state=row.state,
        did=row.did,
        reason=row.reason,
        department=row.department,
        claims=row.claims,
        credential_hash=row.credential_hash,
        credential_offer=offer,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _offer(session: Session, settings: Settings, row: CredentialRequestRow, now: int) -> str:
    """A fresh credential offer (single-use pre-authorized code) for an approved request."""
    return openid4vci.make_offer(
        session,
        request=row,
        public_url=settings.public_url,
        now=now,
        lifetime=settings.credential_offer_seconds,
    ).to_uri()


def _purge(session: Session, settings: Settings, now: int) -> None:
    credential_requests.purge(
        session,
        now=now,
        retention=settings.request_retention_seconds,
        open_for=settings.request_open_seconds,
    )


def _refuse_unable(
    session: Session,
    service: CredentialService,
    rpc: RpcClient,
    manifest: DeploymentManifest,
    department: Department,
    request_id: str,
) -> CredentialRequestRow | None:
    """The request; a decision on one of the key's types is refused while the department is
    suspended or not accredited for the type (a ``*`` key decides only what it could issue).
    Requests of other types stay invisible (``404`` from the service)."""
    found = session.get(CredentialRequestRow, request_id[:32])
    if found is not None and department.may_issue(found.type):
        service.refuse_unable_to_issue(rpc, manifest, department.code, found.type)
    return found


@router.post(
    "/credential-requests",
    status_code=201,
    response_model=RequestOut,
    summary="Ask for a credential (signed-in citizens)",
)
def submit(body: RequestIn, session: SessionDep, citizen: CitizenDep, now: NowDep) -> RequestOut:
    row = credential_requests.submit(
        session, citizen=citizen, type_code=body.type, claims=body.claims, now=now
    )
    return _out(row)


def _listed(session: Session, rows: list[CredentialRequestRow], now: int) -> RequestsOut:
    """A list of requests, the paid ones released first (their fee payment was mined)."""
    payments.release_paid(session, rows, now=now)
    return RequestsOut(data=[_out(r) for r in rows], count=len(rows))


@router.get("/credential-requests", response_model=RequestsOut, summary="Your requests")
def mine(
    session: SessionDep, settings: SettingsDep, citizen: CitizenDep, now: NowDep
) -> RequestsOut:
    _purge(session, settings, now)
    return _listed(session, credential_requests.of_citizen(session, citizen.did), now)


@router.get(
    "/credential-requests/{request_id}",
    response_model=RequestOut,
    summary="One of your requests; an approved one comes with a fresh credential offer",
)
def one(
    request_id: str, session: SessionDep, settings: SettingsDep, citizen: CitizenDep, now: NowDep
) -> RequestOut:
    _purge(session, settings, now)
    row = credential_requests.one_of_citizen(session, citizen.did, request_id)
    payments.release_paid(session, [row], now=now)
    offer = (
        _offer(session, settings, row, now) if row.state == credential_requests.APPROVED else None
    )
    return _out(row, offer)


@router.get(
    "/department/credential-requests",
    response_model=RequestsOut,
    summary="Requests of the credential types this API key may issue",
)
def pending(
    session: SessionDep,
    settings: SettingsDep,
    department: CurrentDepartment,
    now: NowDep,
    state: State = "submitted",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> RequestsOut:
    _purge(session, settings, now)
    rows = credential_requests.for_department(
        session, department, state=state, limit=limit, offset=offset
    )
    return _listed(session, rows, now)


@router.post(
    "/department/credential-requests/{request_id}/approve",
    response_model=RequestOut,
    summary="Approve (possibly correcting claims); answers with a credential offer for the citizen",
)
def approve(
    request_id: str,
    body: ApproveIn,
    session: SessionDep,
    settings: SettingsDep,
    department: CurrentDepartment,
    rpc: RpcDep,
    manifest: ManifestDep,
    service: CredentialServiceDep,
    now: NowDep,
) -> RequestOut:
    found = _refuse_unable(session, service, rpc, manifest, department, request_id)
    awaits_fee = (
        found is not None
        and payments.fee_due(rpc, manifest, settings, found.type)
        and not payments.paid_in_store(session, found.id)
    )
    row = credential_requests.approve(
        session,
        department=department,
        request_id=request_id,
        corrections=body.claims,
        now=now,
        awaits_fee=awaits_fee,
    )
    approved = row.state == credential_requests.APPROVED
    return _out(row, _offer(session, settings, row, now) if approved else None)


@router.get(
    "/department/credential-requests/{request_id}/offer.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    summary="A fresh credential offer of an approved request as QR code (for the counter)",
)
def offer_qr(
    request_id: str,
    session: SessionDep,
    settings: SettingsDep,
    department: CurrentDepartment,
    now: NowDep,
) -> Response:
    row = session.get(CredentialRequestRow, request_id[:32])
    if row is None or not department.may_issue(row.type) or row.state != "approved":
        raise RegistryError(
            status=404,
            kind="unknown-request",
            title="No approved request / Kein genehmigter Antrag",
            detail="no approved request of a type this API key may issue has that id",
            detail_de="kein genehmigter Antrag dieser Art mit dieser Kennung",
        )
    png = render_link_png(_offer(session, settings, row, now))
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post(
    "/department/credential-requests/{request_id}/reject",
    response_model=RequestOut,
    summary="Reject with a reason the citizen reads",
)
def reject(
    request_id: str,
    body: RejectIn,
    session: SessionDep,
    department: CurrentDepartment,
    rpc: RpcDep,
    manifest: ManifestDep,
    service: CredentialServiceDep,
    now: NowDep,
) -> RequestOut:
    _refuse_unable(session, service, rpc, manifest, department, request_id)
    row = credential_requests.reject(
        session, department=department, request_id=request_id, reason=body.reason, now=now
    )
    return _out(row)


def _parsed_did(did: str) -> str:
    try:
        return str(parse_did(did[:100]))
    except DidError as exc:
        raise RegistryError(
            status=422,
            kind="invalid-did",
            title="Not a did:ethr / Keine did:ethr",
            detail=exc.detail,
            detail_de="keine gültige did:ethr",
        ) from None


@router.get(
    "/identity/{did}/erc1056",
    summary="What a signed ERC-1056 change needs: the registry, the DID's owner and its nonce",
)
def erc1056_state(
    did: str, rpc: RpcDep, manifest: ManifestDep, service: CredentialServiceDep
) -> dict[str, Any]:
    parsed = _parsed_did(did)
    owner = did_owner(service, rpc, manifest)(parsed)
    return did_relay.erc1056_state(rpc, manifest, did=parsed, owner=owner)


@router.post(
    "/identity/{did}/change-owner",
    status_code=202,
    response_model=RelayedOut,
    summary="Relay the DID's signed ERC-1056 key change (gas-free key rotation)",
)
def change_owner(
    did: str,
    body: ChangeOwnerIn,
    citizen: CitizenDep,
    session: SessionDep,
    rpc: RpcDep,
    manifest: ManifestDep,
    service: CredentialServiceDep,
    settings: SettingsDep,
    request: Request,
) -> RelayedOut:
    parsed = _parsed_did(did)
    pipeline = request.app.state.pipeline
    relay = next(
        (
            address
            for name in (*settings.relay_keys, settings.payments_relay_key)
            if (address := pipeline.address(name)) is not None
        ),
        None,
    )
    change = SignedChangeOwner(
        body.identity, body.new_owner, body.nonce, body.sig_v,
        bytes.fromhex(body.sig_r[2:]), bytes.fromhex(body.sig_s[2:]),
    )  # fmt: skip
    write = did_relay.relay_change_owner(
        session, rpc=rpc, manifest=manifest, relay=relay, did=parsed, signed_in_did=citizen.did,
        owner=did_owner(service, rpc, manifest)(parsed), change=change,
    )  # fmt: skip
    session.commit()
    pipeline.wake(relay)
    return RelayedOut(write_id=write.id, status=write.status)
