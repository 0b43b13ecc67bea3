"""Credentials: ``add``, ``list``, ``qr``, ``present`` and offline ``verify``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from registry_core.verification.bundle_source import DEFAULT_MAX_AGE
from wallet.cli.app import command, state
from wallet.cli.io import IdentityOption, JsonOption, console, emit, passphrase, read_text, waiting
from wallet.core import describe_age
from wallet.errors import CorruptFileError, ExitCode, UnknownItemError, WalletError

MARKS = {
    "passed": "[green]✔[/]",
    "failed": "[red]✘[/]",
    "skipped": "-",
    "unavailable": "[yellow]?[/]",
    "unconfirmed": "[dark_orange]…[/]",
}
VERDICTS = {
    "valid": "[bold green]GÜLTIG / VALID[/]",
    "invalid": "[bold red]UNGÜLTIG / INVALID[/]",
    "unconfirmed": "[bold dark_orange]OFFLINE NOCH NICHT BESTÄTIGBAR / "
    "CANNOT BE CONFIRMED OFFLINE YET[/]",
}
EXIT_CODES = {"valid": ExitCode.DONE, "invalid": ExitCode.NEGATIVE, "unconfirmed": ExitCode.NOT_YET}


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


@command(help="Nachweis speichern (Datei, '-' oder Text) / store a credential (file, '-' or text)")
def add(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="JWT, JWT~proof, CRV1:…, FILE or '-'")],
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    stored = state(ctx).wallet(identity).add_credential(read_text(source))
    emit(
        as_json,
        {"id": stored.id, "type": stored.type, "issuer": stored.issuer},
        f"{stored.id} {stored.type} from {stored.issuer}",
    )


@command(name="list", help="Gespeicherte Nachweise / stored credentials")
def list_credentials(
    ctx: typer.Context, identity: IdentityOption = None, as_json: JsonOption = False
) -> None:
    stored = state(ctx).wallet(identity).credentials()
    table = Table("ID", "Typ / type", "gültig bis / valid until", "Aussteller / issuer")
    for c in stored:
        table.add_row(c.id[:18], c.type, _date(c.valid_until), c.issuer)
    rows = [
        {"id": c.id, "type": c.type, "issuer": c.issuer, "valid_until": c.valid_until}
        for c in stored
    ]
    emit(as_json, {"credentials": rows}, table if stored else "keine Nachweise / no credentials")


@command(help="Nachweis als QR-Code (PNG oder SVG) / the credential as QR code (PNG or SVG)")
def qr(
    ctx: typer.Context,
    credential_id: Annotated[str, typer.Argument(metavar="ID", help="id or its prefix")],
    out: Annotated[Path, typer.Option("--out", help="FILE.png or FILE.svg")],
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet(identity)
    image = wallet.qr_image(credential_id, "svg" if out.suffix == ".svg" else "png")
    out.write_bytes(image)
    info = wallet.qr_info(credential_id)
    emit(
        as_json,
        {"file": str(out), **info},
        f"{out}: QR version {info['version']}, {info['modules']}x{info['modules']} modules, EC M",
    )


@command(help="Vorlage (VP-JWT) für eine prüfende Stelle / a presentation (VP-JWT) for a verifier")
def present(
    ctx: typer.Context,
    credential_id: Annotated[str, typer.Argument(metavar="ID")],
    aud: Annotated[str, typer.Option("--aud", help="the verifier (audience)")],
    nonce: Annotated[str, typer.Option("--nonce", help="the verifier's challenge")],
    identity: IdentityOption = None,
    as_json: JsonOption = False,
) -> None:
    wallet = state(ctx).wallet(identity)
    secret = passphrase()
    with waiting("Schlüssel wird entschlüsselt / decrypting the key"):
        vp = wallet.present(credential_id, passphrase=secret, audience=aud, nonce=nonce)
    emit(as_json, {"presentation": vp}, vp)


def _decode_image(path: Path) -> str:
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(path)
        image.load()
    except FileNotFoundError:
        raise UnknownItemError(f"no file {path}", de=f"keine Datei {path}") from None
    except (OSError, UnidentifiedImageError):
        raise CorruptFileError(f"{path} is not an image", de=f"{path} ist kein Bild") from None
    results = zxingcpp.read_barcodes(image)
    if not results:
        raise WalletError(f"no QR code found in {path}", de=f"kein QR-Code in {path}")
    return str(results[0].text)


def _print_result(body: dict[str, Any], age: tuple[str, str] | None) -> None:
    console.print(VERDICTS[body["outcome"]])
    for check in body["checks"]:
        console.print(
            f"  {MARKS[check['status']]} {check['name']:<13} "
            f"{check['reason_de']} / {check['reason_en']}"
        )
    if age is not None:
        console.print(
            f"  Stand des Vertrauenspakets: vor {age[0]} / trust bundle knowledge is {age[1]} old"
        )


@command(
    help="Nachweis offline prüfen (Vertrauenspaket) / verify a credential offline (trust bundle)"
)
def verify(
    ctx: typer.Context,
    payload: Annotated[str | None, typer.Argument(help="CRV1: payload, JWT, @FILE or '-'")] = None,
    image: Annotated[
        Path | None, typer.Option("--image", help="Foto oder Bildschirmfoto / photo or screenshot")
    ] = None,
    presentation: Annotated[
        str | None, typer.Option("--presentation", help="VP-JWT or @FILE (holder check)")
    ] = None,
    aud: Annotated[str | None, typer.Option("--aud")] = None,
    nonce: Annotated[str | None, typer.Option("--nonce")] = None,
    max_age_hours: Annotated[
        float,
        typer.Option(
            "--max-age",
            envvar="CITY_WALLET_MAX_BUNDLE_AGE_HOURS",
            help="höchstes Alter des Vertrauenspakets in Stunden, danach 'noch nicht bestätigbar' "
            "/ maximum trust bundle age in hours; older status gives 'cannot be confirmed yet'",
        ),
    ] = DEFAULT_MAX_AGE / 3600,
    as_json: JsonOption = False,
) -> ExitCode:
    if image is not None:
        text = _decode_image(image)
    elif payload:
        text = read_text(payload)
    else:
        raise WalletError(
            "give a payload, @FILE, '-' or --image", de="Nachweis oder --image angeben"
        )
    vp = read_text(presentation).strip() if presentation else None
    result, bundle = (
        state(ctx)
        .wallet()
        .verify_offline(
            text.strip(),
            presentation=vp,
            audience=aud,
            nonce=nonce,
            max_age=int(max_age_hours * 3600),
        )
    )
    body = result.to_json()
    age_seconds = bundle.age_seconds()
    body["trust_bundle_age_seconds"] = age_seconds
    if as_json:
        emit(True, body)
    else:
        _print_result(body, describe_age(age_seconds))
    return EXIT_CODES[result.outcome]
