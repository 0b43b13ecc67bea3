"""The checks, in order, against any :class:`~registry_core.verification.results.TrustSource`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from registry_core.codes import bytes32_to_code, code_to_bytes32
from registry_core.credential_types import CREDENTIAL_TYPES
from registry_core.did import DidError, DidResolution, parse_did
from registry_core.errors import RegistryCoreError
from registry_core.qr import PREFIX, QrPayloadError, decode_payload_parts
from registry_core.vc import (
    CredentialFormatError,
    DecodedJwt,
    Envelope,
    credential_hash,
    decode_jwt,
    decode_packed,
    parse_status_entry,
)
from registry_core.verification import messages, offline_messages
from registry_core.verification.results import (
    CHECK_NAMES,
    STATES,
    AnchorInfo,
    Check,
    Mode,
    Outcome,
    TrustSource,
    VerificationResult,
)

CLOCK_SKEW = 60  # seconds of tolerance for nbf/exp between issuer and verifier clocks


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
    issued_at: int  # iat if the credential has one, else nbf (the city's issuance sets nbf = now)


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
        return messages.format_malformed(exc.detail)
    except (ValueError, TypeError, AttributeError, UnicodeError):
        return messages.format_unreadable()
    if chain_id != source.chain_id or issuer_did.chain_id != source.chain_id:
        return messages.format_wrong_chain(chain_id)
    if registry.lower() != source.status_registry.lower():
        return messages.format_wrong_registry(registry)
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
        issued_at=max(nbf, iat) if isinstance(iat := payload.get("iat"), int) else nbf,
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
        summary["issuer_department"] = bytes32_to_code(anchor.department)
        summary["anchored_block"] = anchor.block
        summary["anchored_at"] = anchor.timestamp
        summary["state"] = STATES[anchor.state]
    return summary


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
        result.checks = [parsed, *(messages.skipped(n) for n in CHECK_NAMES[1:])]
        return result
    checks: dict[str, Check] = {"format": messages.format_ok()}
    anchor: AnchorInfo | None = None
    try:
        # Records are per issuing department: look the hash up under the issuer's department only,
        # so another department's record of the same hash never answers for this credential.
        department = source.department_of(parsed.issuer_address)
        anchor = source.anchor(parsed.credential_hash, parsed.envelope, department)
    except (RegistryCoreError, OSError) as exc:
        checks["anchored"] = messages.unavailable("anchored", exc, source.mode)
    _check_issuer_and_signature(parsed, source, anchor, checks)
    _check_anchor_status_accreditation(parsed, source, anchor, checks, current)
    if parsed.nbf > current + CLOCK_SKEW:
        checks["validity"] = messages.not_yet_valid()
    elif current >= parsed.exp + CLOCK_SKEW:
        checks["validity"] = messages.expired()
    else:
        checks["validity"] = messages.validity_ok()
    if presentation is None:
        checks["holder"] = messages.no_presentation()
    else:
        checks["holder"] = _check_holder(parsed, source, presentation, audience, nonce, current)
    result.checks = [checks.get(name) or messages.skipped(name) for name in CHECK_NAMES]
    result.outcome = _outcome(result.checks)
    result.valid = result.outcome == "valid"
    result.credential = _summary(parsed, anchor)
    return result


def _outcome(checks: list[Check]) -> Outcome:
    """Invalid if anything failed or could not be asked; unconfirmed if nothing failed but a check
    needs a newer bundle; valid if every check but the holder's passed (the holder's may be
    skipped: no presentation)."""
    statuses = [c.status for c in checks]
    if "failed" in statuses or "unavailable" in statuses:
        return "invalid"
    if "unconfirmed" in statuses:
        return "unconfirmed"
    if all(s == "passed" for s in statuses[:-1]) and statuses[-1] in ("passed", "skipped"):
        return "valid"
    return "invalid"


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
        checks["issuer"] = messages.unavailable("issuer", exc, source.mode)
        return
    if resolution.deactivated:
        checks["issuer"] = messages.issuer_deactivated()
        return
    checks["issuer"] = messages.issuer_ok(block)
    signer = parsed.jwt.signed_by(resolution.signers)
    if signer is None and resolution.public_keys:
        signer = next(
            (k for k in resolution.public_keys if parsed.jwt.signed_by_public_key(k)), None
        )
    checks["signature"] = messages.signature_bad() if signer is None else messages.signature_ok()


def _newer_than_source(parsed: _Parsed, source: TrustSource) -> bool:
    """Whether the credential may have been issued after the source's knowledge (offline: after
    the bundle's block, allowing for the time an issuance may take to be anchored)."""
    window = source.anchor_window
    _, known_at = source.knowledge()
    return window is not None and known_at is not None and parsed.issued_at > known_at - window


