"""Administration of the registry API's store: ``python -m registry_api.admin`` (``registry ...``).

    registry db upgrade                    apply the Alembic migrations (the API also does at start)
    registry api-key create --department FB02 --registers TRADE PROPERTY [--label clerk-app]
    registry index rebuild                 forget chain-derived state; the indexer re-reads block 0

Settings come from the same ``CITY_API_*`` environment variables as the API. ``api-key create``
prints the token once (on stdout only); only its SHA-256 hash is stored.
"""

from __future__ import annotations

import argparse
import re
import sys

from registry_api.chain.indexer import rebuild
from registry_api.core.config import get_settings
from registry_api.core.db import make_engine, session_scope, upgrade
from registry_api.core.security import create_api_key

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="registry", description=__doc__.splitlines()[0] if __doc__ else None
    )
    sub = parser.add_subparsers(dest="area", required=True)
    db = sub.add_parser("db", help="the SQL store")
    db.add_argument("action", choices=["upgrade"])
    key = sub.add_parser("api-key", help="department API keys")
    key.add_argument("action", choices=["create"])
    key.add_argument("--department", required=True, help="department code, e.g. FB02")
    key.add_argument(
        "--registers", nargs="+", required=True, help="register codes the key may use ('*': all)"
    )
    key.add_argument("--label", default="", help="what the key is for (shown to admins)")
    index = sub.add_parser("index", help="the chain event index")
    index.add_argument("action", choices=["rebuild"])
    args = parser.parse_args(argv)

    settings = get_settings()
    upgrade(settings.database)
    if args.area == "db":
        print(f"database at head revision ({settings.database.split('@')[-1]})", file=sys.stderr)
        return 0
    engine = make_engine(settings.database)
    try:
        if args.area == "api-key":
            codes = [args.department, *[r for r in args.registers if r != "*"]]
            bad = [code for code in codes if not _CODE.match(code)]
            if bad:
                print(
                    f"invalid code {bad[0]!r}: use 1-32 of A-Z, 0-9, '_' and '-'", file=sys.stderr
                )
                return 2
            with session_scope(engine) as session:
                row, token = create_api_key(
                    session=session,
                    department=args.department,
                    registers=list(args.registers),
                    label=args.label[:100],
                )
            print(
                f"API key {row.id} for {args.department} (registers: {', '.join(row.registers)}); "
                "the token is shown once:",
                file=sys.stderr,
            )
            print(token)
        else:
            rebuild(engine=engine)
            print(
                "chain-derived state cleared; the running indexer re-reads from block 0",
                file=sys.stderr,
            )
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
