"""Conventions shared by the project's command lines (Typer + rich).

- Every command has ``--help`` and documents the exit status: 0 done, 1 failed (a chain, node or
  store refused, or there was nothing to act on), 2 invalid arguments or settings (Click's own
  usage errors exit 2 as well).
- Messages for people go to stderr; results go to stdout, as text or a table for people and as
  JSON with ``--json`` for scripts.
- An option that takes several values accepts them space-separated, as the earlier argparse
  command lines did (``--registers TRADE PROPERTY``), or repeated (``--registers TRADE
  --registers PROPERTY``).
- Tracebacks never show local variables (they may hold passphrases or keys).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import typer.main
from rich.console import Console
from rich.table import Table

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CODES = (
    "Exit status: 0 done; 1 failed (a chain, node or store refused, or there was nothing to act "
    "on); 2 invalid arguments or settings."
)

F = TypeVar("F", bound=Callable[..., Any])

# ``as_json: JsonFlag = False``: the --json option of every command whose output scripts read.
JsonFlag = Annotated[bool, typer.Option("--json", help="print the result as JSON")]

# soft_wrap: long messages stay on one line (scripts and tests search them); no markup: texts
# typed by people or taken from the chain are printed as they are.
_messages = Console(stderr=True, soft_wrap=True, markup=False, highlight=False, emoji=False)


class CommandLine(typer.Typer):
    """A Typer app (or command group) whose every command documents the exit status."""

    def __init__(self, **settings: Any) -> None:
        settings.setdefault("no_args_is_help", True)
        settings.setdefault("pretty_exceptions_show_locals", False)
        settings.setdefault("rich_markup_mode", "markdown")
        settings.setdefault("add_completion", False)
        settings.setdefault("epilog", EXIT_CODES)
        settings.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
        super().__init__(**settings)

    def command(self, name: str | None = None, **settings: Any) -> Callable[[F], F]:
        settings.setdefault("epilog", EXIT_CODES)
        decorator: Callable[[F], F] = super().command(name, **settings)
        return decorator


def say(text: str) -> None:
    """A message for the operator (stderr)."""
    _messages.print(text)


def fail(text: str, code: int = EXIT_FAILED) -> NoReturn:
    """Stop the command with ``text`` on stderr and exit status ``code``."""
    _messages.print(text, style="bold red" if _messages.is_terminal else None)
    raise typer.Exit(code)


def refuse(text: str) -> NoReturn:
    """Stop the command because its arguments are invalid (exit status 2)."""
    fail(text, EXIT_USAGE)


def print_json(value: Any) -> None:
    """A result for scripts (stdout)."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_line(text: str) -> None:
    """A result for people (stdout), as it is."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def print_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A table on stdout: columns two spaces apart, never wrapped or cut (scripts split on runs
    of two spaces), styled only on a terminal."""
    lines = [list(header), *(list(row) for row in rows)]
    width = sum(max(len(line[i]) for line in lines) for i in range(len(header)))
    width += 2 * (len(header) - 1)
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", padding=(0, 1))
    for name in header:
        table.add_column(name, no_wrap=True)
    for line in lines[1:]:
        table.add_row(*line)
    terminal = shutil.get_terminal_size((80, 24)).columns
    Console(width=max(width, terminal), markup=False, highlight=False, emoji=False).print(table)


def _list_options(command: Any) -> set[str]:
    """Names of the options, anywhere in the command tree, that take several values.

    Duck-typed: Typer ships its own copy of Click, so Click's classes are not Typer's."""
    names = {
        name
        for param in command.params
        if getattr(param, "param_type_name", "") == "option" and getattr(param, "multiple", False)
        for name in param.opts
    }
    for sub in getattr(command, "commands", {}).values():
        names |= _list_options(sub)
    return names


def spread_list_options(argv: Sequence[str], names: set[str]) -> list[str]:
    """``--opt a b`` -> ``--opt a --opt b`` for the options in ``names`` (Click reads one value
    per occurrence); values run until the next token that starts with ``-``."""
    spread: list[str] = []
    current: str | None = None
    for position, word in enumerate(argv):
        if word == "--":
            spread.extend(argv[position:])
            return spread
        if current is not None and not word.startswith("-"):
            spread += [current, word]
            continue
        current = None
        if word in names:
            current = word
            if position + 1 >= len(argv) or argv[position + 1].startswith("-"):
                spread.append(word)  # no value: Click reports the missing argument
            continue
        spread.append(word)
    return spread


def run(app: typer.Typer, argv: Sequence[str] | None, *, prog_name: str) -> int:
    """Run ``app`` on ``argv`` (default: the process's arguments); returns the exit status."""
    command = typer.main.get_command(app)
    args = spread_list_options(list(sys.argv[1:] if argv is None else argv), _list_options(command))
    try:
        command.main(args=args, prog_name=prog_name, standalone_mode=True)
    except SystemExit as stop:
        if stop.code is None:
            return EXIT_OK
        return stop.code if isinstance(stop.code, int) else EXIT_FAILED
    return EXIT_OK
