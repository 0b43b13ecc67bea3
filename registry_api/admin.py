"""Administration of the registry API's store: ``registry db | api-key | index | outbox | keys``
(``python -m registry_api.admin``).

These commands run in the API's own process space (the operator CLI in ``scripts/`` starts this
module as a child process: applications do not import each other). Settings come from the same
``CITY_API_*`` environment variables as the API. ``api-key create`` prints the token once (on
stdout only); only its SHA-256 hash is stored, and ``list`` shows neither. Arguments are checked
before the store is touched.

(A little over 400 lines: one parser and a short handler per store command; the data-key
commands are in ``store/admin.py``.)
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from sqlalchemy import Engine

from registry_api.chain import outbox
from registry_api.chain.indexer import rebuild
from registry_api.chain.sender import recovery
from registry_api.core.config import get_settings
from registry_api.core.db import make_engine, session_scope, upgrade
from registry_api.core.security import (
    REVOCATION_CHECK_SECONDS,
    create_api_key,
    list_api_keys,
    revoke_api_key,
    unknown_credential_types,
)
from registry_api.models.tables import ApiKey
from registry_api.store.admin import key_commands as data_key_commands
from registry_core.cli import (
    CommandLine,
    JsonFlag,
    fail,
    print_json,
    print_line,
    print_table,
    refuse,
    run,
    say,
)
from registry_core.credential_types import CREDENTIAL_TYPES

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")
REASON_MAX = 200
LABEL_MAX = 100
CODE_RULE = "use 1-32 of A-Z, 0-9, '_' and '-'"

app = CommandLine(name="registry", help="Administration of the registry API's store.")
db_commands = CommandLine(help="The API's SQL store.")
key_commands = CommandLine(
    help="Department API keys: create, list, revoke. A key belongs to one department and is "
    "scoped to registers and credential types."
)
index_commands = CommandLine(help="The chain event index.")
outbox_commands = CommandLine(
    help="Writes held after the store was restored from a backup while the chain moved on."
)
app.add_typer(db_commands, name="db")
app.add_typer(key_commands, name="api-key")
app.add_typer(index_commands, name="index")
app.add_typer(outbox_commands, name="outbox")
app.add_typer(data_key_commands, name="keys")


def _engine() -> Engine:
    """The store at its head revision (migrations are idempotent)."""
    settings = get_settings()
    upgrade(settings.database)
    return make_engine(settings.database)


@db_commands.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations (the API also does at start unless CITY_API_MIGRATE_ON_START
    is false)."""
    settings = get_settings()
    upgrade(settings.database)
    say(f"database at head revision ({settings.database.split('@')[-1]})")


@index_commands.command("rebuild")
def index_rebuild() -> None:
    """Forget chain-derived state; the running indexer re-reads the chain from block 0."""
    engine = _engine()
    try:
        rebuild(engine=engine)
    finally:
        engine.dispose()
    say("chain-derived state cleared; the running indexer re-reads from block 0")


# ---- api-key ------------------------------------------------------------------------------------


