"""Credentials over HTTP: departments issue, batch-issue, suspend, resume and revoke; anyone reads
status and QR images (the trust bundle: ``trust_bundles.py``). The rules are in ``services/credentials.py`` and
``services/credential_rules.py``.

An API key issues only the credential types it is scoped to (``registry api-key create
--credential-types``) and changes status only if it has some credential scope; a refusal is a
``403`` problem before anything else is looked at (an Idempotency-Key's stored answer included).

Writes go through the outbox and wait for their anchoring (``CITY_API_CREDENTIAL_WAIT_SECONDS``):
mined in time -> ``201`` (issuance) or ``200`` (status change) as before; not yet -> ``202`` with a
status URL. With an ``Idempotency-Key`` a retry gets the same answer and never a second credential
or anchoring (``api/idempotency.py``, :class:`AwaitedWrite`).

(A little over 400 lines: issuance, batch issuance and the three status changes share one write
dependency and their OpenAPI examples here.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session

from registry_api.api import idempotency
from registry_api.api.deps import (
    CredentialServiceDep,
    CurrentDepartment,
    IdempotencyKey,
    ManifestDep,
    ReadSessionDep,
    RpcDep,
    SessionDep,
)
from registry_api.core.errors import PROBLEM_BASE, PROBLEM_JSON
from registry_api.core.security import Department
from registry_api.models.credentials import (
    BatchIssuedOut,
    BatchIssueRequest,
    IssuanceStatus,
    IssueAccepted,
    IssuedOut,
    IssueRequest,
    QrRequest,
    StatusChange,
    StatusChangeAccepted,
    StatusOut,
)
from registry_api.services import credential_rules as rules
from registry_api.services.credentials import CredentialService
from registry_core.credential_types import CREDENTIAL_TYPES
from registry_core.issuance import CredentialRequest
from registry_core.manifest import DeploymentManifest
from registry_core.qr import QrPayloadError, decode_payload, encode_payload, qr_info
from registry_core.rpc import RpcClient
from registry_core.vc import CredentialFormatError, Envelope

router = APIRouter(prefix="/credentials", tags=["credentials"])


def _example(status: int, kind: str, title: str, detail: str, instance: str) -> dict[str, Any]:
    return {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }


def _awaited_write(
    status_code: int, instance: str, refused: tuple[str, str, str], accepted: type
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the final answer (with the replay header), the 202 while the chain has not mined
    it, the scope and suspension refusals, the chain's refusal and the key-reused problem."""
    kind, title, detail = refused
    replay_header = {
        idempotency.REPLAY_HEADER: {
            "description": "`true` when this is the stored answer to an earlier request "
            "with the same Idempotency-Key",
            "schema": {"type": "string", "enum": ["true"]},
        }
    }
    return {
        status_code: {"headers": replay_header},
        202: {
            "description": "Accepted and queued, not yet mined within the wait: the status URL "
            "(also in `Location`) says when it is anchored",
            "model": accepted,
            "headers": replay_header,
        },
        403: {
            "description": "The API key is not scoped to this credential operation, or the "
            "department is suspended on chain",
            "content": {
                PROBLEM_JSON: {
                    "examples": {
                        "out-of-scope": {"value": _example(403, kind, title, detail, instance)},
                        "department-suspended": {
                            "value": _example(
                                403,
                                "department-suspended",
                                "The department is suspended",
                                "department FB32 is suspended on chain by the city council; it "
                                "cannot write until the council reactivates it",
                                instance,
                            )
                        },
                    }
                }
            },
        },
        409: {
            "description": "The chain refuses (or refused) the operation; `error` names the "
            "contract's custom error",
            "content": {
                PROBLEM_JSON: {
                    "example": {
                        **_example(
                            409,
                            "chain-refused",
                            "The chain refused the credential operation",
                            "the CredentialStatusRegistry contract reverts with "
                            "CredentialStatusNotAccredited(departmentId=0x4642…, typeId=0x5245…, "
                            "at=1767225600)",
                            instance,
                        ),
                        "error": "CredentialStatusNotAccredited",
                    }
                }
            },
        },
        422: {
            "description": "Invalid request, claims or credential; or an Idempotency-Key reused",
            "content": {
                PROBLEM_JSON: {
                    "example": _example(
                        422,
                        "idempotency-key-reused",
                        "The Idempotency-Key was used for another request",
                        "Idempotency-Key '3c1e7a52-…' was used before with a different request "
                        "body or path; use a new key for a new request",
                        instance,
                    )
                }
            },
        },
    }


