"""The city's credential types: on-chain id, VC type, bilingual names and JSON Schema.

The trusted-issuer registry stores each type as (id, name, schema hash) with
``schema hash = keccak256(RFC 8785 canonical JSON of the schema)``; the schemas themselves live here
so that the API (validating claims), the scripts (seeding the registry) and verifiers agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak

from registry_core.codes import code_to_bytes32
from registry_core.hashing import canonical_json

_TEXT = {"type": "string", "minLength": 1, "maxLength": 120}


@dataclass(frozen=True)
class CredentialTypeSpec:
    code: str  # on-chain type id: UTF-8, right-padded to 32 bytes
    vc_type: str  # the W3C VC ``type`` next to "VerifiableCredential"
    name_de: str
    name_en: str
    schema: dict[str, Any]  # JSON Schema of ``credentialSubject`` without ``id``
    validity_days: int

    @property
    def type_id(self) -> bytes:
        return code_to_bytes32(self.code)

    @property
    def schema_hash(self) -> bytes:
        return bytes(keccak(canonical_json(self.schema)))

    @property
    def name(self) -> str:
        return f"{self.name_de} / {self.name_en}"


def _schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


CREDENTIAL_TYPES: dict[str, CredentialTypeSpec] = {
    spec.code: spec
    for spec in (
        CredentialTypeSpec(
            code="RESIDENCE_CERT",
            vc_type="ResidenceCertificate",
            name_de="Meldebescheinigung",
            name_en="Registration certificate",
            schema=_schema(
                {
                    "givenName": _TEXT,
                    "familyName": _TEXT,
                    "birthDate": {"type": "string", "format": "date", "maxLength": 10},
                    "address": {"type": "string", "minLength": 1, "maxLength": 200},
                    "since": {"type": "string", "format": "date", "maxLength": 10},
                },
                ["givenName", "familyName", "birthDate", "address"],
            ),
            validity_days=365,
        ),
        CredentialTypeSpec(
            code="BUSINESS_REG",
            vc_type="BusinessRegistrationCertificate",
            name_de="Gewerbeanmeldung",
            name_en="Business registration certificate",
            schema=_schema(
                {
                    "businessName": _TEXT,
                    "holderName": _TEXT,
                    "activity": {"type": "string", "minLength": 1, "maxLength": 200},
                    "address": {"type": "string", "minLength": 1, "maxLength": 200},
                    "registeredOn": {"type": "string", "format": "date", "maxLength": 10},
                },
                ["businessName", "holderName", "activity", "address", "registeredOn"],
            ),
            validity_days=3 * 365,
        ),
        CredentialTypeSpec(
            code="PARKING_PERMIT",
            vc_type="ResidentParkingPermit",
            name_de="Bewohnerparkausweis",
            name_en="Residents' parking permit",
            schema=_schema(
                {
                    "licensePlate": {
                        "type": "string",
                        "pattern": "^[A-ZÄÖÜ]{1,3}-[A-Z]{1,2} ?[0-9]{1,4}[EH]?$",
                        "maxLength": 12,
                    },
                    "zone": {"type": "string", "pattern": "^[A-Z0-9]{1,4}$", "maxLength": 4},
                    "holderName": _TEXT,
                },
                ["licensePlate", "zone"],
            ),
            validity_days=365,
        ),
        # Requested by citizens from their wallets (issue 9) and delivered by OpenID4VCI: the
        # permit names its street zone and its own end (``validUntil``, also the VC's ``exp``).
        CredentialTypeSpec(
            code="RESIDENT_PARKING",
            vc_type="ResidentParkingCredential",
            name_de="Bewohnerparken (Zone)",
            name_en="Resident parking (zone)",
            schema=_schema(
                {
                    "zone": {"type": "string", "pattern": "^[A-Z0-9]{1,4}$", "maxLength": 4},
                    "licensePlate": {
                        "type": "string",
                        "pattern": "^[A-ZÄÖÜ]{1,3}-[A-Z]{1,2} ?[0-9]{1,4}[EH]?$",
                        "maxLength": 12,
                    },
                    "validUntil": {"type": "string", "format": "date", "maxLength": 10},
                },
                ["zone", "licensePlate", "validUntil"],
            ),
            validity_days=365,
        ),
    )
}
VC_TYPES: dict[str, CredentialTypeSpec] = {spec.vc_type: spec for spec in CREDENTIAL_TYPES.values()}