def _check_anchor_status_accreditation(
    parsed: _Parsed,
    source: TrustSource,
    anchor: AnchorInfo | None,
    checks: dict[str, Check],
    now: int,
) -> None:
    if "anchored" in checks:  # source unavailable
        return
    block, known_at = source.knowledge()
    age = None if known_at is None or source.mode == "online" else now - known_at
    if anchor is None or anchor.state == 0:
        if block is not None and age is not None and _newer_than_source(parsed, source):
            checks["anchored"] = offline_messages.newer_than_bundle(block, age)
            for name in ("accreditation", "status"):
                checks[name] = offline_messages.waiting_for_anchor(name)
        else:
            checks["anchored"] = messages.not_anchored()
        return
    try:
        department = source.department_of(parsed.issuer_address)
    except (RegistryCoreError, OSError) as exc:
        checks["anchored"] = messages.unavailable("anchored", exc, source.mode)
        return
    if department != anchor.department:
        checks["anchored"] = messages.issuer_mismatch()
        return
    dept = bytes32_to_code(anchor.department)
    checks["anchored"] = messages.anchored_ok(dept, anchor.block)
    spec = CREDENTIAL_TYPES.get(parsed.type_code)
    try:
        declared = code_to_bytes32(parsed.type_code)
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
        checks["accreditation"] = messages.unavailable("accreditation", exc, source.mode)
        accredited = None
    name_de = spec.name_de if spec else parsed.type_code
    name_en = spec.name_en if spec else parsed.type_code
    if accredited is False:
        checks["accreditation"] = messages.not_accredited(dept, name_de, name_en)
    elif accredited is True and not type_matches:
        checks["accreditation"] = messages.type_mismatch()
    elif accredited is True:
        checks["accreditation"] = messages.accredited_ok(dept, name_de, name_en)
    if anchor.state == 3:
        checks["status"] = messages.revoked(anchor.reason_code)
    elif anchor.state == 2:
        checks["status"] = messages.suspended(anchor.reason_code)
    elif block is None or age is None:
        checks["status"] = messages.status_ok()
    elif source.max_age is not None and age > source.max_age:
        checks["status"] = offline_messages.status_outdated(block, age, source.max_age)
    else:
        checks["status"] = offline_messages.status_ok_as_of(block, age)


def _check_holder(
    parsed: _Parsed,
    source: TrustSource,
    presentation: str,
    audience: str | None,
    nonce: str | None,
    now: int,
) -> Check:
    try:
        vp = decode_jwt(presentation)
    except CredentialFormatError as exc:
        return messages.bad_presentation(exc.detail)
    body = vp.payload
    inner = body.get("vp")
    credentials = inner.get("verifiableCredential") if isinstance(inner, dict) else None
    if not isinstance(credentials, list) or parsed.envelope.jwt not in [
        str(c).partition("~")[0] for c in credentials
    ]:
        return messages.not_presented()
    if body.get("iss") != parsed.subject:
        return messages.not_holder()
    if audience is not None and body.get("aud") != audience:
        return messages.wrong_audience()
    if nonce is not None and body.get("nonce") != nonce:
        return messages.wrong_nonce()
    exp, nbf = body.get("exp"), body.get("nbf", 0)
    if not isinstance(exp, int) or not isinstance(nbf, int) or not nbf - CLOCK_SKEW <= now < exp:
        return messages.presentation_expired()
    try:
        holder = _resolve(source, parsed.subject, None, now)
    except (RegistryCoreError, OSError) as exc:
        return messages.unavailable("holder", exc, source.mode)
    if vp.signed_by(holder.signers) is None:
        return messages.bad_holder_signature()
    return messages.holder_ok()


def unreadable(
    code: str, reason_de: str, reason_en: str, *, mode: Mode = "online"
) -> VerificationResult:
    """The verdict for input that never reached the credential parser (e.g. an image without a QR
    code): a failed ``format`` check and every other check skipped."""
    checks = [
        Check("format", "failed", code, reason_de, reason_en),
        *(messages.skipped(name) for name in CHECK_NAMES[1:]),
    ]
    return VerificationResult(False, checks, mode)