_ISSUE_REFUSED = (
    "credential-type-out-of-scope",
    "The API key may not issue this credential type",
    "this API key (1a2b3c4d5e6f7a8b) of department FB02 may not issue PARKING_PERMIT "
    "credentials; its credential types: BUSINESS_REG",
)


def _status_refused(action: str) -> tuple[str, str, str]:
    return (
        "credential-out-of-scope",
        "The API key may not change credential status",
        "this API key (1a2b3c4d5e6f7a8b) of department FB02 has no credential types, so it may "
        f"not {action} credentials",
    )


@dataclass(frozen=True)
class _CredentialWrite:
    """A department's credential write: its store sessions, chain, service and Idempotency-Key."""

    request: Request
    session: Session
    read_session: Session
    department: Department
    key: str | None
    service: CredentialService
    rpc: RpcClient
    manifest: DeploymentManifest

    def _awaited(self) -> idempotency.AwaitedWrite:
        return idempotency.AwaitedWrite(
            request=self.request,
            session=self.session,
            read_session=self.read_session,
            department=self.department.code,
            key=self.key,
            pipeline=self.request.app.state.pipeline,
            wait_seconds=self.service.settings.credential_wait_seconds,
        )

    async def issue(
        self, body: BaseModel, code: str, requests: list[CredentialRequest], *, batch: bool
    ) -> Any:
        rules.require_issue_scope(self.department, code)

        def settle(write_id: str) -> idempotency.Final | None:
            found = self.service.issuance(
                self.read_session,
                department=self.department.code,
                write_id=write_id,
                manifest=self.manifest,
            )
            if found.status == "failed":
                raise rules.chain_refusal(found.error or "the chain refused the anchoring")
            answer = found.batch if batch else found.credential
            return (201, answer) if found.status == "anchored" and answer is not None else None

        return await self._awaited().run(
            body,
            accept=lambda: self.service.issue(
                self.session,
                department=self.department.code,
                rpc=self.rpc,
                manifest=self.manifest,
                code=code,
                requests=requests,
                batch=batch,
            ),
            settle=settle,
        )

    async def change_status(self, body: StatusChange, action: str, credential_hash: str) -> Any:
        rules.require_status_scope(self.department, action)
        digest = rules.digest_of(credential_hash)

        def accept() -> StatusChangeAccepted:
            try:
                envelope = Envelope.parse(body.credential) if body.credential else None
            except CredentialFormatError as exc:
                raise rules.invalid_credential(exc) from exc
            return self.service.change_status(
                self.session,
                department=self.department.code,
                rpc=self.rpc,
                manifest=self.manifest,
                action=action,
                digest=digest,
                reason_code=body.reason_code,
                envelope=envelope,
            )

        def settle(write_id: str) -> idempotency.Final | None:
            state = self.service.write_state(self.read_session, write_id)
            if state.status == "failed":
                raise rules.chain_refusal(state.error or "the chain refused the status change")
            if state.status != "anchored":
                return None
            status = self.service.status(
                self.read_session,
                rpc=self.rpc,
                manifest=self.manifest,
                digest=digest,
                department=self.department.code,
            )
            return 200, status

        return await self._awaited().run(body, accept=accept, settle=settle)


def _credential_write(
    request: Request,
    session: SessionDep,
    read_session: ReadSessionDep,
    department: CurrentDepartment,
    service: CredentialServiceDep,
    rpc: RpcDep,
    manifest: ManifestDep,
    idempotency_key: IdempotencyKey = None,
) -> _CredentialWrite:
    return _CredentialWrite(
        request, session, read_session, department, idempotency_key, service, rpc, manifest
    )


CredentialWriteDep = Annotated[_CredentialWrite, Depends(_credential_write)]


@router.get("/types", summary="Credential types with their JSON Schemas")
def credential_types() -> list[dict[str, Any]]:
    return [
        {
            "type": spec.code,
            "vc_type": spec.vc_type,
            "name_de": spec.name_de,
            "name_en": spec.name_en,
            "schema_hash": "0x" + spec.schema_hash.hex(),
            "schema": spec.schema,
        }
        for spec in CREDENTIAL_TYPES.values()
    ]


