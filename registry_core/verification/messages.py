"""Every check's outcome with its plain-language reason in German and English.

One function per outcome (check name + code), so that the wording lives in one place and the
checks read as decisions. Reasons of a revocation or suspension come from
:mod:`registry_core.reason_codes`, the table the chain's range is checked against.
"""

from __future__ import annotations

from registry_core.errors import RegistryCoreError
from registry_core.reason_codes import reason_names
from registry_core.verification.results import Check, Mode

_check = Check  # (name, status, code, reason_de, reason_en); an alias, not a wrapper: hot path

_NOT_OURS_DE = "Dies ist kein gültiger Nachweis der Stadt (Format unlesbar)."


def skipped(name: str) -> Check:
    return _check(
        name,
        "skipped",
        "not-checked",
        "Nicht geprüft, weil eine vorherige Prüfung fehlschlug.",
        "Not checked because an earlier check failed.",
    )


def unavailable(name: str, exc: Exception, mode: Mode) -> Check:
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


# ---- format ------------------------------------------------------------------------------------


def format_ok() -> Check:
    return _check("format", "passed", "ok", "Format ist gültig.", "The format is valid.")


def format_malformed(detail: str) -> Check:
    return _check(
        "format",
        "failed",
        "malformed",
        _NOT_OURS_DE,
        f"This is not a valid city credential: {detail}",
    )


def format_unreadable() -> Check:
    return _check(
        "format",
        "failed",
        "malformed",
        _NOT_OURS_DE,
        "This is not a valid city credential: the data cannot be read.",
    )


def format_wrong_chain(chain_id: int) -> Check:
    return _check(
        "format",
        "failed",
        "wrong-chain",
        f"Der Nachweis gehört zu einem anderen Netz (Chain {chain_id}).",
        f"The credential belongs to another network (chain {chain_id}).",
    )


def format_wrong_registry(registry: str) -> Check:
    return _check(
        "format",
        "failed",
        "wrong-registry",
        "Der Nachweis verweist auf ein unbekanntes Statusregister.",
        f"The credential points at an unknown status registry {registry:.42}.",
    )


# ---- issuer and signature ----------------------------------------------------------------------


def issuer_deactivated() -> Check:
    return _check(
        "issuer",
        "failed",
        "issuer-deactivated",
        "Die Identität (DID) des Ausstellers ist deaktiviert.",
        "The issuer's identity (DID) is deactivated.",
    )


def issuer_ok(block: int | None) -> Check:
    when_de = f" (Stand Block {block})" if block is not None else ""
    when_en = f" (as of block {block})" if block is not None else ""
    return _check(
        "issuer",
        "passed",
        "ok",
        f"Die Identität des Ausstellers wurde aufgelöst{when_de}.",
        f"The issuer's identity was resolved{when_en}.",
    )


def signature_bad() -> Check:
    return _check(
        "signature",
        "failed",
        "bad-signature",
        "Die Unterschrift ist ungültig oder stammt nicht von einem Schlüssel des Ausstellers.",
        "The signature is invalid or was not made by a key of the issuer.",
    )


def signature_ok() -> Check:
    return _check(
        "signature",
        "passed",
        "ok",
        "Die Unterschrift des Ausstellers ist echt.",
        "The issuer's signature is genuine.",
    )


# ---- anchor, accreditation, status -------------------------------------------------------------


def not_anchored() -> Check:
    return _check(
        "anchored",
        "failed",
        "not-anchored",
        "Der Nachweis ist im Register der Stadt nicht verzeichnet (unbekannt oder verändert).",
        "The credential is not recorded in the city's registry (unknown or altered).",
    )


def issuer_mismatch() -> Check:
    return _check(
        "anchored",
        "failed",
        "issuer-mismatch",
        "Der Nachweis wurde von einer anderen Dienststelle verzeichnet als vom Aussteller.",
        "The credential was recorded by another department than its issuer.",
    )


def anchored_ok(department: str, block: int) -> Check:
    return _check(
        "anchored",
        "passed",
        "ok",
        f"Von {department} in Block {block} verzeichnet.",
        f"Recorded by {department} in block {block}.",
    )


