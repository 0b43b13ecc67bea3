"""Files of the import tests, made in the tests: CSV in UTF-8 and Windows-1252, .xlsx (openpyxl)
and .ods (written here: an OpenDocument spreadsheet is a zip with a mimetype entry, a manifest
and content.xml; python-calamine reads it like LibreOffice's own files)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook

HEADERS = ["Gewerbe-Nr", "Betriebsname", "Rechtsform", "Tätigkeit", "Straße", "PLZ", "Ort",
           "Angemeldet am"]  # fmt: skip


def trade_rows(count: int, *, start: int = 1, tag: str = "") -> list[list[Any]]:
    """``count`` valid rows of the trade office's sheet (German dates, e.K., umlauts)."""
    return [
        [f"GA-{n:05d}", f"Bäckerei Müller {n}{tag}", "e.K." if n % 2 else "GmbH",
         "Backwaren / bakery", f"Pontstraße {n}", "52062", "Aachen",
         f"{1 + n % 28:02d}.01.2026"]
        for n in range(start, start + count)
    ]  # fmt: skip


def write_csv(path: Path, rows: list[list[Any]], *, encoding: str, delimiter: str = ";") -> Path:
    lines = [delimiter.join(str(c) for c in row) for row in [HEADERS, *rows]]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[Any]], *, sheet: str = "Gewerbe") -> Path:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def _ods_cell(value: Any) -> str:
    if isinstance(value, bool):
        raise TypeError("no booleans in these sheets")
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if isinstance(value, dt.date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value.strftime('%d.%m.%Y')}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
        "</table:table-cell>"
    )


def write_ods(path: Path, rows: list[list[Any]], *, sheet: str = "Gewerbe") -> Path:
    body = "".join(
        "<table:table-row>" + "".join(_ods_cell(c) for c in row) + "</table:table-row>"
        for row in [HEADERS, *rows]
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{sheet}">{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        # The mimetype entry comes first and uncompressed (ODF 1.2, part 3, 3.3).
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)  # fmt: skip
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path
