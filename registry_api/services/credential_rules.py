"""The rules a credential request meets before anything is signed, and the problems that say
why not: API-key scopes, the type's claims schema, the hash in the URL, the chain's refusal."""

from __future__ import annotations

from typing import Any

from registry_api.core.errors import RegistryError
from registry_api.core.security import Department
from registry_core.abi import DecodedError
from registry_core.credential_types import CREDENTIAL_TYPES
from registry_core.errors import RegistryCoreError
from registry_core.schemas import validator_for


def problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> RegistryError:
    return RegistryError(status=status, kind=kind, title=title, detail=detail, **extra)


def chain_refusal(error: DecodedError | str) -> RegistryError:
    """The chain refuses (or refused) the credential operation: 409 with the contract error."""
    if isinstance(error, DecodedError):
        return problem(
            409,
            "chain-refused",
            "The chain refused the credential operation",
            f"the CredentialStatusRegistry contract reverts with {error}",
            error=error.name,
        )
    name = error.partition("reverted: ")[2].partition("(")[0] or None
    return problem(
        409,
        "chain-refused",
        "The chain refused the credential operation",
        error,
        **({"error": name} if name else {}),
    )


def invalid_credential(exc: RegistryCoreError) -> RegistryError:
    return problem(422, "invalid-credential", "The credential or DID is not valid", exc.detail)


def nothing_to_render() -> RegistryError:
    return problem(422, "nothing-to-render", "Nothing to render", "give credential or payload")


def digest_of(credential_hash_hex: str) -> bytes:
    try:
        digest = bytes.fromhex(credential_hash_hex.removeprefix("0x"))
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise problem(
            422, "invalid-hash", "Invalid credential hash", "a credential hash is 32 bytes hex"
        )
    return digest


def require_issue_scope(department: Department, code: str) -> None:
    """The key must be scoped to the type (unknown types are left to the 422 that names them)."""
    if code in CREDENTIAL_TYPES and not department.may_issue(code):
        scope = ", ".join(sorted(department.credential_types)) or "none"
        raise problem(
            403,
            "credential-type-out-of-scope",
            "The API key may not issue this credential type",
            f"this API key ({department.key_id}) of department {department.code} may not issue "
            f"{code} credentials; its credential types: {scope}",
            credential_type=code,
        )


def require_status_scope(department: Department, action: str) -> None:
    if not department.may_change_credential_status:
        raise problem(
            403,
            "credential-out-of-scope",
            "The API key may not change credential status",
            f"this API key ({department.key_id}) of department {department.code} has no "
            f"credential types, so it may not {action} credentials",
        )


def validate_claims(code: str, claims: dict[str, Any]) -> None:
    spec = CREDENTIAL_TYPES.get(code)
    if spec is None:
        raise problem(
            422,
            "unknown-credential-type",
            "Unknown credential type",
            f"{code!r} is not one of {', '.join(sorted(CREDENTIAL_TYPES))}",
        )
    errors = validator_for(spec.schema).violations([claims])
    if errors:
        raise problem(
            422,
            "claims-invalid",
            "The claims do not match the credential type's schema",
            f"{len(errors)} schema violation(s)",
            errors=[{"path": e.path.removeprefix("/"), "msg": e.message[:200]} for e in errors],
        )
