"""What the CLI shows and asks: rich consoles, JSON output, passphrases, inputs, waits."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, RenderableType

from wallet.errors import UnknownItemError, WalletError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

IdentityOption = Annotated[
    str | None,
    typer.Option(
        "--identity",
        "-i",
        help="Identität (sonst die voreingestellte) / identity (default: the wallet's default)",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Ergebnis als JSON / print the result as JSON for scripts")
]

# Names of environment variables, not secrets.
PASSPHRASE_ENV = "CITY_WALLET_PASSPHRASE"  # noqa: S105
BACKUP_PASSPHRASE_ENV = "CITY_WALLET_BACKUP_PASSPHRASE"  # noqa: S105
IMPORT_PASSPHRASE_ENV = "CITY_WALLET_IMPORT_PASSPHRASE"  # noqa: S105


def emit(as_json: bool, data: dict[str, Any], *human: RenderableType) -> None:
    """The result: JSON on stdout for scripts, or the human lines."""
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        for line in human:
            console.print(line)


def passphrase(
    prompt: str = "Passphrase der Brieftasche / wallet passphrase",
    *,
    confirm: bool = False,
    env: str = PASSPHRASE_ENV,
) -> str:
    """A passphrase from the environment variable ``env`` or asked without echo (on stderr)."""
    value = os.environ.get(env)
    if value:
        return value
    try:
        answer = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)
    except typer.Abort:
        raise WalletError("no passphrase given", de="keine Passphrase angegeben") from None
    if not answer:
        raise WalletError("the passphrase is empty", de="die Passphrase ist leer")
    return str(answer)


def read_text(argument: str) -> str:
    """The text of an argument: ``-`` (stdin), ``@FILE``, a file name, or the text itself."""
    if argument == "-":
        return sys.stdin.read()
    if argument.startswith("@"):
        return read_file(Path(argument[1:]))
    path = Path(argument)
    if len(argument) < 256 and path.exists():
        return read_file(path)
    return argument


def read_file(path: Path, *, limit: int = 16 * 1024 * 1024) -> str:
    try:
        if path.stat().st_size > limit:
            raise WalletError(f"{path} is too large", de=f"{path} ist zu groß")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnknownItemError(f"no file {path}", de=f"keine Datei {path}") from None
    except (UnicodeDecodeError, IsADirectoryError):
        raise WalletError(f"{path} is not a text file", de=f"{path} ist keine Textdatei") from None


def write_new(path: Path, data: bytes) -> None:
    """Write a file owner-only; an existing file is never overwritten."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise WalletError(
            f"{path} exists already (nothing was overwritten)",
            de=f"{path} gibt es schon (nichts überschrieben)",
        ) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


@contextlib.contextmanager
def waiting(text: str) -> Iterator[None]:
    """A spinner on stderr while something slow runs (only on a terminal)."""
    if not err_console.is_terminal:
        yield
        return
    with err_console.status(text):
        yield