def not_accredited(department: str, type_de: str, type_en: str) -> Check:
    return _check(
        "accreditation",
        "failed",
        "not-accredited",
        f"{department} war bei Ausstellung nicht berechtigt, „{type_de}“ auszustellen.",
        f"{department} was not entitled to issue '{type_en}' when it was issued.",
    )


def type_mismatch() -> Check:
    return _check(
        "accreditation",
        "failed",
        "type-mismatch",
        "Die Art des Nachweises stimmt nicht mit dem Register überein.",
        "The credential's type does not match the registry.",
    )


def accredited_ok(department: str, type_de: str, type_en: str) -> Check:
    return _check(
        "accreditation",
        "passed",
        "ok",
        f"{department} war bei Ausstellung berechtigt, „{type_de}“ auszustellen.",
        f"{department} was entitled to issue '{type_en}' when it was issued.",
    )


def revoked(reason_code: int) -> Check:
    reason_de, reason_en = reason_names(reason_code)
    return _check(
        "status",
        "failed",
        "revoked",
        f"Der Nachweis wurde widerrufen ({reason_de}).",
        f"The credential has been revoked ({reason_en}).",
    )


def suspended(reason_code: int) -> Check:
    reason_de, reason_en = reason_names(reason_code)
    return _check(
        "status",
        "failed",
        "suspended",
        f"Der Nachweis ist vorläufig gesperrt ({reason_de}).",
        f"The credential is suspended ({reason_en}).",
    )


def status_ok() -> Check:
    return _check(
        "status",
        "passed",
        "ok",
        "Der Nachweis ist nicht widerrufen und nicht gesperrt.",
        "The credential is neither revoked nor suspended.",
    )


# ---- validity period ---------------------------------------------------------------------------


def not_yet_valid() -> Check:
    return _check(
        "validity",
        "failed",
        "not-yet-valid",
        "Der Nachweis ist noch nicht gültig.",
        "The credential is not valid yet.",
    )


def expired() -> Check:
    return _check(
        "validity",
        "failed",
        "expired",
        "Der Nachweis ist abgelaufen.",
        "The credential has expired.",
    )


def validity_ok() -> Check:
    return _check(
        "validity",
        "passed",
        "ok",
        "Der Nachweis ist zeitlich gültig.",
        "The credential is within its validity period.",
    )


# ---- holder (presentation) ---------------------------------------------------------------------


def no_presentation() -> Check:
    return _check(
        "holder",
        "skipped",
        "no-presentation",
        "Keine Präsentation vorgelegt: die Inhaberschaft wurde nicht geprüft.",
        "No presentation given: holder binding was not checked.",
    )


def _holder_failed(code: str, reason_de: str, reason_en: str) -> Check:
    return _check("holder", "failed", code, reason_de, reason_en)


def bad_presentation(detail: str) -> Check:
    return _holder_failed(
        "bad-presentation",
        "Die Präsentation ist unlesbar.",
        f"The presentation is unreadable: {detail}",
    )


def not_presented() -> Check:
    return _holder_failed(
        "not-presented",
        "Die Präsentation enthält diesen Nachweis nicht.",
        "The presentation does not contain this credential.",
    )


def not_holder() -> Check:
    return _holder_failed(
        "not-holder",
        "Die Präsentation stammt nicht vom Inhaber des Nachweises.",
        "The presentation was not made by the credential's holder.",
    )


def wrong_audience() -> Check:
    return _holder_failed(
        "wrong-audience",
        "Die Präsentation ist für einen anderen Empfänger bestimmt.",
        "The presentation is meant for another verifier.",
    )


def wrong_nonce() -> Check:
    return _holder_failed(
        "wrong-nonce",
        "Die Präsentation beantwortet nicht diese Anfrage (Challenge).",
        "The presentation does not answer this challenge (nonce).",
    )


def presentation_expired() -> Check:
    return _holder_failed(
        "presentation-expired",
        "Die Präsentation ist abgelaufen.",
        "The presentation has expired.",
    )


def bad_holder_signature() -> Check:
    return _holder_failed(
        "bad-holder-signature",
        "Die Unterschrift des Inhabers ist ungültig.",
        "The holder's signature is invalid.",
    )


def holder_ok() -> Check:
    return _check(
        "holder",
        "passed",
        "ok",
        "Der Inhaber hat den Nachweis selbst vorgelegt.",
        "The holder presented the credential personally.",
    )
