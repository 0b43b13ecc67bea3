"""Trust settings for offline verification: ``trust pin``, ``trust import`` and ``trust update``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from registry_core.verification.offline_messages import describe_age
from wallet.city import CityClient
from wallet.cli.app import command, group, state
from wallet.cli.city import DEFAULT_API, ApiOption
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


@command(
    trust_app,
    "update",
    help="Vertrauenspaket aktualisieren: nur die Änderungen seit seinem Block / "
    "bring the trust bundle up to date: only what changed since its block",
)
def update(
    ctx: typer.Context,
    api: ApiOption = DEFAULT_API,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Aktualisierung aus Datei / a delta from a file (offline)"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet()
    before = wallet.trust_bundle()
    if file is not None:
        try:
            delta = json.loads(read_file(file))
        except json.JSONDecodeError:
            raise CorruptFileError(
                f"{file} is not a trust update (not JSON)",
                de=f"{file} ist keine Aktualisierung",
            ) from None
    else:
        with CityClient(api) as city:
            delta = city.get(f"/credentials/trust-bundle/delta?since_block={before.as_of_block}")
    after = wallet.apply_trust_update(delta)
    age_de, age_en = describe_age(after.age_seconds())
    emit(
        as_json,
        {
            "chain_id": after.chain_id,
            "from_block": before.as_of_block,
            "as_of_block": after.as_of_block,
            "as_of_time": after.as_of_time,
        },
        f"[green]✔[/] Vertrauenspaket von Block {before.as_of_block} auf {after.as_of_block} "
        f"(Stand vor {age_de}) / trust bundle updated from block {before.as_of_block} to "
        f"{after.as_of_block} ({age_en} old)",
    )
