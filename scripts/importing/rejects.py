"""The rejects file: one line per refused row, for a clerk to open in a spreadsheet program, fix
and import again.

CSV with ``;`` in UTF-8 with BOM (Excel and LibreOffice then read umlauts right). Columns:
``Zeile / row``, ``Schlüssel / key``, ``Feld / field`` (the failing fields, ``, ``-separated),
``Grund`` (German), ``Reason`` (English; several reasons ``" | "``-separated), then the row's
original cells under their original headers, so the same mapping imports the fixed file.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from scripts.importing.rows import Reject

FIXED_COLUMNS = ["Zeile / row", "Schlüssel / key", "Feld / field", "Grund", "Reason"]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def write_rejects(path: Path, headers: list[str], rejects: list[Reject]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow([*FIXED_COLUMNS, *headers])
        for reject in sorted(rejects, key=lambda r: r.row):
            cells = [_cell(c) for c in reject.cells] + [""] * (len(headers) - len(reject.cells))
            writer.writerow(
                [
                    str(reject.row),
                    reject.key,
                    ", ".join(dict.fromkeys(r.field for r in reject.reasons)),
                    " | ".join(r.de for r in reject.reasons),
                    " | ".join(r.en for r in reject.reasons),
                    *cells[: len(headers)],
                ]
            )


def reasons_count(rejects: list[Reject]) -> dict[str, int]:
    """Rows refused per reason code (a row with two reasons counts for both)."""
    counts: Counter[str] = Counter()
    for reject in rejects:
        counts.update({r.code for r in reject.reasons})
    return dict(sorted(counts.items()))
