"""Identities: ``init``, ``restore``, ``did`` and the ``identity`` group (list, create, default,
export, import)."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wallet.cli.app import command, group, state
from wallet.cli.io import (
    IMPORT_PASSPHRASE_ENV,
    IdentityOption,
    JsonOption,
    console,
    emit,
    err_console,
    passphrase,
    read_file,
    waiting,
    write_new,
)
from wallet.core import Wallet
from wallet.errors import CorruptFileError, WalletError
from wallet.identities import DEFAULT_CHAIN_ID, DEFAULT_IDENTITY, Identity, new_mnemonic

identity_app = group("identity", "Identitäten der Brieftasche / the wallet's identities")

WordsOption = Annotated[int, typer.Option("--words", help="12 oder 24 Wörter / 12 or 24 words")]
ChainOption = Annotated[int, typer.Option("--chain-id", help="Kette der Stadt / the city's chain")]
CONFIRM_TRIES = 3


def confirmation_positions(count: int) -> list[int]:
    """Which two words (1-based) the citizen must type back."""
    return sorted(secrets.SystemRandom().sample(range(1, count + 1), 2))


def _identity_json(identity: Identity, default: str | None = None) -> dict[str, object]:
    return {
        "identity": identity.name,
        "address": identity.address,
        "did": identity.did,
        "default": identity.name == default,
    }


def confirm_mnemonic(mnemonic: str, *, to_stderr: bool) -> None:
    """Show the words once and have two of them typed back before anything is stored."""
    out = err_console if to_stderr else console
    words = mnemonic.split()
    out.print(
        "[bold]Schreiben Sie diese Wörter auf; sie stellen die Identität wieder her. Sie werden "
        "nur jetzt gezeigt. / Write these words down; they restore the identity. They are shown "
        "only now.[/]"
    )
    for row in range(0, len(words), 6):
        out.print(
            "  "
            + "  ".join(f"{row + i + 1:>2}. {w:<9}" for i, w in enumerate(words[row : row + 6]))
        )
    for _ in range(CONFIRM_TRIES):
        positions = confirmation_positions(len(words))
        answers = [
            typer.prompt(f"Wort Nr. {n} / word #{n}", err=to_stderr).strip().lower()
            for n in positions
        ]
        if answers == [words[n - 1] for n in positions]:
            return
        out.print("[yellow]Das passt nicht, bitte noch einmal / that does not match, again[/]")
    raise WalletError(
        "the words were not confirmed; nothing was stored (run the command again for new words)",
        de="Wörter nicht bestätigt; nichts gespeichert (für neue Wörter noch einmal aufrufen)",
    )


def _create(
    ctx: typer.Context, name: str, *, words: int, chain_id: int, make_default: bool, as_json: bool
) -> None:
    wallet = Wallet(state(ctx).home, identity=name)
    if wallet.exists and name in {i.name for i in wallet.book.all()}:
        raise WalletError(
            f"an identity named {name!r} exists already", de=f"die Identität {name!r} gibt es schon"
        )
    mnemonic = new_mnemonic(words)
    confirm_mnemonic(mnemonic, to_stderr=as_json)
    secret = passphrase(confirm=True)
    with waiting("Schlüssel wird verschlüsselt / encrypting the key"):
        identity = wallet.restore(mnemonic, secret, chain_id=chain_id)
    if make_default:
        wallet.book.set_default(identity.name)
    emit(
        as_json,
        _identity_json(identity, wallet.book.default_name),
        f"[green]✔[/] Identität / identity [bold]{identity.name}[/]: {identity.did}",
    )


@command(help="Neue Brieftasche mit erster Identität / a new wallet with its first identity")
def init(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Name der Identität / identity name")] = (
        DEFAULT_IDENTITY
    ),
    words: WordsOption = 12,
    chain_id: ChainOption = DEFAULT_CHAIN_ID,
    as_json: JsonOption = False,
) -> None:
    if Wallet(state(ctx).home).exists:
        raise WalletError(
            f"a wallet exists already in {state(ctx).home}; add identities with "
            "'city-wallet identity create NAME'",
            de=f"in {state(ctx).home} gibt es schon eine Brieftasche; weitere Identitäten mit "
            "'city-wallet identity create NAME'",
        )
    _create(ctx, name, words=words, chain_id=chain_id, make_default=False, as_json=as_json)


@command(
    help="Identität aus ihren Wörtern wiederherstellen (von stdin) / restore an identity from "
    "its words (read from stdin)"
)
def restore(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Name der Identität / identity name")] = (
        DEFAULT_IDENTITY
    ),
    chain_id: ChainOption = DEFAULT_CHAIN_ID,
    did: Annotated[
        str | None,
        typer.Option("--did", help="nach einer Schlüsselrotation / after a key rotation"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    if sys.stdin.isatty():
        mnemonic = typer.prompt("Wörter / words", hide_input=True, err=True)
    else:
        mnemonic = sys.stdin.readline()
    wallet = Wallet(state(ctx).home, identity=name)
    secret = passphrase(confirm=True)
    with waiting("Schlüssel wird verschlüsselt / encrypting the key"):
        identity = wallet.restore(mnemonic, secret, chain_id=chain_id, did=did)
    emit(
        as_json,
        _identity_json(identity, wallet.book.default_name),
        f"[green]✔[/] {identity.name}: {identity.did}",
    )


@command(help="Die DID der Identität / the identity's did:ethr")
def did(ctx: typer.Context, identity: IdentityOption = None, as_json: JsonOption = False) -> None:
    wallet = state(ctx).wallet(identity)
    chosen = wallet.identity
    emit(as_json, _identity_json(chosen, wallet.book.default_name), chosen.did)


@command(identity_app, "list", help="Alle Identitäten / all identities")
def identity_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    book = state(ctx).wallet().book
    default = book.default_name
    table = Table("", "Name", "DID", "Schlüssel / key")
    for identity in book.all():
        table.add_row(
            "*" if identity.name == default else "", identity.name, identity.did, identity.address
        )
    emit(as_json, {"identities": [_identity_json(i, default) for i in book.all()]}, table)


@command(identity_app, "create", help="Weitere Identität anlegen / add another identity")
def identity_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="z. B. / e.g. 'firma'")],
    words: WordsOption = 12,
    chain_id: ChainOption = DEFAULT_CHAIN_ID,
    make_default: Annotated[
        bool, typer.Option("--default", help="zur Voreinstellung machen / make it the default")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    _create(ctx, name, words=words, chain_id=chain_id, make_default=make_default, as_json=as_json)


@command(identity_app, "default", help="Voreingestellte Identität wählen / choose the default")
def identity_default(
    ctx: typer.Context, name: Annotated[str, typer.Argument()], as_json: JsonOption = False
) -> None:
    book = state(ctx).wallet().book
    chosen = book.set_default(name)
    emit(as_json, _identity_json(chosen, chosen.name), f"[green]✔[/] {chosen.name}: {chosen.did}")


@command(
    identity_app,
    "export",
    help="Schlüsseldatei einer Identität ausgeben (verschlüsselt, Web3 Secret Storage) / write "
    "one identity's key file (encrypted, Web3 Secret Storage)",
)
def identity_export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="neue Datei / a new file")],
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet(identity)
    chosen = wallet.identity
    write_new(out, (json.dumps(wallet.export_key()) + "\n").encode())
    emit(
        as_json,
        {**_identity_json(chosen), "file": str(out)},
        f"[green]✔[/] {chosen.name} → {out}",
    )


@command(
    identity_app,
    "import",
    help="Schlüsseldatei als neue Identität übernehmen / take a key file as a new identity",
)
def identity_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Web3 Secret Storage key file")],
    name: Annotated[str, typer.Option("--name", help="Name der neuen Identität / its name")],
    as_json: JsonOption = False,
) -> None:
    try:
        document = json.loads(read_file(file, limit=64 * 1024))
    except json.JSONDecodeError:
        raise CorruptFileError(
            f"{file} is not a key file (not JSON)", de=f"{file} ist keine Schlüsseldatei"
        ) from None
    file_secret = passphrase(
        "Passphrase der Schlüsseldatei / the key file's passphrase", env=IMPORT_PASSPHRASE_ENV
    )
    secret = passphrase(confirm=True)
    with waiting("Schlüssel wird geprüft und verschlüsselt / checking and encrypting the key"):
        identity = Wallet(state(ctx).home).import_key(
            document, file_passphrase=file_secret, passphrase=secret, name=name
        )
    emit(as_json, _identity_json(identity), f"[green]✔[/] {identity.name}: {identity.did}")
