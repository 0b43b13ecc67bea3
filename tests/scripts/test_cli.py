"""The `registry` command line: help on every command, exit statuses, refusals before anything
is touched (in-process with Typer's CliRunner), and list options spelled as before."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from registry_api import admin
from registry_core.cli import EXIT_CODES, spread_list_options
from registry_core.credential_types import CREDENTIAL_TYPES
from scripts import cli
from scripts.commands.api_store import FORWARDED

runner = CliRunner()


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group below ``command``, with the words that invoke it."""
    for name, sub in getattr(command, "commands", {}).items():
        yield (*path, name), sub
        yield from _commands(sub, (*path, name))


def _one_line(text: str) -> str:
    """Help text as rich wraps it, back on one line (box edges and line breaks removed)."""
    return " ".join(text.replace("│", " ").replace("`", "").split())


@pytest.fixture
def untouched_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A database URL whose file must still not exist after a refused command."""
    database = tmp_path / "never-created.db"
    monkeypatch.setenv("CITY_API_DATABASE_URL", f"sqlite:///{database}")
    yield database
    assert not database.exists(), "a refused command opened (and so created) the store"


def test_root_help_lists_every_command_with_its_help() -> None:
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0, result.output
    shown = _one_line(result.output)
    root = typer.main.get_command(cli.app)
    expected = {"demo", "chain", "deploy", "allowlist", "db", "api-key", "index", "network"}
    assert expected <= set(root.commands), sorted(root.commands)
    for name, command in root.commands.items():
        summary = command.get_short_help_str(limit=300)
        assert summary, f"`registry {name}` has no help"
        assert name in shown and _one_line(summary)[:30] in shown, (name, result.output)
    assert _one_line(EXIT_CODES) in shown


@pytest.mark.parametrize("app", [cli.app, admin.app], ids=["registry", "registry_api.admin"])
def test_every_command_has_help_and_documents_the_exit_status(app: Any) -> None:
    root = typer.main.get_command(app)
    forwarded = set(FORWARDED) if app is cli.app else set()
    seen = 0
    for path, _command in _commands(root):
        if path[0] in forwarded:
            continue  # their help is registry_api.admin's (checked in its own run)
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage: registry " + " ".join(path) in _one_line(result.output), result.output
        assert _one_line(EXIT_CODES) in _one_line(result.output), (path, result.output)
        seen += 1
    assert seen >= (10 if app is cli.app else 8)


def test_forwarded_commands_show_the_api_side_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "api-key", "create", "--help"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = _one_line(done.stdout)
    assert "Usage: registry api-key create" in shown and "--credential-types" in shown
    missing = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "api-key", "revoke"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert missing.returncode == 2, "the child's usage error is the command's exit status"


# ---- refusals: exit status 2, a clear message, nothing touched ----------------------------------


@pytest.mark.usefixtures("untouched_store")
def test_create_refuses_an_unknown_credential_type_naming_the_valid_ones() -> None:
    result = runner.invoke(
        admin.app, ["api-key", "create", "--department", "FB02", "--credential-types", "DOG"]
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert "unknown credential type 'DOG'" in result.stderr
    assert all(valid in result.stderr for valid in CREDENTIAL_TYPES), result.stderr


@pytest.mark.usefixtures("untouched_store")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--department", "fb02", "--registers", "TRADE"], "invalid code 'fb02'"),
        (["create", "--department", "FB02", "--registers", "trade"], "invalid code 'trade'"),
        (["create", "--department", "FB02"], "a key needs --registers or --credential-types"),
        (["list", "--department", "FB 02"], "invalid department code 'FB 02'"),
        (["revoke", "crk_0123456789abcdef_secret"], "not its token"),
        (["revoke", "0123"], "invalid key id '0123': 16 hex digits"),
        (["revoke", "0123456789abcdef", "--reason", "x" * 201], "at most 200 characters"),
    ],
)
def test_api_key_refusals_exit_2_before_the_store_is_opened(args: list[str], message: str) -> None:
    result = runner.invoke(admin.app, ["api-key", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert result.stdout == ""


@pytest.mark.usefixtures("untouched_store")
def test_missing_required_option_is_a_usage_error() -> None:
    result = runner.invoke(admin.app, ["api-key", "create", "--registers", "TRADE"])
    assert result.exit_code == 2 and "--department" in result.stderr


def test_deploy_refusals() -> None:
    no_council = runner.invoke(cli.app, ["deploy", "--threshold", "2"])
    assert no_council.exit_code == 2 and "--council" in no_council.stderr
    zero = runner.invoke(cli.app, ["deploy", "--council", "0x" + "11" * 20, "--threshold", "0"])
    assert zero.exit_code == 2 and "--threshold" in zero.stderr
    unreachable = runner.invoke(
        cli.app, ["deploy", "--council", "0x" + "11" * 20, "--threshold", "1",
                  "--rpc", "http://127.0.0.1:9"],
    )  # fmt: skip
    assert unreachable.exit_code == 1, unreachable.output
    assert unreachable.stderr.startswith("deploy failed: "), unreachable.stderr


def test_unknown_command_is_a_usage_error() -> None:
    assert cli.main(["no-such-command"]) == 2


# ---- list options --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "spread"),
    [
        (["--registers", "A", "B", "--label", "x"], ["--registers", "A", "--registers", "B", "--label", "x"]),
        (["--registers", "A", "--registers", "B"], ["--registers", "A", "--registers", "B"]),
        (["--registers=A", "--label", "x"], ["--registers=A", "--label", "x"]),
        (["--registers", "--label", "x"], ["--registers", "--label", "x"]),  # Click reports it
        (["--registers", "A", "--", "B"], ["--registers", "A", "--", "B"]),
        (["--label", "A", "B"], ["--label", "A", "B"]),  # not a list option: Click refuses B
    ],
)  # fmt: skip
def test_list_options_take_space_separated_values(argv: list[str], spread: list[str]) -> None:
    assert spread_list_options(argv, {"--registers"}) == spread


def test_space_separated_values_reach_the_command() -> None:
    """`registry deploy --council A B C` (as the argparse CLI took it) gives three members."""
    members = ["0x" + digit * 40 for digit in "123"]
    status = cli.main(
        ["deploy", "--council", *members, "--threshold", "4", "--rpc", "http://127.0.0.1:9"]
    )
    assert status == 1  # reached the node; three loose values would be a usage error (2)
