"""Who is who, from the cache's events: departments (names, accounts, active), council members,
the manifest's contracts, credential types and fee services. Rebuilt when the cache's
``changed_at`` moves (a page with directory, council or catalogue events), else reused.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from explorer.catalog import DEPARTMENT_EVENTS, NONE
from explorer.store import EventRow
from registry_core.manifest import DeploymentManifest

_NAMING_EVENTS = (
    *DEPARTMENT_EVENTS,
    "MemberAdded",
    "MemberRemoved",
    "ThresholdChanged",
    "CredentialTypeAdded",
    "ServiceSet",
    "RegisterCreated",
)


@dataclass
class Department:
    code: str
    name: str
    active: bool = True
    accounts: list[str] = field(default_factory=list)  # lower case, current


@dataclass
class Names:
    contracts: dict[str, str]  # lower-case address -> manifest name
    departments: dict[str, Department] = field(default_factory=dict)
    account_department: dict[str, str] = field(default_factory=dict)  # lower address -> code
    members: set[str] = field(default_factory=set)  # lower case
    threshold: int = 0
    credential_types: dict[str, str] = field(default_factory=dict)
    services: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (de, en)
    registers: dict[str, str] = field(default_factory=dict)  # id -> name

    def who(self, address: str | None, lang: str) -> str:
        """An address in the city's words: contract, department account or council member."""
        if not address:
            return NONE
        low = address.lower()
        if low in self.contracts:
            return self.contracts[low]
        if low in self.account_department:
            return self.account_department[low]
        if low in self.members:
            return ("Ratsmitglied " if lang == "de" else "council member ") + _short(address)
        return _short(address)

    def department_name(self, code: str) -> str:
        department = self.departments.get(code)
        return f"{code} ({department.name})" if department else code

    def roles(self, address: str, lang: str) -> list[str]:
        low = address.lower()
        roles = []
        if low in self.contracts:
            roles.append(("Vertrag " if lang == "de" else "contract ") + self.contracts[low])
        if low in self.account_department:
            code = self.account_department[low]
            roles.append(
                ("Konto von " if lang == "de" else "account of ") + self.department_name(code)
            )
        if low in self.members:
            roles.append("Ratsmitglied" if lang == "de" else "council member")
        return roles


def _short(address: str) -> str:
    return address[:8] + "…" + address[-4:] if len(address) > 14 else address


class NameBook:
    """:class:`Names` of the cache as of its last naming change (shared by all requests)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._cached: tuple[tuple[str, int], Names] | None = None

    def get(self, manifest: DeploymentManifest, changed_at: int) -> Names:
        stamp = (manifest.source_commit + str(sorted(manifest.contracts)), changed_at)
        with self._lock:
            if self._cached is not None and self._cached[0] == stamp:
                return self._cached[1]
        names = self._build(manifest)
        with self._lock:
            self._cached = (stamp, names)
        return names

    def _build(self, manifest: DeploymentManifest) -> Names:
        names = Names({c.address.lower(): name for name, c in manifest.contracts.items()})
        with Session(self.engine) as session:
            rows = session.exec(
                select(EventRow.name, EventRow.args)
                .where(col(EventRow.name).in_(_NAMING_EVENTS))
                .order_by(col(EventRow.id))
            ).all()
        for name, text in rows:
            _apply(names, name, json.loads(text))
        return names


def _apply(names: Names, event: str, args: dict[str, Any]) -> None:
    code = str(args.get("departmentId", ""))
    if event in ("DepartmentAdded", "DepartmentRenamed"):
        department = names.departments.setdefault(code, Department(code, args["name"]))
        department.name = args["name"]
    elif event in ("DepartmentSuspended", "DepartmentReactivated") and code in names.departments:
        names.departments[code].active = event == "DepartmentReactivated"
    elif event == "DepartmentAccountAdded":
        account = args["account"].lower()
        names.departments.setdefault(code, Department(code, code)).accounts.append(account)
        names.account_department[account] = code
    elif event == "DepartmentAccountRemoved":
        account = args["account"].lower()
        if code in names.departments and account in names.departments[code].accounts:
            names.departments[code].accounts.remove(account)
        names.account_department.pop(account, None)
    elif event == "MemberAdded":
        names.members.add(args["member"].lower())
    elif event == "MemberRemoved":
        names.members.discard(args["member"].lower())
    elif event == "ThresholdChanged":
        names.threshold = int(args["newThreshold"])
    elif event == "CredentialTypeAdded":
        names.credential_types[args["typeId"]] = args["name"]
    elif event == "ServiceSet":
        names.services[args["serviceId"]] = (args["nameDe"], args["nameEn"])
    elif event == "RegisterCreated":
        names.registers[args["registerId"]] = args["name"]
