"""Council decisions by intent: the catalogue of what the council can decide, and calldata read
back into decisions (the types are :mod:`registry_core.council.model`).

An :class:`Intent` names one decision ("add-department", "accredit", ...) with its
parameters in plain terms (department codes, addresses, names, times) and a German and English
description. ``intent.decide(...)`` (keyword arguments) or ``intent.parse([...])`` (the strings a
command line gives) makes a :class:`Decision`; ``decision.call(manifest)`` is the target address
and calldata the council proposes; :func:`decode_decision` turns a proposal's target and calldata
back into the decision, for people who confirm it. No I/O here: proposing, confirming and
executing is :mod:`registry_core.council.decisions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry_core.codes import code_to_bytes32
from registry_core.council.model import (
    CallShape,
    CouncilIntentError,
    Decision,
    Intent,
    Param,
    ParamKind,
    View,
    _from_abi,
)
from registry_core.errors import RegistryCoreError
from registry_core.keccak import keccak256
from registry_core.manifest import DeploymentManifest

__all__ = [
    "INTENTS", "TREASURY_ROLE", "CallShape", "CouncilIntentError", "Decision", "Intent", "Param",
    "ParamKind", "View", "decode_decision",
]  # fmt: skip


def _code(args: Mapping[str, Any], name: str) -> bytes:
    return code_to_bytes32(args[name])


_DEPARTMENT = Param("department", "code", "department code, e.g. FB02")
_NEW_DEPARTMENT = Param("department", "code", "the new department's code, e.g. FB61", named=False)
_ACCOUNT = Param("account", "address", "the account's address")
_TYPE = Param("credential_type", "code", "credential type code, e.g. RESIDENCE_CERT")

ADD_DEPARTMENT = Intent(
    "add-department", "DepartmentDirectory", "addDepartment",
    (_NEW_DEPARTMENT, Param("name", "text", "public name, German / English")),
    "Dienststelle {department} anlegen ({name})", "Create department {department} ({name})",
    in_effect=lambda view, a: view("DepartmentDirectory", "departmentExists", _code(a, "department")),
)  # fmt: skip
RENAME_DEPARTMENT = Intent(
    "rename-department", "DepartmentDirectory", "renameDepartment",
    (_DEPARTMENT, Param("name", "text", "new public name")),
    "Dienststelle {department} umbenennen in {name}", "Rename department {department} to {name}",
)  # fmt: skip
SUSPEND_DEPARTMENT = Intent(
    "suspend-department", "DepartmentDirectory", "suspendDepartment", (_DEPARTMENT,),
    "Dienststelle {department} sperren", "Suspend department {department}",
)  # fmt: skip
REACTIVATE_DEPARTMENT = Intent(
    "reactivate-department", "DepartmentDirectory", "reactivateDepartment", (_DEPARTMENT,),
    "Dienststelle {department} wieder zulassen", "Reactivate department {department}",
    in_effect=lambda view, a: view(
        "DepartmentDirectory", "isDepartmentActive", _code(a, "department")
    ),
)  # fmt: skip
ADD_ACCOUNT = Intent(
    "add-account", "DepartmentDirectory", "addAccount", (_DEPARTMENT, _ACCOUNT),
    "Konto {account} handelt für {department}", "Account {account} acts for {department}",
    in_effect=lambda view, a: view("DepartmentDirectory", "departmentOf", a["account"])
    == _code(a, "department"),
)  # fmt: skip
REMOVE_ACCOUNT = Intent(
    "remove-account", "DepartmentDirectory", "removeAccount", (_DEPARTMENT, _ACCOUNT),
    "Konto {account} handelt nicht mehr für {department}",
    "Account {account} no longer acts for {department}",
)  # fmt: skip
ALLOW_ACCOUNT = Intent(
    "allow-account", "AccountPermissioning", "allowAccount", (_ACCOUNT,),
    "Konto {account} darf Transaktionen senden", "Account {account} may send transactions",
    in_effect=lambda view, a: a["account"] in view("AccountPermissioning", "allowedAccounts"),
)  # fmt: skip
DISALLOW_ACCOUNT = Intent(
    "disallow-account", "AccountPermissioning", "disallowAccount", (_ACCOUNT,),
    "Konto {account} von der Zulassungsliste nehmen",
    "Take account {account} off the allow-list",
)  # fmt: skip
DEFINE_CREDENTIAL_TYPE = Intent(
    "define-credential-type", "TrustedIssuerRegistry", "addCredentialType",
    (_TYPE, Param("name", "text", "public name, German / English"),
     Param("schema_hash", "hash", "keccak256 of the RFC 8785 JSON Schema of the claims")),
    "Nachweisart {credential_type} festlegen ({name})",
    "Define credential type {credential_type} ({name})",
    in_effect=lambda view, a: view(
        "TrustedIssuerRegistry", "credentialTypeExists", _code(a, "credential_type")
    ),
)  # fmt: skip
ACCREDIT_TYPE = Intent(
    "accredit", "TrustedIssuerRegistry", "accredit",
    (_DEPARTMENT, _TYPE,
     Param("valid_from", "time", "from (date, e.g. 2027-01-01, or unix seconds); 0: now",
           zero=("sofort", "now"), flag="--from"),
     Param("valid_until", "time", "until (date or unix seconds); 0: open-ended",
           zero=("offen", "open"), flag="--until")),
    "{department} darf {credential_type} ausstellen (ab {valid_from}; Ende: {valid_until})",
    "{department} may issue {credential_type} (from {valid_from}; end: {valid_until})",
    # In effect once any accreditation of the department for the type exists, whatever its window.
    in_effect=lambda view, a: bool(view(
        "TrustedIssuerRegistry", "accreditationIds", _code(a, "department"),
        _code(a, "credential_type"),
    )),
)  # fmt: skip
END_ACCREDITATION = Intent(
    "revoke-accreditation", "TrustedIssuerRegistry", "endAccreditation",
    (Param("accreditation", "count", "accreditation id"),
     Param("valid_until", "time", "when it ends (date or unix seconds); 0: now",
           zero=("sofort", "now"), flag="--until")),
    "Akkreditierung {accreditation} endet ({valid_until})",
    "Accreditation {accreditation} ends ({valid_until})",
)  # fmt: skip
ALLOW_REGISTER_CREATOR = Intent(
    "register-creator", "RegisterHub", "setRegisterCreator", (_DEPARTMENT,),
    "{department} darf eigene Register anlegen", "{department} may create its registers",
    fixed=(True,),
    in_effect=lambda view, a: view("RegisterHub", "isRegisterCreator", _code(a, "department")),
)  # fmt: skip
DENY_REGISTER_CREATOR = Intent(
    "deny-register-creator", "RegisterHub", "setRegisterCreator", (_DEPARTMENT,),
    "{department} darf keine Register mehr anlegen", "{department} may no longer create registers",
    fixed=(False,),
    in_effect=lambda view, a: not view("RegisterHub", "isRegisterCreator", _code(a, "department")),
)  # fmt: skip
ADD_MEMBER = Intent(
    "add-member", "CityCouncil", "addMember", (Param("member", "address", "the new member"),),
    "{member} wird Ratsmitglied", "{member} joins the council",
    in_effect=lambda view, a: view("CityCouncil", "isMember", a["member"]),
)  # fmt: skip
REMOVE_MEMBER = Intent(
    "remove-member", "CityCouncil", "removeMember", (Param("member", "address", "the member"),),
    "{member} verlässt den Rat", "{member} leaves the council",
    in_effect=lambda view, a: not view("CityCouncil", "isMember", a["member"]),
)  # fmt: skip
CHANGE_THRESHOLD = Intent(
    "change-threshold", "CityCouncil", "changeThreshold",
    (Param("threshold", "count", "confirmations a proposal needs"),),
    "Beschlüsse brauchen {threshold} Bestätigungen", "Proposals need {threshold} confirmations",
    in_effect=lambda view, a: view("CityCouncil", "threshold") == a["threshold"],
)  # fmt: skip

_VALIDATOR = Param("validator", "address", "the validator's address (that of its node key)")
ADD_VALIDATOR = Intent(
    "add-validator", "ValidatorSet", "addValidator", (_VALIDATOR,),
    "Validator {validator} aufnehmen", "Add validator {validator}",
    in_effect=lambda view, a: view("ValidatorSet", "isValidator", a["validator"]),
)  # fmt: skip
REMOVE_VALIDATOR = Intent(
    "remove-validator", "ValidatorSet", "removeValidator", (_VALIDATOR,),
    "Validator {validator} entfernen", "Remove validator {validator}",
    in_effect=lambda view, a: not view("ValidatorSet", "isValidator", a["validator"]),
)  # fmt: skip

# -- payments: the city token (treasury role, pause) and the fee schedule ---------------------------

TREASURY_ROLE = keccak256(b"TREASURY_ROLE")
_ZERO32 = b"\0" * 32
_SERVICE = Param("service", "code", "service code, e.g. RESIDENCE_CERT or PARK_ZONE5")
_NAME_DE = Param("name_de", "text", "German name")
_NAME_EN = Param("name_en", "text", "English name")


def _role_shape(role: bytes) -> CallShape:
    """``grantRole(role, account)``: the role leads, the intent's params follow."""
    return CallShape(
        pack=lambda flat: [role, *flat],
        unpack=lambda args: tuple(args[1:]) if bytes(args[0]) == role else None,
    )