@router.post(
    "",
    response_model=IssuedOut,
    status_code=201,
    summary="Issue a credential to a holder DID (department API key)",
    responses=_awaited_write(201, "/credentials", _ISSUE_REFUSED, IssueAccepted),
)
async def issue(body: IssueRequest, write: CredentialWriteDep) -> Any:
    request = CredentialRequest(body.holder_did, body.claims, body.valid_until)
    return await write.issue(body, body.type, [request], batch=False)


@router.post(
    "/batch",
    response_model=BatchIssuedOut,
    status_code=201,
    summary="Issue many credentials of one type, anchored as one Merkle root",
    responses=_awaited_write(201, "/credentials/batch", _ISSUE_REFUSED, IssueAccepted),
)
async def issue_batch(body: BatchIssueRequest, write: CredentialWriteDep) -> Any:
    requests = [CredentialRequest(i.holder_did, i.claims, i.valid_until) for i in body.items]
    return await write.issue(body, body.type, requests, batch=True)


@router.get(
    "/issuances/{write_id}",
    response_model=IssuanceStatus,
    summary="An issuance that answered 202: its state, and its credential(s) once anchored",
    responses={
        410: {
            "description": "The credential(s) were handed out and are no longer kept "
            "(retention), or revoked (services/retention.py)",
            "content": {
                PROBLEM_JSON: {
                    "example": _example(
                        410,
                        "credential-erased",
                        "The credential is no longer kept / Der Nachweis wird nicht mehr "
                        "aufbewahrt",
                        "the credential(s) of issuance 5f0c… were handed out and are no longer "
                        "kept (retention) or were revoked",
                        "/credentials/issuances/5f0c…",
                    )
                }
            },
        }
    },
)
def issuance(
    write_id: Annotated[str, Path(pattern="^[0-9a-f]{32}$")],
    department: CurrentDepartment,
    service: CredentialServiceDep,
    manifest: ManifestDep,
    read_session: ReadSessionDep,
) -> IssuanceStatus:
    return service.issuance(
        read_session, department=department.code, write_id=write_id, manifest=manifest
    )


def _status_route(action: str, summary: str) -> None:
    """``POST /credentials/{hash}/{action}``: the three status changes differ only in action."""

    async def change(credential_hash: str, body: StatusChange, write: CredentialWriteDep) -> Any:
        return await write.change_status(body, action, credential_hash)

    router.post(
        f"/{{credential_hash}}/{action}",
        name=action,
        response_model=StatusOut,
        summary=summary,
        responses=_awaited_write(
            200, f"/credentials/0x…/{action}", _status_refused(action), StatusChangeAccepted
        ),
    )(change)


for _action, _summary in (
    ("revoke", "Revoke for good"),
    ("suspend", "Suspend"),
    ("resume", "Resume a suspension"),
):
    _status_route(_action, _summary)


@router.get(
    "/{credential_hash}/status",
    response_model=StatusOut,
    summary="On-chain status of a credential (as a member of its batch if this API issued it)",
)
def status(
    credential_hash: str,
    service: CredentialServiceDep,
    rpc: RpcDep,
    manifest: ManifestDep,
    read_session: ReadSessionDep,
    department: str | None = None,
) -> StatusOut:
    """Records are per issuing department on chain: a credential this API issued is read under
    its department; for any other pass ``?department=`` (its issuer's code), else ``unknown``."""
    digest = rules.digest_of(credential_hash)
    return service.status(
        read_session, rpc=rpc, manifest=manifest, digest=digest, department=department
    )


@router.post(
    "/qr",
    summary="QR code (PNG or SVG, error correction M) of a credential or CRV1 payload",
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
def qr_image(
    body: QrRequest,
    service: CredentialServiceDep,
    image_format: Annotated[Literal["png", "svg"], Query(alias="format")] = "png",
) -> Response:
    try:
        if body.payload is not None:
            decode_payload(body.payload)  # refuse what is not ours
            payload = body.payload.strip()
        elif body.credential is not None:
            payload = encode_payload(Envelope.parse(body.credential).serialize())
        else:
            raise rules.nothing_to_render()
    except (QrPayloadError, CredentialFormatError) as exc:
        raise rules.invalid_credential(exc) from exc
    image = service.renderer.render(payload, image_format)
    info = qr_info(payload)
    media = "image/svg+xml" if image_format == "svg" else "image/png"
    return Response(
        image,
        media_type=media,
        headers={
            "X-QR-Version": str(info.version),
            "X-QR-Modules": str(info.modules),
            "Cache-Control": "public, max-age=86400, immutable",
        },
    )
