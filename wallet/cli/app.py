"""The ``city-wallet`` Typer application: global options, command registration, error mapping.

Command modules register themselves with :func:`command` (top level) or on a group made with
:func:`group`; each command ends with an :class:`~wallet.errors.ExitCode`, and a
:class:`~wallet.errors.WalletError` becomes its bilingual message on stderr and its exit code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from wallet.cli.io import err_console
from wallet.core import Wallet
from wallet.errors import EXIT_CODES_HELP, ExitCode, WalletError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="city-wallet",
    help=(
        "Die Brieftasche der Stadt für Bürgerinnen, Bürger und Unternehmen / The city's wallet "
        "for citizens and companies: identities, keys, credentials, QR codes, presentations, "
        "offline verification."
    ),
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


DEFAULT_HOME = Path.home() / ".city-wallet"


@dataclass(frozen=True)
class State:
    home: Path

    def wallet(self, identity: str | None = None) -> Wallet:
        return Wallet(self.home, identity=identity)


@app.callback()
def _options(
    ctx: typer.Context,
    home: Annotated[
        Path,
        typer.Option(
            envvar="CITY_WALLET_HOME",
            help="Ordner der Brieftasche / the wallet's folder",
            show_default="~/.city-wallet",
        ),
    ] = DEFAULT_HOME,
) -> None:
    ctx.obj = State(home=home)


def state(ctx: typer.Context) -> State:
    found = ctx.find_object(State)
    return found if found is not None else State(DEFAULT_HOME)


def _mapped(function: F) -> F:
    """Run a command; its WalletError becomes a message on stderr and the documented exit code."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            outcome = function(*args, **kwargs)
        except WalletError as exc:
            err_console.print(f"[bold red]city-wallet:[/] {exc.message}", highlight=False)
            raise typer.Exit(int(exc.exit_code)) from None
        if isinstance(outcome, int) and outcome != ExitCode.DONE:
            raise typer.Exit(int(outcome))
        return outcome

    return run  # type: ignore[return-value]


def command(group: typer.Typer = app, name: str | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Register a command (with the exit codes in its ``--help``) on ``group``."""

    def register(function: F) -> F:
        group.command(name, epilog=EXIT_CODES_HELP, **kwargs)(_mapped(function))
        return function

    return register


def group(name: str, help_text: str) -> typer.Typer:
    sub = typer.Typer(help=help_text, epilog=EXIT_CODES_HELP, no_args_is_help=True)
    app.add_typer(sub, name=name)
    return sub