def _scope(codes: list[str]) -> str:
    return ",".join(codes) if codes else "-"


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "?"
    if moment.tzinfo is None:  # SQLite returns the stored UTC time without its zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _text(value: str) -> str:
    """One line of printable text (labels and reasons are typed by people)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def _revoked(row: ApiKey) -> str:
    if not row.revoked:
        return "no"
    reason = _text(row.revoked_reason)
    return f"{_when(row.revoked_at)}" + (f" ({reason})" if reason else "")


def _public(row: ApiKey) -> dict[str, Any]:
    """A key as scripts read it (``--json``): never the token or its hash."""
    return {
        "id": row.id,
        "department": row.department,
        "registers": list(row.registers),
        "credential_types": list(row.credential_types),
        "label": _text(row.label),
        "created_at": _iso(row.created_at),
        "revoked": row.revoked,
        "revoked_at": _iso(row.revoked_at),
        "revoked_reason": _text(row.revoked_reason) if row.revoked else None,
    }


@key_commands.command("create")
def key_create(
    department: Annotated[str, typer.Option(metavar="CODE", help="department code, e.g. FB02")],
    registers: Annotated[
        list[str],
        typer.Option(
            metavar="CODE",
            help="register codes the key may use ('*': all), e.g. --registers TRADE PROPERTY",
        ),
    ] = [],  # noqa: B006  (Typer reads the default; it is never mutated)
    credential_types: Annotated[
        list[str],
        typer.Option(
            metavar="TYPE",
            help="credential types the key may issue ('*': all; default: none); any type also "
            "lets it revoke, suspend and resume the department's credentials. Types: "
            f"{', '.join(sorted(CREDENTIAL_TYPES))}",
        ),
    ] = [],  # noqa: B006
    label: Annotated[
        str, typer.Option(metavar="TEXT", help="what the key is for (shown to admins)")
    ] = "",
    as_json: JsonFlag = False,
) -> None:
    """A new key; its token is printed once, on stdout (with --json: inside the JSON object)."""
    codes = [department, *[code for code in registers if code != "*"]]
    bad = [code for code in codes if not _CODE.match(code)]
    if bad:
        refuse(f"invalid code {bad[0]!r}: {CODE_RULE}")
    unknown = unknown_credential_types(credential_types)
    if unknown:
        refuse(
            f"unknown credential type {unknown[0]!r}; valid types: "
            f"{', '.join(sorted(CREDENTIAL_TYPES))} (or '*' for all)"
        )
    if not registers and not credential_types:
        refuse("a key needs --registers or --credential-types (or both)")
    engine = _engine()
    try:
        with session_scope(engine) as session:
            row, token = create_api_key(
                session=session,
                department=department,
                registers=list(registers),
                credential_types=list(credential_types),
                label=label[:LABEL_MAX],
            )
    finally:
        engine.dispose()
    say(
        f"API key {row.id} for {department} (registers: {', '.join(row.registers) or 'none'}; "
        f"credential types: {', '.join(row.credential_types) or 'none'}); "
        "the token is shown once:"
    )
    if as_json:
        print_json({**_public(row), "token": token})
    else:
        print_line(token)


LIST_HEADER = (
    "ID",
    "DEPARTMENT",
    "REGISTERS",
    "CREDENTIAL TYPES",
    "LABEL",
    "CREATED (UTC)",
    "REVOKED (UTC)",
)


@key_commands.command("list")
def key_list(
    department: Annotated[
        str | None, typer.Option(metavar="CODE", help="only this department's keys")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every key with its scopes, creation and revocation (never a token or its hash)."""
    if department is not None and not _CODE.match(department):
        refuse(f"invalid department code {department!r}: {CODE_RULE}")
    engine = _engine()
    try:
        with session_scope(engine) as session:
            rows = list_api_keys(session=session, department=department)
    finally:
        engine.dispose()
    if as_json:
        print_json([_public(row) for row in rows])
        return
    if not rows:
        say(f"no API keys{f' of department {department}' if department else ''}")
        return
    print_table(
        LIST_HEADER,
        [
            (
                row.id,
                row.department,
                _scope(row.registers),
                _scope(row.credential_types),
                _text(row.label) or "-",
                _when(row.created_at),
                _revoked(row),
            )
            for row in rows
        ],
    )
    revoked = sum(1 for row in rows if row.revoked)
    say(f"{len(rows)} key(s), {revoked} revoked; tokens are shown only when a key is created")


