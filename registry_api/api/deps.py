"""Dependencies shared by the routes."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request, Security
from fastapi.security import APIKeyHeader
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from registry_api.core.config import Settings, get_settings
from registry_api.core.errors import RegistryError
from registry_api.core.security import (
    AUTH_CACHE_SECONDS,
    REVOCATION_CHECK_SECONDS,
    Department,
    authenticate,
    revoked_count,
)
from registry_api.models.base import MAX_SAFE_INTEGER
from registry_api.services.credentials import CredentialService
from registry_api.services.trust_bundles import TrustBundleService
from registry_core.manifest import DeploymentManifest, ManifestWatcher
from registry_core.rpc import RpcClient


async def get_app_settings(request: Request) -> Settings:
    """The app's settings (``create_app``), else the environment's.

    Not ``dependency_overrides``: any override makes FastAPI rebuild every dependency's signature
    on every request (measured: about a quarter of a write request's CPU time).
    """
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return settings if settings is not None else get_settings()


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_rpc(request: Request) -> RpcClient:
    rpc: RpcClient = request.app.state.rpc
    return rpc


RpcDep = Annotated[RpcClient, Depends(get_rpc)]


def get_manifest(request: Request, rpc: RpcDep) -> DeploymentManifest:
    # Re-read only when the file changes: a redeploy shows up without restarting the API.
    manifests: ManifestWatcher = request.app.state.manifests
    return manifests.load(rpc.chain_id())


ManifestDep = Annotated[DeploymentManifest, Depends(get_manifest)]


async def get_now(request: Request) -> int:
    """Unix seconds; tests move time by setting ``app.state.clock`` (no dependency override)."""
    clock = getattr(request.app.state, "clock", time.time)
    return int(clock())


NowDep = Annotated[int, Depends(get_now)]

# Numbers in a query go to SQL (64-bit at most) or to the chain: bounded like a body's numbers.
Offset = Annotated[int, Query(ge=0, le=MAX_SAFE_INTEGER, description="Items to skip")]
BlockNumber = Annotated[int | None, Query(ge=0, le=MAX_SAFE_INTEGER, description="A block")]


# ---- the SQL store and the calling department (registers API) --------------------------------


# The dependencies below are ``async`` although they do no I/O: FastAPI runs sync dependencies in
# the thread pool, one thread hop each, which costs more than the work itself on the write path.
# The store reads of an uncached API key go to the thread pool (``get_current_department``).


async def get_session(request: Request) -> AsyncIterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """A session for reads only (on SQLite it takes no write lock)."""
    with Session(request.app.state.read_engine, expire_on_commit=False) as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session)]

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="A department's API key (`registry api-key create`), scoped to registers and "
    "credential types",
)


_auth_cache: dict[str, tuple[float, Department]] = {}


class _RevocationWatch:
    """Empties the auth cache when the store counts a new revocation (asked at most once a
    second per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = -1
        self._checked_at = float("-inf")

    def due(self, now: float) -> bool:
        return now - self._checked_at >= REVOCATION_CHECK_SECONDS

    def check(self, session: Session, now: float) -> None:
        with self._lock:
            if now - self._checked_at < REVOCATION_CHECK_SECONDS:
                return
            self._checked_at = now
        count = revoked_count(session)
        with self._lock:
            if count != self._count:
                self._count = count
                _auth_cache.clear()


_revocations = _RevocationWatch()


def _cached_authenticate(session: Session, token: str) -> Department | None:
    """Accepted tokens are remembered for ``AUTH_CACHE_SECONDS`` (by their hash).

    ``registry api-key revoke`` runs in another process (and API replicas in others still), so it
    cannot reach these entries; instead every process asks the store at most once a second how
    many keys were revoked, and forgets all entries when the count moved: a revoked key is refused
    within about a second everywhere. The scopes are cached with a key; they never change.
    """
    now = time.monotonic()
    _revocations.check(session, now)
    digest = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    cached = _auth_cache.get(digest)
    if cached is not None and cached[0] > now:
        return cached[1]
    department = authenticate(session=session, token=token)
    if department is not None:
        if len(_auth_cache) > 10_000:
            _auth_cache.clear()
        _auth_cache[digest] = (now + AUTH_CACHE_SECONDS, department)
    return department


def _cached_only(token: str) -> Department | None:
    """The cached department of ``token`` when no store read is due (no revocation check, a
    cache hit): the one case answered on the event loop."""
    now = time.monotonic()
    if _revocations.due(now):
        return None
    digest = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    cached = _auth_cache.get(digest)
    return cached[1] if cached is not None and cached[0] > now else None


async def get_current_department(
    session: ReadSessionDep, token: Annotated[str | None, Security(api_key_header)]
) -> Department:
    if not token:
        raise RegistryError(
            status=401,
            kind="missing-api-key",
            title="An API key is required",
            detail="send the department's API key in the X-API-Key header",
        )
    # A store read (an uncached key, the once-a-second revocation count) blocks: not on the loop.
    department = _cached_only(token[:200]) or await run_in_threadpool(
        _cached_authenticate, session, token[:200]
    )
    if department is None:
        raise RegistryError(
            status=401,
            kind="invalid-api-key",
            title="The API key is not valid",
            detail="the X-API-Key header does not hold a valid, unrevoked API key",
        )
    return department


CurrentDepartment = Annotated[Department, Depends(get_current_department)]


async def get_signer_address(request: Request, department: CurrentDepartment) -> str:
    """The address that signs this department's writes (its key unlocked at start)."""
    address: str | None = request.app.state.signers.get(department.code)
    if address is None:
        raise RegistryError(
            status=503,
            kind="no-signing-key",
            title="The department cannot sign writes",
            detail=f"no signing key of department {department.code} is unlocked in this API",
        )
    return address


SignerDep = Annotated[str, Depends(get_signer_address)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Repeat a write safely: the same key with the same body gives the same answer",
        examples=["3c1e7a52-4c0b-4f43-9e0f-6b7d2c8f9a10"],
    ),
]


# ---- the credential services ---------------------------------------------------------------------


async def get_credential_service(request: Request) -> CredentialService:
    service: CredentialService = request.app.state.credentials
    return service


CredentialServiceDep = Annotated[CredentialService, Depends(get_credential_service)]


async def get_trust_bundles(request: Request) -> TrustBundleService:
    service: TrustBundleService = request.app.state.trust_bundles
    return service


TrustBundleServiceDep = Annotated[TrustBundleService, Depends(get_trust_bundles)]
