"""Credentials: departments issue, batch-issue, suspend, resume and revoke; anyone reads status,
QR images, DID documents and the signed trust bundle.

An API key issues only the credential types it is scoped to (``registry api-key create
--credential-types``) and changes status only if it has some credential scope; a refusal is a
``403`` problem before anything else is looked at (an Idempotency-Key's stored answer included).

The writes sign and anchor on chain within the request and accept an ``Idempotency-Key`` (see
:class:`_Once`): a client whose request timed out retries with the same key and gets the first
answer instead of a second credential or a second status transaction.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from registry_api.api import idempotency
from registry_api.api.deps import (
    CurrentDepartment,
    IdempotencyKey,
    ManifestDep,
    ReadSessionDep,
    RpcDep,
    SessionDep,
)
from registry_api.core.credentials import CredentialService
from registry_api.core.errors import PROBLEM_BASE, PROBLEM_JSON, RegistryError
from registry_api.core.security import Department
from registry_core.codes import bytes32_to_code
from registry_core.credential_types import CREDENTIAL_TYPES
from registry_core.did import DidError
from registry_core.errors import RegistryCoreError, TransactionFailedError
from registry_core.issuance import CredentialRequest, IssuedCredential, Issuer
from registry_core.qr import QrPayloadError, decode_payload, encode_payload, qr_info
from registry_core.reason_codes import (
    MAX_REASON_CODE,
    REASON_CODES,
    describe_reason_codes,
    is_reason_code,
)
from registry_core.schemas import validator_for
from registry_core.vc import BatchProof, CredentialFormatError, Envelope
from registry_core.verification import STATES

router = APIRouter(prefix="/credentials", tags=["credentials"])
log = logging.getLogger(__name__)
R = TypeVar("R")

HOLDER_EXAMPLE = "did:ethr:0xcb5e:0x70997970c51812dc3a010c7d01b50e0d17dc79c8"


def _chain_accepts(reason_code: int) -> int:
    """Refuse the reason code the chain would refuse (7, unused by RFC 5280), as a 422."""
    if not is_reason_code(reason_code):
        raise ValueError(f"{reason_code} is not a reason code: {describe_reason_codes()}")
    return reason_code


def get_service(request: Request) -> CredentialService:
    service: CredentialService = request.app.state.credentials
    return service


ServiceDep = Annotated[CredentialService, Depends(get_service)]


class IssueRequest(BaseModel):
    type: str = Field(max_length=32, examples=["RESIDENCE_CERT"])
    holder_did: str = Field(max_length=200, examples=[HOLDER_EXAMPLE])
    claims: dict[str, Any] = Field(
        examples=[
            {
                "givenName": "Erika",
                "familyName": "Mustermann",
                "birthDate": "1964-08-12",
                "address": "Markt 1, 52062 Aachen",
            }
        ]
    )
    valid_until: int | None = Field(None, description="Unix seconds; default: the type's validity")


class BatchItem(BaseModel):
    holder_did: str = Field(max_length=200)
    claims: dict[str, Any]
    valid_until: int | None = None


class BatchIssueRequest(BaseModel):
    type: str = Field(max_length=32, examples=["PARKING_PERMIT"])
    items: list[BatchItem] = Field(min_length=1, max_length=1024)


class IssuedOut(BaseModel):
    credential: str = Field(
        description="The VC-JWT, with '~' and the batch proof for batch members"
    )
    credential_hash: str = Field(description="keccak256 of the JWT, anchored on chain")
    qr_payload: str = Field(description="CRV1: QR payload (see README)")
    issuer: str
    tx_hash: str
    block: int


class BatchIssuedOut(BaseModel):
    root: str
    count: int
    tx_hash: str
    block: int
    credentials: list[IssuedOut]


class StatusChange(BaseModel):
    reason_code: Annotated[int, AfterValidator(_chain_accepts)] = Field(
        0,
        ge=0,
        le=MAX_REASON_CODE,
        description=describe_reason_codes(),
        json_schema_extra={"enum": list(REASON_CODES)},
    )
    credential: str | None = Field(
        None,
        max_length=12000,
        description="The credential envelope; needed for batch members (carries the proof)",
    )


class StatusOut(BaseModel):
    credential_hash: str
    state: Literal["unknown", "active", "suspended", "revoked"]
    issuer_department: str | None
    type: str | None
    anchored_block: int | None
    anchored_at: int | None
    reason_code: int
    changed_at: int | None


class QrRequest(BaseModel):
    credential: str | None = Field(None, max_length=12000, description="VC-JWT or envelope")
    payload: str | None = Field(None, max_length=4296, description="A CRV1: payload")


def _problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> RegistryError:
    return RegistryError(status=status, kind=kind, title=title, detail=detail, **extra)


def _require_issue_scope(department: Department, type_code_: str) -> None:
    """The key must be scoped to the type (unknown types are left to the 422 that names them)."""
    if type_code_ in CREDENTIAL_TYPES and not department.may_issue(type_code_):
        scope = ", ".join(sorted(department.credential_types)) or "none"
        raise _problem(
            403,
            "credential-type-out-of-scope",
            "The API key may not issue this credential type",
            f"this API key ({department.key_id}) of department {department.code} may not issue "
            f"{type_code_} credentials; its credential types: {scope}",
            credential_type=type_code_,
        )


def _require_status_scope(department: Department, action: str) -> None:
    if not department.may_change_credential_status:
        raise _problem(
            403,
            "credential-out-of-scope",
            "The API key may not change credential status",
            f"this API key ({department.key_id}) of department {department.code} has no "
            f"credential types, so it may not {action} credentials",
        )


def _issuer(service: CredentialService, department: str, rpc: Any, manifest: Any) -> Issuer:
    issuer = service.issuer(department, rpc=rpc, manifest=manifest)
    if issuer is None:
        raise _problem(
            503,
            "no-credential-key",
            "The department cannot issue credentials",
            f"no credential key of department {department} is unlocked in this API",
        )
    return issuer


def _validate_claims(type_code_: str, claims: dict[str, Any], holder_did: str) -> None:
    spec = CREDENTIAL_TYPES.get(type_code_)
    if spec is None:
        raise _problem(
            422,
            "unknown-credential-type",
            "Unknown credential type",
            f"{type_code_!r} is not one of {', '.join(sorted(CREDENTIAL_TYPES))}",
        )
    errors = validator_for(spec.schema).violations([claims])
    if errors:
        raise _problem(
            422,
            "claims-invalid",
            "The claims do not match the credential type's schema",
            f"{len(errors)} schema violation(s)",
            errors=[{"path": e.path.removeprefix("/"), "msg": e.message[:200]} for e in errors],
        )


def _chain_failure(exc: RegistryCoreError) -> RegistryError:
    if isinstance(exc, TransactionFailedError):
        return _problem(
            409,
            "chain-refused",
            "The chain refused the credential operation",
            exc.detail,
            error=exc.error_name,
        )
    if isinstance(exc, DidError | CredentialFormatError | QrPayloadError):
        return _problem(422, "invalid-credential", "The credential or DID is not valid", exc.detail)
    return _problem(409, "credential-error", "The credential operation failed", exc.detail)


def _out(issued: IssuedCredential, issuer: Issuer) -> IssuedOut:
    text = issued.envelope.serialize()
    return IssuedOut(
        credential=text,
        credential_hash="0x" + issued.credential_hash.hex(),
        qr_payload=encode_payload(text),
        issuer=issuer.issuer_did,
        tx_hash=issued.tx_hash,
        block=issued.block,
    )


class _Once:
    """A credential write with an optional ``Idempotency-Key``: replayed, or done once and stored.

    The key is looked up before anything is checked and again under the department's credential
    lock, and the answer is stored before that lock is released: a retry that arrives while the
    first request still waits for its receipt replays the first answer instead of issuing again.
    (A duplicate handled by another API process at the same moment finds the key taken when it
    stores its answer and replays the first one; its own transaction went through unused.) Only
    successful answers are stored. The write session is used only to store the answer, after the
    chain work, so it holds the store's write lock only for that commit.
    """

    def __init__(
        self,
        *,
        request: Request,
        session: Session,
        read_session: Session,
        department: str,
        key: str | None,
    ) -> None:
        self.request = request
        self.session = session
        self.read_session = read_session
        self.department = department
        self.key = key
        self.fingerprint = ""

    def begin(self, body: BaseModel) -> JSONResponse | None:
        """Fingerprint the request; the first answer again (or the key-reused problem), if any."""
        if not self.key:
            return None
        self.fingerprint = idempotency.fingerprint(self.request, body)
        return self.stored()

    def stored(self) -> JSONResponse | None:
        """The first answer again (or the key-reused problem); None if there is none."""
        if not self.key:
            return None
        return idempotency.replay_stored(
            self.read_session,
            department=self.department,
            key=self.key,
            fingerprint=self.fingerprint,
        )

    def run(
        self,
        *,
        lock: threading.Lock,
        work: Callable[[], R],
        answer: Callable[[R], BaseModel],
        status_code: int,
    ) -> BaseModel | JSONResponse:
        """``work`` (the chain part) under ``lock``; its ``answer``, stored under the key."""
        with lock:
            replayed = self.stored()
            if replayed is not None:
                return replayed
            try:
                result = work()
            except RegistryCoreError as exc:
                raise _chain_failure(exc) from exc
            if self.key:
                out = answer(result)
                return self._store(out, status_code) or out
        return answer(result)

    def _store(self, out: BaseModel, status_code: int) -> JSONResponse | None:
        assert self.key
        try:
            return idempotency.store(
                self.session,
                department=self.department,
                key=self.key,
                fingerprint=self.fingerprint,
                status_code=status_code,
                body=out.model_dump(mode="json"),
            )
        except SQLAlchemyError:
            # The chain took the transaction: hand out its answer rather than lose it.
            log.exception(
                "department %s: the answer of a credential write was not stored under its "
                "Idempotency-Key; a retry with that key will write again",
                self.department,
            )
            return None


def _once(
    request: Request,
    session: SessionDep,
    read_session: ReadSessionDep,
    department: CurrentDepartment,
    idempotency_key: IdempotencyKey = None,
) -> _Once:
    return _Once(
        request=request,
        session=session,
        read_session=read_session,
        department=department.code,
        key=idempotency_key,
    )


OnceDep = Annotated[_Once, Depends(_once)]


def _idempotent_write(
    status_code: int, instance: str, refused: tuple[str, str, str]
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the replay header on the success answer, the scope refusal (kind, title, detail)
    and the key-reused problem."""
    kind, title, detail = refused
    return {
        status_code: {
            "headers": {
                idempotency.REPLAY_HEADER: {
                    "description": "`true` when this is the stored answer to an earlier request "
                    "with the same Idempotency-Key",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            }
        },
        403: {
            "description": "The API key is not scoped to this credential operation",
            "content": {
                PROBLEM_JSON: {
                    "example": {
                        "type": PROBLEM_BASE + kind,
                        "title": title,
                        "status": 403,
                        "detail": detail,
                        "instance": instance,
                    }
                }
            },
        },
        422: {
            "description": "Invalid request, claims or credential; or an Idempotency-Key reused",
            "content": {
                PROBLEM_JSON: {
                    "example": {
                        "type": PROBLEM_BASE + "idempotency-key-reused",
                        "title": "The Idempotency-Key was used for another request",
                        "status": 422,
                        "detail": "Idempotency-Key '3c1e7a52-…' was used before with a "
                        "different request body or path; use a new key for a new request",
                        "instance": instance,
                    }
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
    responses=_idempotent_write(201, "/credentials", _ISSUE_REFUSED),
)
def issue(
    body: IssueRequest,
    department: CurrentDepartment,
    service: ServiceDep,
    rpc: RpcDep,
    manifest: ManifestDep,
    once: OnceDep,
) -> Any:
    _require_issue_scope(department, body.type)
    replayed = once.begin(body)
    if replayed is not None:
        return replayed
    _validate_claims(body.type, body.claims, body.holder_did)
    issuer = _issuer(service, department.code, rpc, manifest)
    credential_request = CredentialRequest(body.holder_did, body.claims, body.valid_until)
    return once.run(
        lock=service.lock(department.code),
        work=lambda: issuer.issue(body.type, credential_request),
        answer=lambda issued: _out(issued, issuer),
        status_code=201,
    )


@router.post(
    "/batch",
    response_model=BatchIssuedOut,
    status_code=201,
    summary="Issue many credentials of one type, anchored as one Merkle root",
    responses=_idempotent_write(201, "/credentials/batch", _ISSUE_REFUSED),
)
def issue_batch(
    body: BatchIssueRequest,
    department: CurrentDepartment,
    service: ServiceDep,
    rpc: RpcDep,
    manifest: ManifestDep,
    once: OnceDep,
) -> Any:
    _require_issue_scope(department, body.type)
    replayed = once.begin(body)
    if replayed is not None:
        return replayed
    if len(body.items) > service.options.batch_max:
        raise _problem(
            422,
            "batch-too-large",
            "The batch is too large",
            f"at most {service.options.batch_max} credentials per batch",
        )
    for item in body.items:
        _validate_claims(body.type, item.claims, item.holder_did)
    issuer = _issuer(service, department.code, rpc, manifest)
    requests = [CredentialRequest(i.holder_did, i.claims, i.valid_until) for i in body.items]

    def answer(issued: list[IssuedCredential]) -> BatchIssuedOut:
        first = issued[0]
        assert first.envelope.batch is not None
        return BatchIssuedOut(
            root="0x" + first.envelope.batch.root.hex(),
            count=len(issued),
            tx_hash=first.tx_hash,
            block=first.block,
            credentials=[_out(item, issuer) for item in issued],
        )

    return once.run(
        lock=service.lock(department.code),
        work=lambda: issuer.issue_batch(body.type, requests),
        answer=answer,
        status_code=201,
    )


def _target(credential_hash: str, body: StatusChange) -> tuple[bytes, BatchProof | None]:
    """The hash to change and, when the envelope is given, its batch proof."""
    digest = _digest(credential_hash)
    if body.credential is None:
        return digest, None
    try:
        envelope = Envelope.parse(body.credential)
    except CredentialFormatError as exc:
        raise _chain_failure(exc) from exc
    if envelope.credential_hash != digest:
        raise _problem(
            422,
            "hash-mismatch",
            "The credential does not match the hash",
            "keccak256 of the given credential is not the hash in the URL",
        )
    return digest, envelope.batch


def _digest(credential_hash: str) -> bytes:
    try:
        digest = bytes.fromhex(credential_hash.removeprefix("0x"))
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise _problem(
            422, "invalid-hash", "Invalid credential hash", "a credential hash is 32 bytes hex"
        )
    return digest


def _change(
    action: str,
    credential_hash: str,
    body: StatusChange,
    department: Department,
    service: CredentialService,
    rpc: Any,
    manifest: Any,
    once: _Once,
) -> Any:
    _require_status_scope(department, action)
    replayed = once.begin(body)
    if replayed is not None:
        return replayed
    digest, batch = _target(credential_hash, body)
    issuer = _issuer(service, department.code, rpc, manifest)
    return once.run(
        lock=service.lock(department.code),
        work=lambda: issuer.change_status(
            credential_hash=digest, action=action, reason_code=body.reason_code, batch=batch
        ),
        answer=lambda _receipt: _status(credential_hash, rpc, manifest),
        status_code=200,
    )


def _status_route(action: str, summary: str) -> None:
    """``POST /credentials/{hash}/{action}``: the three status changes differ only in action."""

    def change(
        credential_hash: str,
        body: StatusChange,
        department: CurrentDepartment,
        service: ServiceDep,
        rpc: RpcDep,
        manifest: ManifestDep,
        once: OnceDep,
    ) -> Any:
        return _change(action, credential_hash, body, department, service, rpc, manifest, once)

    router.post(
        f"/{{credential_hash}}/{action}",
        name=action,
        response_model=StatusOut,
        summary=summary,
        responses=_idempotent_write(200, f"/credentials/0x…/{action}", _status_refused(action)),
    )(change)


for _action, _summary in (
    ("revoke", "Revoke for good"),
    ("suspend", "Suspend"),
    ("resume", "Resume a suspension"),
):
    _status_route(_action, _summary)


def _status(credential_hash: str, rpc: Any, manifest: Any) -> StatusOut:
    digest = _digest(credential_hash)
    contract = manifest.contract("CredentialStatusRegistry")
    data = contract.interface.encode_call("status", digest)
    state, dept, kind, block, at, reason, changed = contract.interface.decode_output(
        "status", rpc.call(contract.address, data)
    )
    known = int(state) != 0
    return StatusOut(
        credential_hash="0x" + digest.hex(),
        state=STATES[int(state)],
        issuer_department=bytes32_to_code(bytes(dept)) if known else None,
        type=bytes32_to_code(bytes(kind)) if known else None,
        anchored_block=int(block) if known else None,
        anchored_at=int(at) if known else None,
        reason_code=int(reason),
        changed_at=int(changed) if known else None,
    )


@router.get(
    "/{credential_hash}/status",
    response_model=StatusOut,
    summary="On-chain status of a singly anchored (or status-changed) credential",
)
def status(credential_hash: str, rpc: RpcDep, manifest: ManifestDep) -> StatusOut:
    return _status(credential_hash, rpc, manifest)


@router.post(
    "/qr",
    summary="QR code (PNG or SVG, error correction M) of a credential or CRV1 payload",
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
def qr_image(
    body: QrRequest,
    service: ServiceDep,
    image_format: Annotated[Literal["png", "svg"], Query(alias="format")] = "png",
) -> Response:
    try:
        if body.payload is not None:
            decode_payload(body.payload)  # refuse what is not ours
            payload = body.payload.strip()
        elif body.credential is not None:
            payload = encode_payload(Envelope.parse(body.credential).serialize())
        else:
            raise _problem(
                422, "nothing-to-render", "Nothing to render", "give credential or payload"
            )
    except (QrPayloadError, CredentialFormatError) as exc:
        raise _chain_failure(exc) from exc
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


@router.get(
    "/trust-bundle",
    summary="Signed trust bundle for offline verification (issuer DIDs, accreditations, status)",
)
def trust_bundle(service: ServiceDep, rpc: RpcDep, manifest: ManifestDep) -> dict[str, Any]:
    return service.trust_bundle(rpc=rpc, manifest=manifest)


@router.get("/trust-bundle/signer", summary="The address that signs trust bundles (pin it)")
def trust_bundle_signer(service: ServiceDep) -> dict[str, str]:
    return {"signer": service.bundle_signer().address}


dids = APIRouter(prefix="/dids", tags=["credentials"])


@dids.get("/{did}", summary="Resolve a did:ethr of the city chain (optionally as of a block)")
def resolve_did(
    did: str,
    service: ServiceDep,
    rpc: RpcDep,
    manifest: ManifestDep,
    block: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    try:
        return service.source(rpc=rpc, manifest=manifest).resolver.resolution_result(
            did, block=block
        )
    except DidError as exc:
        raise _problem(404, "did-not-found", "The DID cannot be resolved", exc.detail) from exc
