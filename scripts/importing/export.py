"""``registry export``: a register's records for the department's archive.

Each version carries what a check against the chain needs without the API: its content and salt
(content hash = keccak256(salt ‖ RFC 8785 JSON)), the content hash, the previous version's hash,
the transaction and block, and for batch-anchored versions the Merkle root, leaf and proof
(``RegisterHub.verifyBatchLeaf``).

- ``json``: ``{"format": "city-registry-export/1", "register": {…, "schema", "schema_hash"},
  "history": bool, "exported_at": …, "records": [{id, key, mode, status, created_at,
  versions: [{version_index, status, content, salt, content_hash, previous_hash, erasure_reason,
  write_status, tx_hash, block_number, merkle_root, leaf, proof}]}]}``
- ``csv`` (``;``, UTF-8 with BOM) and ``xlsx`` (sheet ``records``, then a sheet ``register``):
  one row per version; columns ``record_id``, ``key`` (the record's import key, else its record
  id), ``version``, ``status``, then one column per content field (dotted paths for nested
  objects), then ``content_hash``, ``salt``, ``previous_hash``, ``write_status``, ``tx_hash``,
  ``block``, ``merkle_root``, ``leaf``, ``proof`` (space-separated). ``registry import`` reads
  them back without a mapping file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scripts.importing.mapping import schema_fields

FORMATS = ("csv", "json", "xlsx")
HEAD = ["record_id", "key", "version", "status"]
TAIL = [
    "content_hash", "salt", "previous_hash", "write_status", "tx_hash", "block",
    "merkle_root", "leaf", "proof",
]  # fmt: skip


def _flatten(content: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in content.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{name}.")
        elif isinstance(value, list):
            yield f"{prefix}{name}", json.dumps(value, ensure_ascii=False)
        else:
            yield f"{prefix}{name}", value


def _rows(records: list[dict[str, Any]], fields: list[str]) -> Iterator[list[Any]]:
    for record in records:
        for version in record["versions"]:
            content = dict(_flatten(version["content"] or {}))
            yield [
                record["id"],
                record["key"] or record["id"],
                version["version_index"],
                version["status"],
                *(content.get(f, "") for f in fields),
                version["content_hash"],
                version["salt"] or "",
                version["previous_hash"],
                version["write_status"],
                version["tx_hash"] or "",
                version["block_number"] if version["block_number"] is not None else "",
                version["merkle_root"] or "",
                version["leaf"] or "",
                " ".join(version["proof"] or []),
            ]


def _fields(schema: dict[str, Any], records: list[dict[str, Any]]) -> list[str]:
    """The schema's fields in its order, then any other field a content has (older schemas)."""
    fields = list(schema_fields(schema))
    seen = set(fields)
    for record in records:
        for version in record["versions"]:
            for name, _ in _flatten(version["content"] or {}):
                if name not in seen:
                    seen.add(name)
                    fields.append(name)
    return fields


def write_export(
    out: Path, format_: str, register: dict[str, Any], records_in: Iterable[dict[str, Any]]
) -> dict[str, int]:
    records = list(records_in)
    versions = sum(len(r["versions"]) for r in records)
    info = {k: register[k] for k in ("id", "name", "department", "schema", "schema_hash")}
    if format_ == "json":
        document = {
            "format": "city-registry-export/1",
            "register": info,
            "exported_at": datetime.now(UTC).isoformat(),
            "records": records,
        }
        out.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
        return {"records": len(records), "versions": versions}
    fields = _fields(register["schema"], records)
    header = [*HEAD, *fields, *TAIL]
    if format_ == "csv":
        with out.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(_rows(records, fields))
    else:
        from openpyxl import Workbook  # only xlsx needs it

        book = Workbook(write_only=True)
        sheet = book.create_sheet("records")
        sheet.append(header)
        for row in _rows(records, fields):
            sheet.append(row)
        about = book.create_sheet("register")
        for name in ("id", "name", "department", "schema_hash"):
            about.append([name, str(info[name])])
        about.append(["schema", json.dumps(info["schema"], ensure_ascii=False)])
        book.save(out)
    return {"records": len(records), "versions": versions}
