"""Administration of the registry API's store: ``python -m registry_api.admin`` (``registry ...``).

    registry db upgrade                    apply the Alembic migrations (the API also does at start)
    registry api-key create --department FB02 --registers TRADE PROPERTY \\
        [--credential-types BUSINESS_REG | '*'] [--label clerk-app]
    registry api-key list [--department FB02]
    registry api-key revoke <key id> [--reason "laptop lost"]
    registry index rebuild                 forget chain-derived state; the indexer re-reads block 0
    registry outbox held                   writes held after a restore from backup, and the
                                           transactions found on chain that the store never had
    registry outbox release <write id>... | --all      send held writes (the chain lacks them)
    registry outbox fail <write id>... | --all --reason "..."   never send them (on chain already)

Settings come from the same ``CITY_API_*`` environment variables as the API. ``api-key create``
prints the token once (on stdout only); only its SHA-256 hash is stored, and ``list`` shows neither.
A revoked key stops working within 30 s: each API process remembers a key it accepted for 30 s.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime

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
from registry_core.credential_types import CREDENTIAL_TYPES

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")
REASON_MAX = 200


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="registry", description=__doc__.splitlines()[0] if __doc__ else None
    )
    sub = parser.add_subparsers(dest="area", required=True)
    db = sub.add_parser("db", help="the SQL store")
    db.add_argument("action", choices=["upgrade"])

    key = sub.add_parser("api-key", help="department API keys: create, list, revoke")
    actions = key.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a new key (the token is printed once, on stdout)")
    create.add_argument("--department", required=True, help="department code, e.g. FB02")
    create.add_argument(
        "--registers", nargs="+", default=[], help="register codes the key may use ('*': all)"
    )
    create.add_argument(
        "--credential-types",
        nargs="+",
        default=[],
        metavar="TYPE",
        help="credential types the key may issue ('*': all; default: none); any type also "
        f"lets it revoke, suspend and resume the department's credentials. Types: "
        f"{', '.join(sorted(CREDENTIAL_TYPES))}",
    )
    create.add_argument("--label", default="", help="what the key is for (shown to admins)")
    listing = actions.add_parser("list", help="every key with its scopes (never the secrets)")
    listing.add_argument("--department", help="only this department's keys")
    revoke = actions.add_parser("revoke", help="revoke a key for good")
    revoke.add_argument("key_id", metavar="KEY_ID", help="the key's id (see `api-key list`)")
    revoke.add_argument(
        "--reason", default="", help=f"why (kept with the key; up to {REASON_MAX} characters)"
    )

    index = sub.add_parser("index", help="the chain event index")
    index.add_argument("action", choices=["rebuild"])

    outbox = sub.add_parser("outbox", help="writes held after a restore from backup")
    outbox_actions = outbox.add_subparsers(dest="action", required=True)
    outbox_actions.add_parser("held", help="held writes and transactions unknown to the store")
    for name, text in (
        ("release", "send held writes again (only those the chain does not have)"),
        ("fail", "fail held writes for good (e.g. found on chain already)"),
    ):
        action = outbox_actions.add_parser(name, help=text)
        action.add_argument("write_ids", nargs="*", metavar="WRITE_ID")
        action.add_argument("--all", action="store_true", help="every held write")
        if name == "fail":
            action.add_argument("--reason", required=True, help="why (kept with the writes)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problem = _check_arguments(args)
    if problem:
        print(problem, file=sys.stderr)
        return 2

    settings = get_settings()
    upgrade(settings.database)
    if args.area == "db":
        print(f"database at head revision ({settings.database.split('@')[-1]})", file=sys.stderr)
        return 0
    engine = make_engine(settings.database)
    try:
        if args.area == "api-key":
            return {"create": _create, "list": _list, "revoke": _revoke}[args.action](engine, args)
        if args.area == "outbox":
            return _outbox(engine, args)
        rebuild(engine=engine)
        print(
            "chain-derived state cleared; the running indexer re-reads from block 0",
            file=sys.stderr,
        )
    finally:
        engine.dispose()
    return 0


def _check_arguments(args: argparse.Namespace) -> str:
    """What is wrong with the arguments ("" if nothing), before the store is touched."""
    if args.area != "api-key":
        return ""
    if args.action == "create":
        codes = [args.department, *[r for r in args.registers if r != "*"]]
        bad = [code for code in codes if not _CODE.match(code)]
        if bad:
            return f"invalid code {bad[0]!r}: use 1-32 of A-Z, 0-9, '_' and '-'"
        unknown = unknown_credential_types(args.credential_types)
        if unknown:
            return (
                f"unknown credential type {unknown[0]!r}; valid types: "
                f"{', '.join(sorted(CREDENTIAL_TYPES))} (or '*' for all)"
            )
        if not args.registers and not args.credential_types:
            return "a key needs --registers or --credential-types (or both)"
    elif args.action == "list":
        if args.department is not None and not _CODE.match(args.department):
            return f"invalid department code {args.department!r}: use 1-32 of A-Z, 0-9, '_' and '-'"
    elif args.action == "revoke":
        if args.key_id.startswith("crk_"):
            return (
                "give the key's id (16 hex digits, see `registry api-key list`), not its token; "
                "the token is a secret: do not paste it into commands"
            )
        if not _KEY_ID.match(args.key_id):
            return f"invalid key id {args.key_id!r}: 16 hex digits (see `registry api-key list`)"
        if len(args.reason) > REASON_MAX:
            return f"the reason is too long: at most {REASON_MAX} characters"
    return ""


def _scope(codes: list[str]) -> str:
    return ",".join(codes) if codes else "-"


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "?"
    if moment.tzinfo is None:  # SQLite returns the stored UTC time without its zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _text(value: str) -> str:
    """One line of printable text (labels and reasons are typed by people)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def _revoked(row: ApiKey) -> str:
    if not row.revoked:
        return "no"
    reason = _text(row.revoked_reason)
    return f"{_when(row.revoked_at)}" + (f" ({reason})" if reason else "")


