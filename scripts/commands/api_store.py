"""``registry db | api-key | index | outbox | keys``: the API's own administration commands.

They run in a child process (``python -m registry_api.admin``) because applications do not import
each other; every argument, ``--help`` included, is passed on unchanged, and the child's exit
status is this command's.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import typer

# One line each for `registry --help`; the full help comes from registry_api.admin itself.
FORWARDED = {
    "db": "The API's SQL store: `registry db upgrade` (--help for more).",
    "api-key": "Department API keys: `registry api-key create | list | revoke` (--help for more).",
    "index": "The chain event index: `registry index rebuild` (--help for more).",
    "outbox": "Writes held after a restore from backup: `registry outbox held | release | fail`.",
    "keys": "Record data keys: `registry keys status | rotate-kek` (KEK rotation).",
}


def _forward(area: str) -> Callable[[typer.Context], None]:
    def forward(ctx: typer.Context) -> None:
        status = subprocess.call([sys.executable, "-m", "registry_api.admin", area, *ctx.args])
        raise typer.Exit(status)

    forward.__doc__ = FORWARDED[area]
    return forward


def register(app: typer.Typer) -> None:
    for area, text in FORWARDED.items():
        app.command(
            area,
            help=text,
            add_help_option=False,  # --help reaches registry_api.admin
            context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        )(_forward(area))