def _terms_shape(order: tuple[int, ...]) -> CallShape:
    """``setService(serviceId, ServiceTerms)``: ``order[k]`` is the flat position of the k-th
    ServiceTerms field (department, amount, unitSeconds, zone, active, departmentManaged, nameDe,
    nameEn); flat position 0 is the service id."""

    def unpack(args: tuple[Any, ...]) -> tuple[Any, ...]:
        flat: list[Any] = [args[0], *([None] * len(order))]
        for field_index, flat_index in enumerate(order):
            flat[flat_index] = args[1][field_index]
        return tuple(flat)

    return CallShape(pack=lambda flat: [flat[0], tuple(flat[i] for i in order)], unpack=unpack)


def _service_in_effect(view: View, service: str, terms: tuple[Any, ...]) -> bool:
    try:
        current, _version = view("FeeSchedule", "service", code_to_bytes32(service))
    except RegistryCoreError:  # the schedule reverts for a service it does not know
        return False
    return tuple(current) == terms


SET_FEE = Intent(
    "set-fee", "FeeSchedule", "setService",
    (_SERVICE, _DEPARTMENT, Param("amount", "count", "the fee in cents"), _NAME_DE, _NAME_EN),
    "Gebühr {service} ({name_de}): {amount} Cent an {department}",
    "Fee {service} ({name_en}): {amount} cents to {department}",
    fixed=(0, _ZERO32, True, False),  # a one-off fee, active, changed only by the council
    shape=_terms_shape((1, 2, 5, 6, 7, 8, 3, 4)),
    in_effect=lambda view, a: _service_in_effect(view, a["service"], (
        _code(a, "department"), a["amount"], 0, _ZERO32, True, False, a["name_de"], a["name_en"],
    )),
)  # fmt: skip
SET_TARIFF = Intent(
    "set-tariff", "FeeSchedule", "setService",
    (_SERVICE, _DEPARTMENT, Param("zone", "code", "zone code, e.g. ZONE5"),
     Param("rate", "count", "cents per started unit"),
     Param("unit_seconds", "count", "the unit, e.g. 60 for per started minute"), _NAME_DE, _NAME_EN),
    "Tarif {service} ({name_de}): {rate} Cent je angefangene {unit_seconds} s in {zone}, an {department}",
    "Tariff {service} ({name_en}): {rate} cents per started {unit_seconds} s in {zone}, to {department}",
    fixed=(True, True),  # active; the receiving department may adjust it
    shape=_terms_shape((1, 3, 4, 2, 7, 8, 5, 6)),
    in_effect=lambda view, a: _service_in_effect(view, a["service"], (
        _code(a, "department"), a["rate"], a["unit_seconds"], _code(a, "zone"), True, True,
        a["name_de"], a["name_en"],
    )),
)  # fmt: skip
SET_PAYEE = Intent(
    "set-payee", "FeeSchedule", "setPayee", (_DEPARTMENT, _ACCOUNT),
    "Einnahmen von {department} gehen an {account}", "Income of {department} goes to {account}",
    in_effect=lambda view, a: view("FeeSchedule", "payeeOf", _code(a, "department")) == a["account"],
)  # fmt: skip
GRANT_TREASURY = Intent(
    "grant-treasury", "CityToken", "grantRole", (_ACCOUNT,),
    "Konto {account} darf City-Token ausgeben und vernichten (Stadtkasse)",
    "Account {account} may mint and burn city tokens (treasury)",
    shape=_role_shape(TREASURY_ROLE),
    in_effect=lambda view, a: view("CityToken", "hasRole", TREASURY_ROLE, a["account"]),
)  # fmt: skip
REVOKE_TREASURY = Intent(
    "revoke-treasury", "CityToken", "revokeRole", (_ACCOUNT,),
    "Konto {account} darf keine City-Token mehr ausgeben",
    "Account {account} may no longer mint or burn city tokens",
    shape=_role_shape(TREASURY_ROLE),
    in_effect=lambda view, a: not view("CityToken", "hasRole", TREASURY_ROLE, a["account"]),
)  # fmt: skip
PAUSE_TOKEN = Intent(
    "pause-token", "CityToken", "pause", (),
    "Alle Zahlungen mit City-Token anhalten", "Stop every city token payment",
    in_effect=lambda view, a: view("CityToken", "paused"),
)  # fmt: skip
UNPAUSE_TOKEN = Intent(
    "unpause-token", "CityToken", "unpause", (),
    "Zahlungen mit City-Token wieder zulassen", "Let city token payments run again",
    in_effect=lambda view, a: not view("CityToken", "paused"),
)  # fmt: skip

