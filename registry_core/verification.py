"""Verification of city credentials, check by check, online (the chain) or offline (a trust bundle).

Each check has a status (``passed``, ``failed``, ``skipped``, ``unavailable``) and a plain-language
reason in German and English:

=================  ==========================================================================
``format``         the QR payload / envelope / VC-JWT is well formed and names our chain
``issuer``         the issuer's did:ethr resolves (as of the issuance block) and is not deactivated
``signature``      the issuer's DID document (as of issuance) lists the key that signed
``anchored``       the credential hash (keccak256 of the JWT) is anchored by the issuer's department
``accreditation``  that department was accredited for the credential's type when it was anchored
``status``         not revoked, not suspended
``validity``       ``nbf`` ≤ now < ``exp``
``holder``         (with a presentation) signed by the holder, for this audience and challenge
=================  ==========================================================================

:func:`verify` never raises for bad input: anything unparseable is a failed ``format`` check.
A source that cannot answer (chain down) yields ``unavailable`` checks and an invalid verdict.

Online, :class:`ChainSource` reads the chain with batched JSON-RPC calls and keeps warm caches:
DID histories (reused for any block they cover), accreditations at past times (they never change:
the registry cannot end an accreditation in the past), department of an account (60 s) and
credential status (``status_ttl``, 2 s by default: a revocation shows within that time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from eth_utils.address import to_checksum_address

from registry_core.credential_types import CREDENTIAL_TYPES, type_code, type_id
from registry_core.did import DidError, DidHistory, DidResolution, EthrDidResolver, parse_did
from registry_core.errors import RegistryCoreError
from registry_core.manifest import DeploymentManifest
from registry_core.qr import PREFIX, QrPayloadError, decode_payload_parts
from registry_core.rpc import RpcClient
from registry_core.vc import (
    CredentialFormatError,
    DecodedJwt,
    Envelope,
    credential_hash,
    decode_jwt,
    decode_packed,
    parse_status_entry,
)

CheckStatus = Literal["passed", "failed", "skipped", "unavailable"]
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
CLOCK_SKEW = 60  # seconds of tolerance for nbf/exp between issuer and verifier clocks
REASON_CODES = {
    0: ("nicht angegeben", "unspecified"),
    1: ("Schlüssel kompromittiert", "key compromise"),
    3: ("Zugehörigkeit geändert", "affiliation changed"),
    4: ("ersetzt", "superseded"),
    5: ("Tätigkeit eingestellt", "cessation of operation"),
    6: ("vorläufig gesperrt", "certificate hold"),
    8: ("Sperre aufgehoben", "removed from hold"),
    9: ("Berechtigung entzogen", "privilege withdrawn"),
}


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


@dataclass
class VerificationResult:
    valid: bool
    checks: list[Check]
    mode: Literal["online", "offline"]
    knowledge_block: int | None = None  # the chain block the answer is based on
    knowledge_time: int | None = None  # unix time of that knowledge (offline: the bundle's)
    credential: dict[str, Any] = field(default_factory=dict)  # non-sensitive fields only

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
    def mode(self) -> Literal["online", "offline"]: ...

    @property
    def chain_id(self) -> int: ...

    @property
    def status_registry(self) -> str: ...

    def knowledge(self) -> tuple[int | None, int | None]: ...

    def did_history(self, did: str, *, min_block: int | None) -> DidHistory: ...

    def anchor(self, credential_hash: bytes, envelope: Envelope) -> AnchorInfo: ...

    def department_of(self, address: str) -> bytes: ...

    def is_accredited(self, department: bytes, type_id: bytes, at: int) -> bool: ...


class SourceUnavailableError(RegistryCoreError):
    """The chain (or the bundle) cannot answer a question verification needs."""


_check = Check  # (name, status, code, reason_de, reason_en); an alias, not a wrapper: hot path


def _skipped(name: str) -> Check:
    return _check(
        name,
        "skipped",
        "not-checked",
        "Nicht geprüft, weil eine vorherige Prüfung fehlschlug.",
        "Not checked because an earlier check failed.",
    )


@dataclass(slots=True)
class _Parsed:
    envelope: Envelope
    jwt: DecodedJwt
    credential_hash: bytes
    issuer: str
    issuer_address: str
    subject: str
    type_code: str
    vc_types: list[str]
    nbf: int
    exp: int


def _parse(text: str, source: TrustSource) -> _Parsed | Check:
    try:
        raw = text.strip() if isinstance(text, str) else text
        packed = decode_payload_parts(raw) if raw.startswith(PREFIX) else raw
        if isinstance(packed, str):
            envelope = Envelope.parse(packed)
            jwt = decode_jwt(envelope.jwt)
        else:  # the usual QR payload: skip re-encoding and decoding base64url
            envelope, jwt = decode_packed(*packed)
        payload = jwt.payload
        vc = payload.get("vc")
        if not isinstance(vc, dict):
            raise CredentialFormatError(
                "the JWT has no 'vc' claim: it is not a verifiable credential"
            )
        types = vc.get("type")
        if not isinstance(types, list) or "VerifiableCredential" not in types:
            raise CredentialFormatError("vc.type must list VerifiableCredential")
        chain_id, registry, code = parse_status_entry(vc.get("credentialStatus"))
        issuer_did = parse_did(str(payload.get("iss", "")))
        subject = str(payload.get("sub", ""))
        parse_did(subject)
        nbf, exp = payload.get("nbf"), payload.get("exp")
        if not isinstance(nbf, int) or not isinstance(exp, int):
            raise CredentialFormatError("nbf and exp must be integers (seconds)")
    except (QrPayloadError, CredentialFormatError, DidError) as exc:
        return _check(
            "format",
            "failed",
            "malformed",
            "Dies ist kein gültiger Nachweis der Stadt (Format unlesbar).",
            f"This is not a valid city credential: {exc.detail}",
        )
    except (ValueError, TypeError, AttributeError, UnicodeError):
        return _check(
            "format",
            "failed",
            "malformed",
            "Dies ist kein gültiger Nachweis der Stadt (Format unlesbar).",
            "This is not a valid city credential: the data cannot be read.",
        )
    if chain_id != source.chain_id or issuer_did.chain_id != source.chain_id:
        return _check(
            "format",
            "failed",
            "wrong-chain",
            f"Der Nachweis gehört zu einem anderen Netz (Chain {chain_id}).",
            f"The credential belongs to another network (chain {chain_id}).",
        )
    if registry.lower() != source.status_registry.lower():
        return _check(
            "format",
            "failed",
            "wrong-registry",
            "Der Nachweis verweist auf ein unbekanntes Statusregister.",
            f"The credential points at an unknown status registry {registry:.42}.",
        )
    return _Parsed(
        envelope=envelope,
        jwt=jwt,
        credential_hash=credential_hash(envelope.jwt),
        issuer=str(issuer_did),
        issuer_address=issuer_did.address,
        subject=subject,
        type_code=code,
        vc_types=[str(t) for t in types],
        nbf=nbf,
        exp=exp,
    )


def _summary(parsed: _Parsed, anchor: AnchorInfo | None) -> dict[str, Any]:
    spec = CREDENTIAL_TYPES.get(parsed.type_code)
    summary: dict[str, Any] = {
        "type": parsed.type_code,
        "type_name_de": spec.name_de if spec else None,
        "type_name_en": spec.name_en if spec else None,
        "issuer": parsed.issuer,
        "holder": parsed.subject,
        "valid_from": parsed.nbf,
        "valid_until": parsed.exp,
        "credential_hash": "0x" + parsed.credential_hash.hex(),
        "batch": parsed.envelope.batch is not None,
    }
    if anchor is not None and anchor.state:
        summary["issuer_department"] = type_code(anchor.department)
        summary["anchored_block"] = anchor.block
        summary["anchored_at"] = anchor.timestamp
        summary["state"] = STATES[anchor.state]
    return summary


def _unavailable(name: str, exc: Exception, mode: str) -> Check:
    what = "die Blockchain" if mode == "online" else "das Vertrauenspaket"
    what_en = "the chain" if mode == "online" else "the trust bundle"
    detail = exc.detail if isinstance(exc, RegistryCoreError) else type(exc).__name__
    return _check(
        name,
        "unavailable",
        "source-unavailable",
        f"Konnte nicht geprüft werden: {what} ist nicht erreichbar.",
        f"Could not be checked: {what_en} cannot be reached ({detail:.120}).",
    )


def verify(
    text: str,
    source: TrustSource,
    *,
    now: int | None = None,
    presentation: str | None = None,
    audience: str | None = None,
    nonce: str | None = None,
) -> VerificationResult:
    """Verify a QR payload (``CRV1:…``), an envelope or a bare VC-JWT; never raises for bad input.

    With ``presentation`` (a VP-JWT), the holder check demands that it contains this credential,
    is signed by the credential's holder and carries ``audience`` and ``nonce``.
    """
    current = int(time.time()) if now is None else now
    parsed = _parse(text, source)
    if not isinstance(parsed, Check):
        warm = getattr(source, "warm", None)
        if warm is not None:
            # try/except, not contextlib.suppress: no context manager object per verification
            try:  # noqa: SIM105
                warm(parsed.credential_hash, parsed.envelope, parsed.issuer)
            except (RegistryCoreError, OSError):
                pass  # the checks below ask again and report the source as unavailable
    block, known_at = source.knowledge()
    result = VerificationResult(False, [], source.mode, block, known_at)
    if isinstance(parsed, Check):
        result.checks = [parsed, *(_skipped(n) for n in CHECK_NAMES[1:])]
        return result
    checks: dict[str, Check] = {
        "format": _check("format", "passed", "ok", "Format ist gültig.", "The format is valid.")
    }
    anchor: AnchorInfo | None = None
    try:
        anchor = source.anchor(parsed.credential_hash, parsed.envelope)
    except (RegistryCoreError, OSError) as exc:
        checks["anchored"] = _unavailable("anchored", exc, source.mode)
    _check_issuer_and_signature(parsed, source, anchor, checks)
    _check_anchor_status_accreditation(parsed, source, anchor, checks)
    nbf_ok = parsed.nbf <= current + CLOCK_SKEW
    exp_ok = current < parsed.exp + CLOCK_SKEW
    if not nbf_ok:
        checks["validity"] = _check(
            "validity",
            "failed",
            "not-yet-valid",
            "Der Nachweis ist noch nicht gültig.",
            "The credential is not valid yet.",
        )
    elif not exp_ok:
        checks["validity"] = _check(
            "validity",
            "failed",
            "expired",
            "Der Nachweis ist abgelaufen.",
            "The credential has expired.",
        )
    else:
        checks["validity"] = _check(
            "validity",
            "passed",
            "ok",
            "Der Nachweis ist zeitlich gültig.",
            "The credential is within its validity period.",
        )
    if presentation is None:
        checks["holder"] = _check(
            "holder",
            "skipped",
            "no-presentation",
            "Keine Präsentation vorgelegt: die Inhaberschaft wurde nicht geprüft.",
            "No presentation given: holder binding was not checked.",
        )
    else:
        checks["holder"] = _check_holder(parsed, source, presentation, audience, nonce, current)
    result.checks = [checks.get(name) or _skipped(name) for name in CHECK_NAMES]
    # Every check but the holder's must have passed; the holder's may be skipped (no presentation).
    result.valid = all(
        name in checks and checks[name].status == "passed" for name in CHECK_NAMES[:-1]
    ) and result.checks[-1].status in ("passed", "skipped")
    result.credential = _summary(parsed, anchor)
    return result


def _resolve(
    source: TrustSource, did: str, block: int | None, timestamp: int | None
) -> DidResolution:
    history = source.did_history(did, min_block=block)
    return history.document(block=block, timestamp=timestamp)


def _check_issuer_and_signature(
    parsed: _Parsed, source: TrustSource, anchor: AnchorInfo | None, checks: dict[str, Check]
) -> None:
    anchored = anchor is not None and anchor.state != 0
    block = anchor.block if anchor is not None and anchored else None
    timestamp = anchor.timestamp if anchor is not None and anchored else None
    try:
        resolution = _resolve(source, parsed.issuer, block, timestamp)
    except (RegistryCoreError, OSError) as exc:
        checks["issuer"] = _unavailable("issuer", exc, source.mode)
        return
    if resolution.deactivated:
        checks["issuer"] = _check(
            "issuer",
            "failed",
            "issuer-deactivated",
            "Die Identität (DID) des Ausstellers ist deaktiviert.",
            "The issuer's identity (DID) is deactivated.",
        )
        return
    when_de = f" (Stand Block {block})" if block is not None else ""
    when_en = f" (as of block {block})" if block is not None else ""
    checks["issuer"] = _check(
        "issuer",
        "passed",
        "ok",
        f"Die Identität des Ausstellers wurde aufgelöst{when_de}.",
        f"The issuer's identity was resolved{when_en}.",
    )
    signer = parsed.jwt.signed_by(resolution.signers)
    if signer is None and resolution.public_keys:
        signer = next(
            (k for k in resolution.public_keys if parsed.jwt.signed_by_public_key(k)), None
        )
    if signer is None:
        checks["signature"] = _check(
            "signature",
            "failed",
            "bad-signature",
            "Die Unterschrift ist ungültig oder stammt nicht von einem Schlüssel des Ausstellers.",
            "The signature is invalid or was not made by a key of the issuer.",
        )
    else:
        checks["signature"] = _check(
            "signature",
            "passed",
            "ok",
            "Die Unterschrift des Ausstellers ist echt.",
            "The issuer's signature is genuine.",
        )


def _check_anchor_status_accreditation(
    parsed: _Parsed, source: TrustSource, anchor: AnchorInfo | None, checks: dict[str, Check]
) -> None:
    if "anchored" in checks:  # source unavailable
        return
    if anchor is None or anchor.state == 0:
        checks["anchored"] = _check(
            "anchored",
            "failed",
            "not-anchored",
            "Der Nachweis ist im Register der Stadt nicht verzeichnet (unbekannt oder verändert).",
            "The credential is not recorded in the city's registry (unknown or altered).",
        )
        return
    try:
        department = source.department_of(parsed.issuer_address)
    except (RegistryCoreError, OSError) as exc:
        checks["anchored"] = _unavailable("anchored", exc, source.mode)
        return
    if department != anchor.department:
        checks["anchored"] = _check(
            "anchored",
            "failed",
            "issuer-mismatch",
            "Der Nachweis wurde von einer anderen Dienststelle verzeichnet als vom Aussteller.",
            "The credential was recorded by another department than its issuer.",
        )
        return
    dept = type_code(anchor.department)
    checks["anchored"] = _check(
        "anchored",
        "passed",
        "ok",
        f"Von {dept} in Block {anchor.block} verzeichnet.",
        f"Recorded by {dept} in block {anchor.block}.",
    )
    spec = CREDENTIAL_TYPES.get(parsed.type_code)
    try:
        declared = type_id(parsed.type_code)
    except ValueError:
        declared = b""
    declared_ok = len(declared) == 32 and (spec is None or spec.vc_type in parsed.vc_types)
    type_matches = declared_ok and declared == anchor.type_id
    try:
        # Judge the type the credential *claims*: a department anchoring a credential under a type
        # it may issue does not make it entitled to the type written in the credential.
        accredited = declared_ok and source.is_accredited(
            anchor.department, declared, anchor.timestamp
        )
    except (RegistryCoreError, OSError) as exc:
        checks["accreditation"] = _unavailable("accreditation", exc, source.mode)
        accredited = None
    name_de = spec.name_de if spec else parsed.type_code
    name_en = spec.name_en if spec else parsed.type_code
    if accredited is False:
        checks["accreditation"] = _check(
            "accreditation",
            "failed",
            "not-accredited",
            f"{dept} war bei Ausstellung nicht berechtigt, „{name_de}“ auszustellen.",
            f"{dept} was not entitled to issue '{name_en}' when it was issued.",
        )
    elif accredited is True and not type_matches:
        checks["accreditation"] = _check(
            "accreditation",
            "failed",
            "type-mismatch",
            "Die Art des Nachweises stimmt nicht mit dem Register überein.",
            "The credential's type does not match the registry.",
        )
    elif accredited is True:
        checks["accreditation"] = _check(
            "accreditation",
            "passed",
            "ok",
            f"{dept} war bei Ausstellung berechtigt, „{name_de}“ auszustellen.",
            f"{dept} was entitled to issue '{name_en}' when it was issued.",
        )
    reason_de, reason_en = REASON_CODES.get(
        anchor.reason_code, ("Grund unbekannt", "unknown reason")
    )
    if anchor.state == 3:
        checks["status"] = _check(
            "status",
            "failed",
            "revoked",
            f"Der Nachweis wurde widerrufen ({reason_de}).",
            f"The credential has been revoked ({reason_en}).",
        )
    elif anchor.state == 2:
        checks["status"] = _check(
            "status",
            "failed",
            "suspended",
            f"Der Nachweis ist vorläufig gesperrt ({reason_de}).",
            f"The credential is suspended ({reason_en}).",
        )
    else:
        checks["status"] = _check(
            "status",
            "passed",
            "ok",
            "Der Nachweis ist nicht widerrufen und nicht gesperrt.",
            "The credential is neither revoked nor suspended.",
        )


def _check_holder(
    parsed: _Parsed,
    source: TrustSource,
    presentation: str,
    audience: str | None,
    nonce: str | None,
    now: int,
) -> Check:
    def fail(code: str, de: str, en: str) -> Check:
        return _check("holder", "failed", code, de, en)

    try:
        vp = decode_jwt(presentation)
    except CredentialFormatError as exc:
        return fail(
            "bad-presentation",
            "Die Präsentation ist unlesbar.",
            f"The presentation is unreadable: {exc.detail}",
        )
    body = vp.payload
    inner = body.get("vp")
    credentials = inner.get("verifiableCredential") if isinstance(inner, dict) else None
    if not isinstance(credentials, list) or parsed.envelope.jwt not in [
        str(c).partition("~")[0] for c in credentials
    ]:
        return fail(
            "not-presented",
            "Die Präsentation enthält diesen Nachweis nicht.",
            "The presentation does not contain this credential.",
        )
    if body.get("iss") != parsed.subject:
        return fail(
            "not-holder",
            "Die Präsentation stammt nicht vom Inhaber des Nachweises.",
            "The presentation was not made by the credential's holder.",
        )
    if audience is not None and body.get("aud") != audience:
        return fail(
            "wrong-audience",
            "Die Präsentation ist für einen anderen Empfänger bestimmt.",
            "The presentation is meant for another verifier.",
        )
    if nonce is not None and body.get("nonce") != nonce:
        return fail(
            "wrong-nonce",
            "Die Präsentation beantwortet nicht diese Anfrage (Challenge).",
            "The presentation does not answer this challenge (nonce).",
        )
    exp, nbf = body.get("exp"), body.get("nbf", 0)
    if not isinstance(exp, int) or not isinstance(nbf, int) or not nbf - CLOCK_SKEW <= now < exp:
        return fail(
            "presentation-expired",
            "Die Präsentation ist abgelaufen.",
            "The presentation has expired.",
        )
    try:
        holder = _resolve(source, parsed.subject, None, now)
    except (RegistryCoreError, OSError) as exc:
        return _unavailable("holder", exc, source.mode)
    if vp.signed_by(holder.signers) is None:
        return fail(
            "bad-holder-signature",
            "Die Unterschrift des Inhabers ist ungültig.",
            "The holder's signature is invalid.",
        )
    return _check(
        "holder",
        "passed",
        "ok",
        "Der Inhaber hat den Nachweis selbst vorgelegt.",
        "The holder presented the credential personally.",
    )


_MISSING: Any = object()


class _TtlCache:
    def __init__(self, ttl: float, size: int = 65536) -> None:
        self.ttl = ttl
        self.size = size
        self._items: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def peek(self, key: Any, now: float | None = None) -> Any:
        """The cached value if fresh, else ``_MISSING``."""
        item = self._items.get(key)
        if item is None:
            return _MISSING
        if self.ttl >= 0 and (time.monotonic() if now is None else now) - item[0] >= self.ttl:
            return _MISSING
        return item[1]

    def fresh(self, key: Any, now: float | None = None) -> bool:
        return self.peek(key, now) is not _MISSING

    def put(self, key: Any, value: Any, at: float | None = None) -> None:
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[key] = (time.monotonic() if at is None else at, value)

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        value = self.peek(key, now)
        if value is _MISSING:
            value = load()
            self.put(key, value, now)
        return value


class ChainSource:
    """Online answers from the chain via the deployment manifest, with warm caches."""

    mode: Literal["online", "offline"] = "online"

    def __init__(
        self,
        *,
        rpc: RpcClient,
        manifest: DeploymentManifest,
        status_ttl: float = 2.0,
        did_ttl: float = 5.0,
    ) -> None:
        self.rpc = rpc
        self.manifest = manifest
        self.chain_id = manifest.chain_id
        self.status = manifest.contract("CredentialStatusRegistry")
        self.status_registry = self.status.address
        self.issuers = manifest.contract("TrustedIssuerRegistry")
        self.directory = manifest.contract("DepartmentDirectory")
        did_registry = manifest.contract("EthereumDIDRegistry")
        self.resolver = EthrDidResolver(
            rpc=rpc,
            registry=did_registry.address,
            abi=did_registry.abi,
            chain_id=self.chain_id,
            from_block=did_registry.deploy_block,
            ttl=did_ttl,
        )
        self._status = _TtlCache(status_ttl)
        self._departments = _TtlCache(60.0)
        self._accreditations = _TtlCache(-1)  # past answers never change
        self._recent_accreditations = _TtlCache(status_ttl)
        self._head = _TtlCache(status_ttl)

    def knowledge(self) -> tuple[int | None, int | None]:
        block = self._head.peek("head")
        if block is not _MISSING:
            return int(block), int(time.time())
        try:
            block = self._head.get("head", self.rpc.block_number)
        except RegistryCoreError:
            return None, None
        return int(block), int(time.time())

    def did_history(self, did: str, *, min_block: int | None) -> DidHistory:
        return self.resolver.history(did, min_block=min_block)

    def _call(self, contract: Any, function: str, *args: Any) -> Any:
        data = contract.interface.encode_call(function, *args)
        return contract.interface.decode_output(function, self.rpc.call(contract.address, data))

    def _status_call(self, credential_hash: bytes, envelope: Envelope) -> tuple[str, bytes]:
        batch = envelope.batch
        if batch is None:
            return "status", self.status.interface.encode_call("status", credential_hash)
        data = self.status.interface.encode_call(
            "statusInBatch", batch.root, list(batch.proof), credential_hash
        )
        return "statusInBatch", data

    @staticmethod
    def _anchor_info(values: Any) -> AnchorInfo:
        state, department, type_id_, block, at, reason, changed = values
        return AnchorInfo(
            int(state),
            bytes(department),
            bytes(type_id_),
            int(block),
            int(at),
            int(reason),
            int(changed),
        )

    def warm(self, credential_hash: bytes, envelope: Envelope, issuer_did: str) -> None:
        """Fill whatever is cold (head block, status, issuer's department, issuer's DID history)
        with one batched JSON-RPC round trip; verification then reads the caches."""
        issuer = parse_did(issuer_did)
        calls: list[tuple[str, list[Any]]] = []
        fills: list[Callable[[Any], None]] = []
        now = time.monotonic()
        if not self._head.fresh("head", now):
            calls.append(("eth_blockNumber", []))
            fills.append(lambda reply: self._head.put("head", int(reply, 16)))
        status_key = (credential_hash, envelope.batch)
        if not self._status.fresh(status_key, now):
            function, data = self._status_call(credential_hash, envelope)
            calls.append(
                ("eth_call", [{"to": self.status.address, "data": "0x" + data.hex()}, "latest"])
            )
            fills.append(
                lambda reply: self._status.put(
                    status_key,
                    self._anchor_info(
                        self.status.interface.decode_output(function, bytes.fromhex(reply[2:]))
                    ),
                )
            )
        address = issuer.address.lower()
        if not self._departments.fresh(address, now):
            data = self.directory.interface.encode_call("departmentOf", issuer.address)
            calls.append(
                ("eth_call", [{"to": self.directory.address, "data": "0x" + data.hex()}, "latest"])
            )
            fills.append(
                lambda reply: self._departments.put(
                    address,
                    bytes(
                        self.directory.interface.decode_output(
                            "departmentOf", bytes.fromhex(reply[2:])
                        )
                    ),
                )
            )
        if not calls:
            return
        for reply, fill in zip(self.rpc.batch(calls), fills, strict=True):
            if not isinstance(reply, Exception):
                fill(reply)

    def anchor(self, credential_hash: bytes, envelope: Envelope) -> AnchorInfo:
        batch = envelope.batch
        key = (credential_hash, batch)
        cached: AnchorInfo = self._status.peek(key)
        if cached is not _MISSING:
            return cached

        def load() -> AnchorInfo:
            function, data = self._status_call(credential_hash, envelope)
            reply = self.rpc.call(self.status.address, data)
            return self._anchor_info(self.status.interface.decode_output(function, reply))

        result: AnchorInfo = self._status.get(key, load)
        return result

    def department_of(self, address: str) -> bytes:
        key = address.lower()
        cached: bytes = self._departments.peek(key)
        if cached is not _MISSING:
            return cached
        result: bytes = self._departments.get(
            key,
            lambda: bytes(self._call(self.directory, "departmentOf", to_checksum_address(address))),
        )
        return result

    def is_accredited(self, department: bytes, type_id: bytes, at: int) -> bool:
        key = (department, type_id, at)
        cached = self._accreditations.peek(key)
        if cached is not _MISSING:  # a final answer (for a time before the current block)
            return bool(cached)

        def load() -> bool:
            return bool(self._call(self.issuers, "isAccredited", department, type_id, at))

        if at >= time.time() - 5:
            # Accreditations never start or end in the past, so the answer for a time before the
            # current block is final; for "now" it could still change: cache it like a status.
            return bool(self._recent_accreditations.get(key, load))
        return bool(self._accreditations.get(key, load))


def unreadable(
    code: str, reason_de: str, reason_en: str, *, mode: Literal["online", "offline"] = "online"
) -> VerificationResult:
    """The verdict for input that never reached the credential parser (e.g. an image without a QR
    code): a failed ``format`` check and every other check skipped."""
    checks = [
        _check("format", "failed", code, reason_de, reason_en),
        *(_skipped(name) for name in CHECK_NAMES[1:]),
    ]
    return VerificationResult(False, checks, mode)