@key_commands.command("revoke")
def key_revoke(
    key_id: Annotated[
        str, typer.Argument(metavar="KEY_ID", help="the key's id (see `api-key list`)")
    ],
    reason: Annotated[
        str,
        typer.Option(
            metavar="TEXT", help=f"why (kept with the key; up to {REASON_MAX} characters)"
        ),
    ] = "",
    as_json: JsonFlag = False,
) -> None:
    """Revoke a key for good: running API processes refuse it within about a second. An unknown
    id exits 1; a key revoked before is reported with its first time and reason (exit 0)."""
    if key_id.startswith("crk_"):
        refuse(
            "give the key's id (16 hex digits, see `registry api-key list`), not its token; "
            "the token is a secret: do not paste it into commands"
        )
    if not _KEY_ID.match(key_id):
        refuse(f"invalid key id {key_id!r}: 16 hex digits (see `registry api-key list`)")
    if len(reason) > REASON_MAX:
        refuse(f"the reason is too long: at most {REASON_MAX} characters")
    engine = _engine()
    try:
        with session_scope(engine) as session:
            row, revoked_now = revoke_api_key(session=session, key_id=key_id, reason=_text(reason))
    finally:
        engine.dispose()
    if row is None:
        fail(f"no API key with id {key_id!r} (see `registry api-key list`); nothing revoked")
    if as_json:
        print_json({**_public(row), "revoked_now": revoked_now})
        return
    label = f" ({_text(row.label)})" if _text(row.label) else ""
    if not revoked_now:
        earlier = _text(row.revoked_reason)
        print_line(
            f"API key {row.id} of {row.department}{label} was already revoked "
            f"({_when(row.revoked_at)} UTC{f', reason: {earlier}' if earlier else ''}); "
            "nothing changed"
        )
        return
    print_line(
        f"API key {row.id} of {row.department}{label} revoked; running API processes refuse it "
        f"within {REVOCATION_CHECK_SECONDS:.0f} s."
    )


# ---- outbox (after a restore from backup) ---------------------------------------------------------


@outbox_commands.command("held")
def outbox_held(as_json: JsonFlag = False) -> None:
    """Held writes, and the transactions on chain that the store never had (writes accepted
    after its backup)."""
    engine = _engine()
    try:
        with session_scope(engine) as session:
            held = outbox.held_writes(session)
            unknown = recovery.unknown_transactions(session)
            writes = [
                {
                    "id": w.id,
                    "department": w.department,
                    "kind": w.kind,
                    "created_at": _iso(w.created_at),
                }
                for w in held
            ]
            transactions = [
                {
                    "tx_hash": tx.tx_hash,
                    "signer": tx.signer,
                    "nonce": tx.nonce,
                    "block": tx.block_number,
                    "call": f"{tx.target}.{tx.function}",
                }
                for tx in unknown
            ]
    finally:
        engine.dispose()
    if as_json:
        print_json({"held": writes, "unknown_transactions": transactions})
        return
    for w in writes:
        print_line(f"held  {w['id']}  {w['department']}  {w['kind']}  {w['created_at']}")
    for tx in transactions:
        print_line(
            f"chain {tx['tx_hash']}  signer {tx['signer']}  nonce {tx['nonce']}  "
            f"block {tx['block']}  {tx['call']}"
        )
    say(
        f"{len(writes)} held write(s); {len(transactions)} transaction(s) on chain that the store "
        "never had (writes accepted after its backup)"
    )


WriteIds = Annotated[
    list[str] | None, typer.Argument(metavar="WRITE_ID", help="the held writes (see `held`)")
]
AllOption = Annotated[bool, typer.Option("--all", help="every held write")]


def _which(write_ids: list[str] | None, every: bool) -> list[str] | None:
    if not every and not write_ids:
        refuse("name the writes (WRITE_ID ...) or give --all")
    return None if every else list(write_ids or [])


@outbox_commands.command("release")
def outbox_release(write_ids: WriteIds = None, every: AllOption = False) -> None:
    """Send held writes again (only those the chain does not have)."""
    which = _which(write_ids, every)
    engine = _engine()
    try:
        with session_scope(engine) as session:
            count = outbox.release_held(session, which)
    finally:
        engine.dispose()
    print_line(f"{count} held write(s) released")


@outbox_commands.command("fail")
def outbox_fail(
    reason: Annotated[str, typer.Option(metavar="TEXT", help="why (kept with the writes)")],
    write_ids: WriteIds = None,
    every: AllOption = False,
) -> None:
    """Fail held writes for good (e.g. found on chain already)."""
    which = _which(write_ids, every)
    if len(reason) > REASON_MAX:
        refuse(f"the reason is too long: at most {REASON_MAX} characters")
    engine = _engine()
    try:
        with session_scope(engine) as session:
            count = outbox.fail_held(session, which, _text(reason))
    finally:
        engine.dispose()
    print_line(f"{count} held write(s) failed")


def main(argv: list[str] | None = None) -> int:
    return run(app, argv, prog_name="registry")


if __name__ == "__main__":
    sys.exit(main())
