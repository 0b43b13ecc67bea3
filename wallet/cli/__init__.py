"""``city-wallet``: the citizen's wallet on the command line (Typer + rich).

Every command has ``--help``; most have ``--json`` (results for scripts on stdout) and
``--identity NAME`` (default: the wallet's default identity). Passphrases come from
``CITY_WALLET_PASSPHRASE`` (backups: ``CITY_WALLET_BACKUP_PASSPHRASE``, imported key files:
``CITY_WALLET_IMPORT_PASSPHRASE``) or are asked for without echo; the wallet lives in ``--home``
(default ``$CITY_WALLET_HOME`` or ``~/.city-wallet``). Exit codes: :class:`wallet.errors.ExitCode`.
A command module registers itself on import (below).
"""

from __future__ import annotations

import sys

from wallet.cli import backup, city, credentials, identity, payments, trust
from wallet.cli.app import app
from wallet.errors import ExitCode

__all__ = ["app", "backup", "city", "credentials", "identity", "main", "payments", "trust"]


def main(argv: list[str] | None = None) -> int:
    """Run ``city-wallet``; returns the exit code (usage errors: 2)."""
    try:
        app(args=argv, prog_name="city-wallet")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return int(ExitCode.DONE)


if __name__ == "__main__":
    sys.exit(main())
