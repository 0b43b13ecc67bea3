"""``registry import`` and ``registry export``: a register from and to CSV, Excel and OpenDocument
files, through the register API (``CITY_REGISTRY_API_URL``, key in ``CITY_REGISTRY_API_KEY`` or
``--api-key-file``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from registry_core.cli import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_OK,
    JsonFlag,
    fail,
    print_json,
    print_line,
    refuse,
    say,
)
from scripts.importing.client import (
    API_URL_ENV,
    DEFAULT_API_URL,
    ApiError,
    RegisterApi,
    api_key,
)
from scripts.importing.export import FORMATS, write_export
from scripts.importing.mapping import MappingError, load_mapping, mapping_from_headers
from scripts.importing.readers import ReadError, read_table
from scripts.importing.rejects import reasons_count, write_rejects
from scripts.importing.rows import check_rows
from scripts.importing.send import Anchoring, send_rows, wait_anchored

IMPORT_EXIT = (
    f"{EXIT_CODES} For import, 1 also means: rows were rejected (see the rejects file), or writes "
    "failed or are not anchored yet (run it again to resume); 2: a bad mapping or file, nothing "
    "was sent."
)
ApiUrl = Annotated[
    str, typer.Option("--api-url", envvar=API_URL_ENV, metavar="URL", help="the register API")
]
ApiKeyFile = Annotated[
    Path | None,
    typer.Option(
        "--api-key-file",
        metavar="FILE",
        help="a file holding the department's API key (default: $CITY_REGISTRY_API_KEY)",
    ),
]


class RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "- rows/s", style="progress.data.speed")


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RowsPerSecond(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=quiet,
    )


def import_file(
    register: Annotated[str, typer.Argument(help="the register, e.g. TRADE")],
    file: Annotated[Path, typer.Argument(help="a .csv, .xlsx or .ods file")],
    mapping: Annotated[
        Path | None,
        typer.Option(metavar="YAML", help="the mapping file (default: columns named as fields)"),
    ] = None,
    key: Annotated[
        str, typer.Option(metavar="COLUMN", help="without --mapping: the key column")
    ] = "key",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only check every row; send nothing")
    ] = False,
    amend_changed: Annotated[
        bool,
        typer.Option("--amend-changed", help="a known key with other content becomes an amendment"),
    ] = False,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="do not wait for the anchoring on chain")
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="the rejects file (default: FILE.rejects.csv beside it)"),
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="rows per bulk request (the API may ask less)")
    ] = 1000,
    encoding: Annotated[
        str | None, typer.Option(help="CSV encoding (default: UTF-8, else Windows-1252)")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="CSV delimiter (default: guessed from the header)")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="the sheet of a spreadsheet")] = None,
    wait_timeout: Annotated[
        float, typer.Option(metavar="SECONDS", help="how long to wait for the anchoring")
    ] = 600.0,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key_file: ApiKeyFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Import a register's records from a CSV, .xlsx or .ods file.

    Every row is mapped (mapping file), converted and checked against the register's JSON Schema;
    refused rows go to the rejects file (CSV `;`, UTF-8 with BOM). Rows are sent in chunks with
    their keys: a re-run imports nothing twice and resumes where a run stopped. A key that exists
    with other content is a reject unless --amend-changed. The report: imported, amended,
    unchanged, rejected, anchored."""
    began = time.monotonic()
    try:
        plan = load_mapping(mapping) if mapping is not None else None
        table = read_table(
            file,
            encoding=encoding,
            fallback_encoding=plan.csv.encoding if plan else None,
            delimiter=delimiter or (plan.csv.delimiter if plan else None),
            sheet=sheet or (plan.sheet if plan else None),
        )
    except (MappingError, ReadError) as exc:
        refuse(str(exc))
    if plan is not None and plan.register_id and plan.register_id != register:
        refuse(f"the mapping file is for register {plan.register_id}, not {register}")
    token = api_key(api_key_file)
    if not dry_run and not token:
        refuse("no API key: set $CITY_REGISTRY_API_KEY or give --api-key-file")
    with RegisterApi(api_url, token) as api:
        try:
            schema = api.register(register)["schema"]
            plan = plan or mapping_from_headers(table.headers, schema, key)
            checked = check_rows(table, plan, schema)
        except MappingError as exc:
            refuse(str(exc))
        except ApiError as exc:
            fail(str(exc))
        report: dict[str, Any] = {
            "register": register,
            "file": str(file),
            "rows": len(table.rows),
            "ok": len(checked.rows),
            "ignored_columns": checked.ignored_columns,
        }
        if table.encoding:
            report |= {"encoding": table.encoding, "delimiter": table.delimiter}
        all_rejects = list(checked.rejects)
        phases = {"check": round(time.monotonic() - began, 2)}
        anchoring: Anchoring | None = None
        interrupted = False
        if not dry_run:
            with _progress(as_json) as progress:
                task = progress.add_task("Import", total=len(checked.rows))
                try:
                    sent = send_rows(
                        api,
                        register,
                        checked.rows,
                        chunk=chunk_size,
                        amend=amend_changed,
                        advance=lambda n: progress.advance(task, n),
                    )
                except ApiError as exc:
                    progress.stop()
                    fail(f"{exc} (run the same command again to resume)")
                except KeyboardInterrupt:
                    progress.stop()
                    fail("interrupted: run the same command again to resume", 130)
                phases["send"] = round(time.monotonic() - began - sum(phases.values()), 2)
                all_rejects += sent.rejects
                report |= {
                    "imported": sent.created,
                    "amended": sent.amended,
                    "unchanged": sent.unchanged,
                }
                if not no_wait and sent.write_ids:
                    anchor_task = progress.add_task("Anchoring", total=len(sent.write_ids))
                    try:
                        anchoring = wait_anchored(
                            api,
                            sent.write_ids,
                            timeout=wait_timeout,
                            advance=lambda n: progress.advance(anchor_task, n),
                        )
                    except KeyboardInterrupt:
                        interrupted = True
                    phases["wait"] = round(time.monotonic() - began - sum(phases.values()), 2)
    report["rejected"] = len(all_rejects)
    report["rejected_by_reason"] = reasons_count(all_rejects)
    if not dry_run:
        waited = anchoring is not None and not interrupted
        report["anchored"] = anchoring.anchored if anchoring else (0 if not no_wait else None)
        report["failed"] = anchoring.failed if anchoring else 0
        report["not_anchored_yet"] = anchoring.pending if waited and anchoring else 0
        if no_wait or interrupted:
            report["not_anchored_yet"] = None  # not waited for
    if all_rejects:
        target = rejects or file.with_name(file.name + ".rejects.csv")
        write_rejects(target, table.headers, all_rejects)
        report["rejects_file"] = str(target)
    report["seconds"] = round(time.monotonic() - began, 2)
    report["phase_seconds"] = phases
    _print_report(report, dry_run=dry_run, as_json=as_json)
    unfinished = bool(report.get("failed")) or bool(report.get("not_anchored_yet"))
    raise typer.Exit(EXIT_FAILED if all_rejects or unfinished else EXIT_OK)


