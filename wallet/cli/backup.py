"""``backup create`` / ``backup restore``: the whole wallet as one encrypted file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wallet.backup import create_backup, restore_backup
from wallet.cli.app import command, group, state
from wallet.cli.io import BACKUP_PASSPHRASE_ENV, JsonOption, emit, passphrase, waiting, write_new
from wallet.errors import UnknownItemError

backup_app = group("backup", "Sicherung der ganzen Brieftasche / backup of the whole wallet")
PROMPT = "Passphrase der Sicherung / backup passphrase"


@command(
    backup_app,
    "create",
    help="Alles in eine verschlüsselte Datei (Schlüssel, Nachweise, Vertrauen) / everything into "
    "one encrypted file (keys, credentials, trust settings)",
)
def create(
    ctx: typer.Context, file: Annotated[Path, typer.Argument()], as_json: JsonOption = False
) -> None:
    home = state(ctx).home
    secret = passphrase(PROMPT, confirm=True, env=BACKUP_PASSPHRASE_ENV)
    with waiting("Sicherung wird verschlüsselt / encrypting the backup"):
        data = create_backup(home, secret)
    write_new(file, data)
    emit(as_json, {"file": str(file), "bytes": len(data)}, f"[green]✔[/] {file}")


@command(
    backup_app,
    "restore",
    help="Brieftasche aus einer Sicherung in einen neuen Ordner / the wallet of a backup into a "
    "new folder (--home)",
)
def restore(
    ctx: typer.Context, file: Annotated[Path, typer.Argument()], as_json: JsonOption = False
) -> None:
    home = state(ctx).home
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise UnknownItemError(f"no file {file}", de=f"keine Datei {file}") from None
    secret = passphrase(PROMPT, env=BACKUP_PASSPHRASE_ENV)
    with waiting("Sicherung wird geprüft / checking the backup"):
        book = restore_backup(home, data, secret)
    names = [i.name for i in book.all()]
    emit(
        as_json,
        {"home": str(home), "identities": names},
        f"[green]✔[/] {home}: {', '.join(names)}",
    )
