"""Options and prompts that several ``registry`` command groups share (a helper module, not a
group)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from registry_core.cli import refuse
from scripts.paths import PROJECT_ROOT

DEPLOYMENTS = PROJECT_ROOT / "deployments"
GATEWAY_URL = "http://127.0.0.1:8545"  # the demo city's gateway (CITY_GATEWAY_PORT's default)

DeploymentsOption = Annotated[
    Path,
    typer.Option("--deployments", metavar="DIR", help="where the CHAIN_ID.json manifests live"),
]

PASSPHRASE_ENV = "CITY_NETWORK_PASSPHRASE"  # noqa: S105  (the variable's name, not a secret)
PASSPHRASE_MIN = 12


def kit_passphrase(*, new: bool) -> str:
    """The passphrase of a Besu network kit's keys: $CITY_NETWORK_PASSPHRASE, else asked for
    (twice for new keys, which need at least 12 characters)."""
    value = os.environ.get(PASSPHRASE_ENV)
    if not value:
        if not sys.stdin.isatty():
            refuse(f"set {PASSPHRASE_ENV} or run in a terminal to be asked for the passphrase")
        value = typer.prompt(
            "Passphrase of the kit's keys", hide_input=True, confirmation_prompt=new
        )
    if new and len(value) < PASSPHRASE_MIN:
        refuse(f"the passphrase needs at least {PASSPHRASE_MIN} characters")
    return value
