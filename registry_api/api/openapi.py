"""The OpenAPI document: every answer the API can give is documented once, here, generically.

The routes document their successes and their domain refusals (with examples). What any route can
answer besides (a body that is not JSON, no or a wrong key, a body too large, too many requests,
the chain or store away, ...) is added to every operation by :func:`install_openapi`, with the
schema of the form it comes in: RFC 9457 problem+json, or for the OpenID4VCI endpoints the OAuth
error object (RFC 6749 section 5.2) that wallets expect. A fuzzer (``make fuzz``) holds the API
to this document.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from registry_api.core.errors import PROBLEM_JSON

OAUTH_PREFIXES = ("/oid4vci/",)

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; refusals of citizens' endpoints add detail_de",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "422 invalid-request: the fields that failed validation",
            "items": {"type": "object"},
        },
    },
}
OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "OAuth 2.0 error response (RFC 6749 section 5.2, OpenID4VCI section 8.3.1)",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}

# What every operation may answer besides what it documents itself.
GENERIC_REFUSALS: dict[str, str] = {
    "400": "The request cannot be read (a body that is not JSON, or a malformed protocol message)",
    "401": "No or no valid credentials (API key, citizen session or access token)",
    "403": "The credentials do not allow this",
    "404": "No such resource",
    "409": "The request conflicts with the current state",
    "413": "The request body is larger than this endpoint accepts",
    "422": "The request is not valid (fields, or the rules behind them)",
    "429": "Too many requests from this client; see Retry-After",
    "503": "The chain, its deployment or the store is not available right now",
}
# Department writes with an Idempotency-Key: a stored answer may have been erased since
# (a payment's answer only ages out).
ERASED_ANSWER = (
    "The answer stored under this Idempotency-Key named a record erased or a credential revoked "
    "since, so it is not kept (services/retention.py)"
)
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until the client may send again",
        "schema": {"type": "integer"},
    }
}

# Bodies the OpenID4VCI endpoints read themselves (the token endpoint a form, as OAuth says).
OAUTH_BODIES: dict[str, dict[str, Any]] = {
    "/oid4vci/token": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["grant_type", "pre-authorized_code"],
                "properties": {
                    "grant_type": {
                        "type": "string",
                        "enum": ["urn:ietf:params:oauth:grant-type:pre-authorized_code"],
                    },
                    "pre-authorized_code": {"type": "string", "maxLength": 200},
                },
            }
        }
    },
    "/oid4vci/credential": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "OpenID4VCI section 8.2: credential_configuration_id and a proof",
                "properties": {
                    "credential_configuration_id": {"type": "string", "maxLength": 64},
                    "proof": {
                        "type": "object",
                        "properties": {
                            "proof_type": {"type": "string", "enum": ["jwt"]},
                            "jwt": {"type": "string", "maxLength": 8192},
                        },
                    },
                },
            }
        }
    },
    "/oid4vci/deferred_credential": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"transaction_id": {"type": "string", "maxLength": 64}},
            }
        }
    },
}


def _refusal_content(oauth: bool) -> dict[str, Any]:
    content: dict[str, Any] = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    if oauth:
        content["application/json"] = {"schema": {"$ref": "#/components/schemas/OAuthError"}}
    return content


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add the generic refusals, their schemas and the OAuth bodies to ``document`` (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["OAuthError"] = OAUTH_ERROR_SCHEMA
    for path, operations in document.get("paths", {}).items():
        oauth = path.startswith(OAUTH_PREFIXES)
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for status, description in GENERIC_REFUSALS.items():
                response = responses.setdefault(status, {"description": description})
                content = response.setdefault("content", {})
                if status == "422":  # FastAPI's default is its own JSON form; ours is a problem
                    content.pop("application/json", None)
                problem = content.setdefault(PROBLEM_JSON, {})
                problem.setdefault("schema", {"$ref": "#/components/schemas/Problem"})
                if oauth:
                    content.update(_refusal_content(oauth))
                if status == "429":
                    response["headers"] = RETRY_AFTER
            parameters = operation.get("parameters", [])
            if not path.startswith("/payments/") and any(
                p.get("name") == "Idempotency-Key" for p in parameters
            ):
                responses.setdefault(
                    "410",
                    {"description": ERASED_ANSWER, "content": _refusal_content(oauth=False)},
                )
            if oauth and method == "post" and path in OAUTH_BODIES:
                operation["requestBody"] = {"content": OAUTH_BODIES[path]}
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            complete(FastAPI.openapi(app))  # FastAPI keeps it in app.openapi_schema
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
