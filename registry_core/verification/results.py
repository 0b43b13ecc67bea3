"""What verification answers (checks, verdict) and what it asks a trust source (the protocol)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from registry_core.did import DidHistory
from registry_core.errors import RegistryCoreError
from registry_core.vc import Envelope

CheckStatus = Literal["passed", "failed", "skipped", "unavailable", "unconfirmed"]
Mode = Literal["online", "offline"]
# "unconfirmed": cannot be confirmed offline yet (newer than the trust bundle, or its status older
# than the verifier's maximum bundle age); neither valid nor invalid.
Outcome = Literal["valid", "invalid", "unconfirmed"]
OUTCOMES = ("valid", "invalid", "unconfirmed")
CHECK_NAMES = (
    "format",
    "issuer",
    "signature",
    "anchored",
    "accreditation",
    "status",
    "validity",
    "holder",
)
STATES = ("unknown", "active", "suspended", "revoked")


@dataclass(slots=True)  # not frozen: frozen dataclasses are ~3x slower to create (hot path)
class Check:
    name: str
    status: CheckStatus
    code: str  # machine-readable reason, e.g. "revoked"
    reason_de: str
    reason_en: str


@dataclass(frozen=True)
class AnchorInfo:
    state: int  # 0 unknown, 1 active, 2 suspended, 3 revoked
    department: bytes
    type_id: bytes
    block: int
    timestamp: int
    reason_code: int
    changed_at: int


NOT_ANCHORED = AnchorInfo(0, b"\0" * 32, b"\0" * 32, 0, 0, 0, 0)


@dataclass
class VerificationResult:
    valid: bool
    checks: list[Check]
    mode: Mode
    knowledge_block: int | None = None  # the chain block the answer is based on
    knowledge_time: int | None = None  # unix time of that knowledge (offline: the bundle's)
    credential: dict[str, Any] = field(default_factory=dict)  # non-sensitive fields only
    # valid / invalid / unconfirmed; ``valid`` is ``outcome == "valid"`` (kept for older clients)
    outcome: Outcome = "invalid"

    @property
    def reason(self) -> str:
        """Code of the first failed check ("" when valid)."""
        failed = next((c for c in self.checks if c.status in ("failed", "unavailable")), None)
        return failed.code if failed else ""

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def to_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["reason"] = self.reason
        return body


class TrustSource(Protocol):
    """What verification needs to know about the chain (online) or a trust bundle (offline)."""

    @property
    def mode(self) -> Mode: ...

    @property
    def chain_id(self) -> int: ...

    @property
    def status_registry(self) -> str: ...

    @property
    def anchor_window(self) -> int | None:
        """Offline: seconds an issuance may take to be anchored (None online)."""

    @property
    def max_age(self) -> int | None:
        """Offline: seconds the source's status is trusted (None: always current)."""

    def knowledge(self) -> tuple[int | None, int | None]: ...

    def did_history(self, did: str, *, min_block: int | None) -> DidHistory: ...

    def anchor(self, credential_hash: bytes, envelope: Envelope, department: bytes) -> AnchorInfo:
        """``department``'s record of the credential (records are per issuing department)."""

    def department_of(self, address: str) -> bytes: ...

    def is_accredited(self, department: bytes, type_id: bytes, at: int) -> bool: ...


class SourceUnavailableError(RegistryCoreError):
    """The chain (or the bundle) cannot answer a question verification needs."""
