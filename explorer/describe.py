"""Events and calls in the city's words: names for accounts and departments, status and reason
codes as words, council proposals as the decision they carry (registry_core.council)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from explorer.catalog import CODE_ARGS, NONE, SENTENCES
from explorer.naming import Names
from explorer.store import EventRow
from registry_core.council.intents import CouncilIntentError, decode_decision
from registry_core.manifest import DeploymentManifest
from registry_core.reason_codes import reason_names
from registry_core.registers import ERASURE_REASONS, STATUS_NAMES

_ERASURE_NAMES = {code: name for name, code in ERASURE_REASONS.items()}
_DEPARTMENT_ARGS = frozenset({"departmentId", "owningDepartment", "issuerDepartment", "department"})
_ACCOUNT_LIKE = frozenset(
    {
        "signer",
        "actor",
        "account",
        "member",
        "proposer",
        "executor",
        "canceledBy",
        "payer",
        "payee",
        "from",
        "to",
        "identity",
        "owner",
    }
)


def when(timestamp: int) -> str:
    if not timestamp:
        return NONE
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def short(value: str) -> str:
    return value[:10] + "…" + value[-6:] if len(value) > 20 else value


def proposal_text(manifest: DeploymentManifest, args: dict[str, Any], lang: str) -> str:
    """A proposal as the decision its calldata carries (the on-chain description otherwise)."""
    try:
        data = bytes.fromhex(str(args.get("data", "0x"))[2:])
        decision = decode_decision(manifest, str(args.get("target", "")), data)
        return decision.describe("de" if lang == "de" else "en")
    except (CouncilIntentError, ValueError):
        return str(args.get("description", ""))


def word(name: str, value: Any, event: str, names: Names, lang: str) -> str:
    """One argument in words."""
    if name in _DEPARTMENT_ARGS and isinstance(value, str):
        return names.department_name(value)
    if name in _ACCOUNT_LIKE and isinstance(value, str):
        return names.who(value, lang)
    if name == "status" and isinstance(value, int):
        return STATUS_NAMES.get(value, str(value))
    if name == "reasonCode" and isinstance(value, int):
        if event in ("VersionErased", "BatchVersionErased"):
            return _ERASURE_NAMES.get(value, str(value))
        return reason_names(value)[0 if lang == "de" else 1]
    if name == "allowed" and isinstance(value, bool):
        return ("ja" if value else "nein") if lang == "de" else ("yes" if value else "no")
    if isinstance(value, str) and value.startswith("0x") and len(value) > 20:
        return short(value)
    if name in CODE_ARGS:
        return str(value)
    return str(value)


@dataclass(frozen=True)
class Described:
    row: EventRow
    args: dict[str, Any]
    text: str

    @property
    def time(self) -> str:
        return when(self.row.timestamp)


def describe(row: EventRow, names: Names, manifest: DeploymentManifest, lang: str) -> Described:
    args = json.loads(row.args)
    return Described(row, args, sentence(row.name, args, names, manifest, lang))


def sentence(
    event: str, args: dict[str, Any], names: Names, manifest: DeploymentManifest, lang: str
) -> str:
    template = SENTENCES.get(event)
    words = {name: word(name, value, event, names, lang) for name, value in args.items()}
    if event == "ProposalCreated":
        words["description"] = proposal_text(manifest, args, lang)
    if template is None:
        listed = ", ".join(f"{k}={v}" for k, v in words.items())
        return f"{event}({listed})"
    try:
        return template[0 if lang == "de" else 1].format(**words)
    except (KeyError, IndexError):
        return f"{event}({', '.join(f'{k}={v}' for k, v in words.items())})"
