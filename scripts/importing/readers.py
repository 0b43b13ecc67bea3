"""Rows of a CSV, .xlsx or .ods file: the header row and, for each data row, its row number as a
spreadsheet program shows it (the header is row 1) and its cells.

CSV: the encoding is UTF-8 when the file starts with a BOM; otherwise the one given on the command
line, else UTF-8 when the bytes are valid UTF-8, else the mapping's encoding or Windows-1252 (what
Excel on a German Windows writes); the delimiter is guessed from the header
line among ``;`` ``,`` tab and ``|``, unless given. Spreadsheets are read with python-calamine
(cells keep their types: numbers, dates, text).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

SPREADSHEETS = {".xlsx", ".xlsm", ".xls", ".ods"}
DELIMITERS = ";,\t|"


class ReadError(ValueError):
    """The file cannot be read as a table."""


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number, cells)
    encoding: str | None = None  # CSV only
    delimiter: str | None = None  # CSV only


def _decode(raw: bytes, encoding: str | None, fallback: str) -> tuple[str, str]:
    if raw.startswith(codecs.BOM_UTF8):
        # A BOM settles it: a rejects file (UTF-8 with BOM) of a Windows-1252 import imports
        # again with the same mapping.
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8"
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError) as exc:
            raise ReadError(f"the file is not {encoding}: {exc}") from None
    try:
        # Text in Windows-1252 with umlauts is practically never valid UTF-8.
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode(fallback, errors="replace"), fallback
    except LookupError:
        raise ReadError(f"unknown encoding {fallback}") from None


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(
    path: Path, *, encoding: str | None, delimiter: str | None, fallback: str = "cp1252"
) -> Table:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot read {path}: {exc}") from None
    text, used = _decode(raw, encoding, fallback)
    first_line = text.split("\n", 1)[0]
    sep = delimiter or _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    return _table(reader, encoding=used, delimiter=sep)


def read_spreadsheet(path: Path, *, sheet: str | None) -> Table:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types per format
        raise ReadError(f"cannot read {path} as a spreadsheet: {exc}") from None
    names = workbook.sheet_names
    if sheet is not None and sheet not in names:
        raise ReadError(f"{path} has no sheet {sheet!r} (sheets: {', '.join(names)})")
    if not names:
        raise ReadError(f"{path} has no sheet")
    cells = workbook.get_sheet_by_name(sheet or names[0]).to_python(skip_empty_area=False)
    return _table(iter(cells))


def _table(rows: Iterator[list[Any]], **facts: Any) -> Table:
    headers: list[str] | None = None
    body: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(rows, start=1):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue  # empty lines (and a spreadsheet's empty rows) carry no record
        if headers is None:
            headers = [str(c).strip() for c in cells]
            continue
        body.append((number, list(cells)))
    if headers is None:
        raise ReadError("the file has no header row")
    return Table(headers=headers, rows=body, **facts)


def read_table(
    path: Path,
    *,
    encoding: str | None = None,
    fallback_encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Table:
    """``encoding`` is used as told; ``fallback_encoding`` (default Windows-1252) only for a
    file that has no BOM and is not valid UTF-8."""
    if path.suffix.lower() in SPREADSHEETS:
        return read_spreadsheet(path, sheet=sheet)
    return read_csv(
        path, encoding=encoding, delimiter=delimiter, fallback=fallback_encoding or "cp1252"
    )