def _create(engine: Engine, args: argparse.Namespace) -> int:
    with session_scope(engine) as session:
        row, token = create_api_key(
            session=session,
            department=args.department,
            registers=list(args.registers),
            credential_types=list(args.credential_types),
            label=args.label[:100],
        )
    print(
        f"API key {row.id} for {args.department} (registers: {', '.join(row.registers) or 'none'}; "
        f"credential types: {', '.join(row.credential_types) or 'none'}); "
        "the token is shown once:",
        file=sys.stderr,
    )
    print(token)
    return 0


def _list(engine: Engine, args: argparse.Namespace) -> int:
    with session_scope(engine) as session:
        rows = list_api_keys(session=session, department=args.department)
    if not rows:
        where = f" of department {args.department}" if args.department else ""
        print(f"no API keys{where}", file=sys.stderr)
        return 0
    header = (
        "ID",
        "DEPARTMENT",
        "REGISTERS",
        "CREDENTIAL TYPES",
        "LABEL",
        "CREATED (UTC)",
        "REVOKED (UTC)",
    )
    table = [header] + [
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
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        print("  ".join([*cells, line[-1]]))
    revoked = sum(1 for row in rows if row.revoked)
    print(
        f"{len(rows)} key(s), {revoked} revoked; tokens are shown only when a key is created",
        file=sys.stderr,
    )
    return 0


def _revoke(engine: Engine, args: argparse.Namespace) -> int:
    reason = _text(args.reason)
    with session_scope(engine) as session:
        row, revoked_now = revoke_api_key(session=session, key_id=args.key_id, reason=reason)
    if row is None:
        print(
            f"no API key with id {args.key_id!r} (see `registry api-key list`); nothing revoked",
            file=sys.stderr,
        )
        return 1
    label = f" ({_text(row.label)})" if _text(row.label) else ""
    if not revoked_now:
        earlier = _text(row.revoked_reason)
        print(
            f"API key {row.id} of {row.department}{label} was already revoked "
            f"({_when(row.revoked_at)} UTC{f', reason: {earlier}' if earlier else ''}); "
            "nothing changed"
        )
        return 0
    print(
        f"API key {row.id} of {row.department}{label} revoked; running API processes refuse it "
        f"within {REVOCATION_CHECK_SECONDS:.0f} s."
    )
    return 0


def _outbox(engine: Engine, args: argparse.Namespace) -> int:
    if args.action == "held":
        with session_scope(engine) as session:
            held = outbox.held_writes(session)
            unknown = recovery.unknown_transactions(session)
            for write in held:
                print(
                    f"held  {write.id}  {write.department}  {write.kind}  {_when(write.created_at)}"
                )
            for tx in unknown:
                print(
                    f"chain {tx.tx_hash}  signer {tx.signer}  nonce {tx.nonce}  block "
                    f"{tx.block_number}  {tx.target}.{tx.function}"
                )
        print(
            f"{len(held)} held write(s); {len(unknown)} transaction(s) on chain that the store "
            "never had (writes accepted after its backup)",
            file=sys.stderr,
        )
        return 0
    if not args.all and not args.write_ids:
        print("name the writes (WRITE_ID ...) or give --all", file=sys.stderr)
        return 2
    which = None if args.all else list(args.write_ids)
    with session_scope(engine) as session:
        if args.action == "release":
            count = outbox.release_held(session, which)
        else:
            count = outbox.fail_held(session, which, _text(args.reason))
    print(f"{count} held write(s) {'released' if args.action == 'release' else 'failed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
