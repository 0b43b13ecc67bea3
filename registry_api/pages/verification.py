"""The public verification page (German/English) at ``GET /verify``.

Three ways in: paste a payload, upload a photo/screenshot (decoded on the server with zxing-cpp),
or scan with the device camera (the browser's BarcodeDetector where available; otherwise the page
says so and offers the upload). It shows a green/red verdict, each check's reason and the
credential's non-sensitive fields (type, issuer, department, validity, status), never its claims.

The page is rendered in the chosen language (``?lang=``, else the browser's Accept-Language) with
``<html lang>`` set to it; its script (``static/verify.js``) switches language in place from the
texts below, which are the page's one home for its words in both languages.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse

from registry_api.pages.rendering import render
from registry_core.pages import DEFAULT_POLICY, LANGUAGES, choose_language

router = APIRouter(tags=["verify"])

# key -> (German, English)
TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Nachweis prüfen · Stadtverwaltung", "Verify a credential · City administration"),
    "heading": ("Nachweis der Stadt prüfen", "Verify a city credential"),
    "intro": (
        "Fügen Sie den Inhalt des QR-Codes ein, laden Sie ein Foto oder einen Screenshot hoch "
        "oder scannen Sie mit der Kamera.",
        "Paste the QR code's content, upload a photo or screenshot, or scan with the camera.",
    ),
    "language": ("Sprache", "Language"),
    "payload_label": ("QR-Inhalt (beginnt mit CRV1:)", "QR content (starts with CRV1:)"),
    "verify": ("Prüfen", "Verify"),
    "upload": ("Bild hochladen", "Upload image"),
    "camera": ("Mit der Kamera scannen", "Scan with the camera"),
    "noscript": (
        "Diese Seite braucht JavaScript, um Nachweise zu prüfen.",
        "This page needs JavaScript to verify credentials.",
    ),
    "valid": (
        "GÜLTIG: Der Nachweis ist echt und gültig.",
        "VALID: the credential is genuine and valid.",
    ),
    "invalid": ("UNGÜLTIG", "INVALID"),
    # Only offline verifiers answer it (this page asks the API, which verifies online); the page
    # has the state so that a result from an offline source is never shown as valid or invalid.
    "unconfirmed": (
        "NOCH NICHT BESTÄTIGBAR: offline nicht bestätigt; Vertrauenspaket aktualisieren oder "
        "online prüfen",
        "CANNOT BE CONFIRMED YET: not confirmed offline; update the trust bundle or verify online",
    ),
    "mode_online": ("Online geprüft, Stand Block", "Verified online, as of block"),
    "mode_offline": (
        "Offline geprüft, Vertrauenspaket Block",
        "Verified offline, trust bundle block",
    ),
    "error": ("Die Prüfung ist fehlgeschlagen", "Verification failed"),
    "nocam": (
        "Dieser Browser kann QR-Codes nicht mit der Kamera lesen; bitte ein Foto hochladen.",
        "This browser cannot read QR codes with the camera; please upload a photo.",
    ),
    "camera_failed": (
        "Die Kamera ist nicht verfügbar; bitte ein Foto hochladen.",
        "The camera is not available; please upload a photo.",
    ),
    "details_caption": ("Angaben zum Nachweis", "About the credential"),
    "checks_caption": ("Einzelne Prüfungen", "Checks"),
    "col_result": ("Ergebnis", "Result"),
    "col_check": ("Prüfung", "Check"),
    "col_reason": ("Begründung", "Reason"),
    "type": ("Art", "Type"),
    "issuer": ("Aussteller", "Issuer"),
    "dept": ("Dienststelle", "Department"),
    "from": ("Gültig ab", "Valid from"),
    "until": ("Gültig bis", "Valid until"),
    "state": ("Status", "Status"),
    "check_format": ("Format", "Format"),
    "check_issuer": ("Aussteller-Identität", "Issuer identity"),
    "check_signature": ("Unterschrift", "Signature"),
    "check_anchored": ("Im Register", "Anchored"),
    "check_accreditation": ("Berechtigung", "Accreditation"),
    "check_status": ("Widerruf/Sperre", "Revocation"),
    "check_validity": ("Gültigkeitszeitraum", "Validity period"),
    "check_holder": ("Inhaber", "Holder"),
    "status_passed": ("✔ bestanden", "✔ passed"),
    "status_failed": ("✘ nicht bestanden", "✘ failed"),
    "status_skipped": ("○ übersprungen", "○ skipped"),
    "status_unavailable": ("? nicht prüfbar", "? unavailable"),
    "status_unconfirmed": ("… noch nicht bestätigbar", "… cannot be confirmed yet"),
    "state_unknown": ("unbekannt", "unknown"),
    "state_active": ("aktiv", "active"),
    "state_suspended": ("gesperrt", "suspended"),
    "state_revoked": ("widerrufen", "revoked"),
}


def texts(lang: str) -> dict[str, str]:
    index = LANGUAGES.index(lang)
    return {key: pair[index] for key, pair in TEXTS.items()}


@router.get("/verify", response_class=HTMLResponse, summary="The public verification page (de/en)")
def verification_page(
    request: Request,
    lang: Annotated[str | None, Query(max_length=8, description="de or en")] = None,
    accept_language: Annotated[str | None, Header(max_length=1000)] = None,
) -> HTMLResponse:
    chosen = choose_language(lang, accept_language)
    context = {
        "lang": chosen,
        "text": texts(chosen),
        "texts": {language: texts(language) for language in LANGUAGES},
    }
    # The page needs nothing beyond the strict base policy: its script and style are files.
    return render(
        request, "verify.html", context, policy=DEFAULT_POLICY, headers={"Vary": "Accept-Language"}
    )