_LABELS = (
    ("rows", "Zeilen / rows"),
    ("ok", "geprüft ok / checked ok"),
    ("imported", "neu / imported"),
    ("amended", "geändert / amended"),
    ("unchanged", "unverändert / unchanged"),
    ("rejected", "abgelehnt / rejected"),
    ("anchored", "verankert / anchored"),
    ("failed", "fehlgeschlagen / failed"),
    ("not_anchored_yet", "noch nicht verankert / not anchored yet"),
)


def _print_report(report: dict[str, Any], *, dry_run: bool, as_json: bool) -> None:
    if as_json:
        print_json({"dry_run": dry_run, **report})
        return
    title = "Probelauf / dry run" if dry_run else "Import"
    print_line(f"{title}: {report['register']} from {report['file']}")
    for name, label in _LABELS:
        if report.get(name) is not None:
            print_line(f"  {label:<40} {report[name]}")
    for reason, count in report["rejected_by_reason"].items():
        print_line(f"    {reason:<38} {count}")
    if report["ignored_columns"]:
        print_line(f"  ignored columns: {', '.join(report['ignored_columns'])}")
    if "rejects_file" in report:
        print_line(f"  rejects file: {report['rejects_file']}")
    print_line(f"  {report['seconds']} s")


def export(
    register: Annotated[str, typer.Argument(help="the register, e.g. TRADE")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FILE", help="the file to write")],
    format_: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="csv | json | xlsx")
    ] = "csv",
    history: Annotated[
        bool, typer.Option("--history", help="every version, not only the current one")
    ] = False,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key_file: ApiKeyFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Export a register's records with, for each version, its content, salt, content hash,
    transaction, block and Merkle proof: the archive can be checked against the chain without
    the API. CSV and xlsx files import again with `registry import` (no mapping needed)."""
    if format_ not in FORMATS:
        refuse(f"--format must be one of {', '.join(FORMATS)}")
    token = api_key(api_key_file)
    if not token:
        refuse("no API key: set $CITY_REGISTRY_API_KEY or give --api-key-file")
    with RegisterApi(api_url, token) as api:
        try:
            info = api.register(register)
            written = write_export(
                out, format_, info, api.archive(register, latest_only=not history)
            )
        except ApiError as exc:
            fail(str(exc))
    result = {"register": register, "file": str(out), "format": format_, **written}
    if as_json:
        print_json(result)
    else:
        say(f"wrote {written['records']} records, {written['versions']} versions to {out}")


def register(app: typer.Typer) -> None:
    app.command("import", epilog=IMPORT_EXIT)(import_file)
    app.command("export")(export)