INTENTS: dict[str, Intent] = {
    intent.name: intent
    for intent in (
        ADD_DEPARTMENT, RENAME_DEPARTMENT, SUSPEND_DEPARTMENT, REACTIVATE_DEPARTMENT,
        ADD_ACCOUNT, REMOVE_ACCOUNT, ALLOW_ACCOUNT, DISALLOW_ACCOUNT,
        DEFINE_CREDENTIAL_TYPE, ACCREDIT_TYPE, END_ACCREDITATION,
        ALLOW_REGISTER_CREATOR, DENY_REGISTER_CREATOR,
        ADD_MEMBER, REMOVE_MEMBER, CHANGE_THRESHOLD,
        ADD_VALIDATOR, REMOVE_VALIDATOR,
        SET_FEE, SET_TARIFF, SET_PAYEE, GRANT_TREASURY, REVOKE_TREASURY, PAUSE_TOKEN, UNPAUSE_TOKEN,
    )
}  # fmt: skip


def decode_decision(manifest: DeploymentManifest, target: str, data: bytes) -> Decision:
    """The decision a proposal's ``target`` and ``data`` carry; CouncilIntentError if none does."""
    names = {
        contract.address.lower(): name
        for name in {intent.contract for intent in INTENTS.values()}
        if (contract := manifest.contracts.get(name)) is not None
    }
    contract_name = names.get(target.lower())
    if contract_name is None:
        raise CouncilIntentError(f"{target} is none of the city's governed contracts")
    call = manifest.contract(contract_name).interface.decode_call(data)
    if call is None:
        raise CouncilIntentError(f"the calldata is no call of {contract_name}")
    function, raw = call.name, tuple(call.args.values())
    for intent in INTENTS.values():
        if intent.contract != contract_name or intent.function != function:
            continue
        values = intent.shape.unpack(raw) if intent.shape else raw
        count = len(intent.params)
        if values is not None and tuple(values[count:]) == intent.fixed:
            args = {
                p.name: _from_abi(p.kind, v) for p, v in zip(intent.params, values, strict=False)
            }
            return Decision(intent, args)
    raise CouncilIntentError(f"{contract_name}.{function} is no council decision this city knows")
