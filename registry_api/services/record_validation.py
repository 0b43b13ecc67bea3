"""Record and schema validation: RFC 8785 canonical JSON, its size limit, the register's schema.

Every check raises an RFC 9457 problem (``422``, ``413``) before anything is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry_api.chain import hub
from registry_api.core.errors import RegistryError
from registry_api.models.tables import Register
from registry_core.hashing import canonical_json
from registry_core.keccak import keccak256
from registry_core.schemas import SchemaValidator, validator_for

MAX_CONTENT_BYTES = 16_384


def schema_hash(schema: dict[str, Any]) -> str:
    """keccak256 of the RFC 8785 canonical JSON Schema (no salt: schemas are public)."""
    return hub.hx(keccak256(canonical_json(schema)))


def _validator(register: Register) -> SchemaValidator:
    return validator_for(register.schema_, cache_key=register.schema_hash)


def canonicalise(content: dict[str, Any], *, what: str) -> bytes:
    try:
        raw = canonical_json(content)
    except (ValueError, TypeError) as exc:
        raise RegistryError(
            status=422,
            kind="invalid-record",
            title="The record is not valid",
            detail=f"{what} cannot be canonicalised (RFC 8785): {exc}",
        ) from exc
    if len(raw) > MAX_CONTENT_BYTES:
        raise RegistryError(
            status=413,
            kind="record-too-large",
            title="The record is too large",
            detail=f"{what} has {len(raw)} bytes of canonical JSON; the limit is {MAX_CONTENT_BYTES}",
        )
    return raw


def validate_records(register: Register, contents: Sequence[dict[str, Any]]) -> list[bytes]:
    """Raise one 422 problem listing every schema violation (at most 20).

    Returns each record's RFC 8785 canonical JSON (computed here anyway), for its content hash.
    """
    canonical = [
        canonicalise(content, what=f"record {index}" if len(contents) > 1 else "the record")
        for index, content in enumerate(contents)
    ]
    errors = [
        {"index": v.index, "path": v.path or "/", "message": v.message}
        for v in _validator(register).violations(contents)
    ]
    if errors:
        first = errors[0]
        where = f"record {first['index']}, " if len(contents) > 1 else ""
        raise RegistryError(
            status=422,
            kind="schema-violation",
            title="The record does not follow the register's schema",
            detail=(
                f"{len(errors)} schema violation(s) against register {register.id}; first: "
                f"{where}{first['path']}: {first['message']}"
            ),
            errors=errors,
        )
    return canonical
