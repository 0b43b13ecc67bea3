"""The demo city's facts (synthetic), shared by the demo, the API's OpenAPI examples and the tests.

Nothing here is a secret: the demo keystores' passphrase is refused outside development.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from registry_core.schemas import SEARCHABLE

# Development only: the demo city's keystores are encrypted with this passphrase so that the demo
# runs without questions. Production refuses to start with it (the settings' validators).
DEMO_PASSPHRASE = "demo-city-not-a-secret"  # noqa: S105
# Development only, likewise: the key-encryption key that wraps the demo's record data keys,
# derived from a public phrase so that it is visibly no secret. Refused in production.
DEMO_RECORD_KEK_ID = "demo"
DEMO_RECORD_KEK = base64.b64encode(
    hashlib.sha256(b"demo-city-record-kek-not-a-secret").digest()
).decode()

COUNCIL_SIZE = 3
COUNCIL_THRESHOLD = 2


@dataclass(frozen=True)
class DemoDepartment:
    code: str  # short id, stored on chain as bytes32
    name: str  # German / English
    signer_key: str  # keystore entry of the account that anchors its register writes
    credential_key: str  # keystore entry of its credential key (its DID identity)
    credential_types: tuple[str, ...]  # the credential types the council accredits it for


DEMO_DEPARTMENTS: tuple[DemoDepartment, ...] = (
    DemoDepartment(
        "FB02", "Wirtschaftsförderung / Economic Development", "dept-fb02", "vc-fb02",
        ("BUSINESS_REG",),
    ),
    DemoDepartment(
        "FB33", "Bürgerservice / Citizen Services", "dept-fb33", "vc-fb33", ("RESIDENCE_CERT",)
    ),
    DemoDepartment(
        "FB32", "Ordnungsamt / Public Order", "dept-fb32", "vc-fb32",
        ("PARKING_PERMIT", "RESIDENT_PARKING"),
    ),
)  # fmt: skip

# The trade register (Gewerberegister) of the demo: its records are business registrations.
# SEARCHABLE (in the plaintext index; contents are stored encrypted): only fields without personal
# data, here what the register discloses about a business anyway (name, form, activity, place).
TRADE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Gewerbeanzeige / business registration",
    "type": "object",
    "required": ["business_name", "legal_form", "activity", "address", "registered_on"],
    "properties": {
        "business_name": {"type": "string", "minLength": 1, "maxLength": 200, SEARCHABLE: True},
        "legal_form": {
            "enum": ["Einzelunternehmen", "GbR", "GmbH", "UG", "AG", "eK"],
            SEARCHABLE: True,
        },
        "activity": {"type": "string", "maxLength": 500, SEARCHABLE: True},
        "address": {
            "type": "object",
            "required": ["street", "postal_code", "city"],
            "properties": {
                # Not searchable: a sole trader's business address is often their home.
                "street": {"type": "string", "maxLength": 200},
                "postal_code": {"type": "string", "pattern": "^[0-9]{5}$", SEARCHABLE: True},
                "city": {"type": "string", "maxLength": 100, SEARCHABLE: True},
            },
            "additionalProperties": False,
        },
        "registered_on": {"type": "string", "format": "date"},
    },
    "additionalProperties": False,
}

# The commercial property register (Gewerbeflächenregister): premises offered for rent (no
# personal data: parcels, addresses and uses of premises are searchable).
PROPERTY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Gewerbefläche / commercial premises",
    "type": "object",
    "required": ["parcel", "address", "use", "area_m2", "rent_eur_per_m2"],
    "properties": {
        "parcel": {
            "type": "string",
            "pattern": "^Gemarkung [A-Za-zäöüß]+, Flur [0-9]+, Flurstück [0-9/]+$",
            SEARCHABLE: True,
        },
        "address": {"type": "string", "maxLength": 200, SEARCHABLE: True},
        "use": {
            "enum": ["Büro", "Einzelhandel", "Gastronomie", "Handwerk", "Lager", "Labor"],
            SEARCHABLE: True,
        },
        "area_m2": {"type": "number", "exclusiveMinimum": 0},
        "rent_eur_per_m2": {"type": "number", "minimum": 0},
        "available_from": {"type": "string", "format": "date"},
    },
    "additionalProperties": False,
}

# One business registration that follows TRADE_SCHEMA (the API's examples use it).
TRADE_RECORD: dict[str, Any] = {
    "business_name": "Printen-Manufaktur Lambertz-Beispiel GmbH",
    "legal_form": "GmbH",
    "activity": "Herstellung von Backwaren / bakery products",
    "address": {"street": "Pontstraße 12", "postal_code": "52062", "city": "Aachen"},
    "registered_on": "2026-03-02",
}
