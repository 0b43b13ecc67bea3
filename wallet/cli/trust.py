"""Trust settings for offline verification: ``trust pin`` and ``trust import``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from wallet.cli.app import command, group, state
from wallet.cli.io import JsonOption, emit, read_file
from wallet.errors import CorruptFileError

trust_app = group(
    "trust", "Vertrauenspakete für die Offline-Prüfung / trust bundles for offline checks"
)


@command(
    trust_app, "pin", help="Unterzeichner der Stadt festlegen / trust bundles signed by this key"
)
def pin(
    ctx: typer.Context,
    signer: Annotated[str, typer.Argument(help="0x… from /credentials/trust-bundle/signer")],
    as_json: JsonOption = False,
) -> None:
    state(ctx).wallet().pin_bundle_signer(signer)
    emit(as_json, {"pinned": signer.lower()}, f"trusting trust bundles signed by {signer}")


@command(trust_app, "import", help="Vertrauenspaket übernehmen / import a trust bundle")
def import_bundle(
    ctx: typer.Context, file: Annotated[Path, typer.Argument()], as_json: JsonOption = False
) -> None:
    try:
        document = json.loads(read_file(file))
    except json.JSONDecodeError:
        raise CorruptFileError(
            f"{file} is not a trust bundle (not JSON)", de=f"{file} ist kein Vertrauenspaket"
        ) from None
    bundle = state(ctx).wallet().import_bundle(document)
    emit(
        as_json,
        {"chain_id": bundle.chain_id, "as_of_block": bundle.as_of_block},
        f"trust bundle of chain {bundle.chain_id} as of block {bundle.as_of_block} imported",
    )
