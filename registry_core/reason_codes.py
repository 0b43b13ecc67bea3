"""Why a credential's status changed: RFC 5280 CRLReason codes, named in German and English.

``CredentialStatusRegistry`` accepts ``0..MAX_REASON_CODE`` except 7, which RFC 5280 leaves
unused (its ``MAX_REASON_CODE`` constant and ``CredentialStatusInvalidReason`` error); the API
refuses any other value before anything is sent, and verifiers name the reason of a revocation or
suspension from the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_REASON_CODE = 10
UNUSED_REASON_CODE = 7


@dataclass(frozen=True, slots=True)
class ReasonCode:
    code: int
    name: str  # RFC 5280's ASN.1 name
    name_de: str
    name_en: str


REASON_CODES: dict[int, ReasonCode] = {
    reason.code: reason
    for reason in (
        ReasonCode(0, "unspecified", "nicht angegeben", "unspecified"),
        ReasonCode(1, "keyCompromise", "Schlüssel kompromittiert", "key compromise"),
        ReasonCode(
            2,
            "cACompromise",
            "Zertifizierungsstelle kompromittiert",
            "certification authority compromise",
        ),
        ReasonCode(3, "affiliationChanged", "Zugehörigkeit geändert", "affiliation changed"),
        ReasonCode(4, "superseded", "ersetzt", "superseded"),
        ReasonCode(5, "cessationOfOperation", "Tätigkeit eingestellt", "cessation of operation"),
        ReasonCode(6, "certificateHold", "vorläufig gesperrt", "certificate hold"),
        ReasonCode(8, "removeFromCRL", "Sperre aufgehoben", "removed from hold"),
        ReasonCode(9, "privilegeWithdrawn", "Berechtigung entzogen", "privilege withdrawn"),
        ReasonCode(
            10, "aACompromise", "Attributstelle kompromittiert", "attribute authority compromise"
        ),
    )
}
assert max(REASON_CODES) == MAX_REASON_CODE and UNUSED_REASON_CODE not in REASON_CODES

UNKNOWN_REASON = ("Grund unbekannt", "unknown reason")


def is_reason_code(code: int) -> bool:
    """Whether the chain accepts ``code`` as a status change's reason."""
    return code in REASON_CODES


def reason_names(code: int) -> tuple[str, str]:
    """German and English name of ``code`` (a placeholder for a code the table does not know)."""
    reason = REASON_CODES.get(code)
    return (reason.name_de, reason.name_en) if reason is not None else UNKNOWN_REASON


def describe_reason_codes() -> str:
    """One line for documentation: ``RFC 5280 CRLReason: 0 unspecified, 1 keyCompromise, …``."""
    listed = ", ".join(f"{r.code} {r.name}" for r in REASON_CODES.values())
    return f"RFC 5280 CRLReason: {listed} ({UNUSED_REASON_CODE} is unused and refused)"
