"""From a table's rows to records: map, convert, check the key, validate against the register's
JSON Schema with the validator the API uses (``registry_core.schemas``); every refused row becomes
a :class:`Reject` with its reasons in German and English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry_core.schemas import Violation, validator_for
from scripts.importing.mapping import (
    ABSENT,
    ConversionError,
    Mapping,
    MappingError,
    convert,
    put,
    schema_fields,
)
from scripts.importing.readers import Table

KEY_SEPARATOR = " | "  # between the cells of a key of several columns
KEY_MAX = 200  # the API's limit


@dataclass(frozen=True)
class Reason:
    field: str  # the schema field (a.b), or the key's column(s)
    de: str
    en: str
    code: str  # schema keyword, or conversion | key-missing | key-duplicate | changed | not-active


@dataclass
class Reject:
    row: int
    key: str
    cells: list[Any]
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class Row:
    row: int
    key: str
    record: dict[str, Any]
    cells: list[Any]


@dataclass
class Checked:
    rows: list[Row]
    rejects: list[Reject]
    ignored_columns: list[str]


_SCHEMA_DE = {
    "required": "Pflichtfeld fehlt",
    "enum": "Wert ist nicht erlaubt",
    "const": "Wert ist nicht erlaubt",
    "pattern": "Wert hat nicht die verlangte Form",
    "format": "Wert hat nicht das verlangte Format",
    "type": "Wert hat den falschen Typ",
    "minLength": "Text ist zu kurz",
    "maxLength": "Text ist zu lang",
    "minimum": "Zahl ist zu klein",
    "exclusiveMinimum": "Zahl ist zu klein",
    "maximum": "Zahl ist zu groß",
    "exclusiveMaximum": "Zahl ist zu groß",
    "additionalProperties": "Feld gehört nicht zum Register",
}


def schema_reason(violation: Violation) -> Reason:
    where = violation.path.strip("/").replace("/", ".")
    if violation.keyword in ("required", "additionalProperties") and violation.name:
        where = f"{where}.{violation.name}" if where else violation.name
    german = _SCHEMA_DE.get(violation.keyword, "verletzt das Schema des Registers")
    return Reason(
        field=where or "/",
        de=f"{german} ({violation.message})",
        en=violation.message,
        code=violation.keyword or "schema",
    )


def _key(cells: dict[str, Any], mapping: Mapping) -> str:
    parts = []
    for column in mapping.key:
        value = cells.get(column)
        text = "" if value is None else str(value).strip()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        parts.append(text)
    return KEY_SEPARATOR.join(parts) if any(parts) else ""


def check_rows(table: Table, mapping: Mapping, schema: dict[str, Any]) -> Checked:
    """Every row of ``table`` as a record of the register, or a reject with its reasons."""
    missing = [c for c in [*mapping.key, *mapping.columns] if c not in table.headers]
    if missing:
        raise MappingError(
            f"the file has no column {', '.join(repr(c) for c in missing)} "
            f"(its columns: {', '.join(table.headers)})"
        )
    types = schema_fields(schema)
    validator = validator_for(schema)
    index = {name: position for position, name in enumerate(table.headers)}
    key_label = " + ".join(mapping.key)
    used = set(mapping.key) | set(mapping.columns)
    ignored = [h for h in table.headers if h and h not in used]
    rows: list[Row] = []
    rejects: list[Reject] = []
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        named = {h: (cells[i] if i < len(cells) else None) for h, i in index.items()}
        key = _key(named, mapping)
        reject = Reject(row=number, key=key, cells=cells)
        if not key:
            reject.reasons.append(
                Reason(key_label, "Schlüssel fehlt", "the key is empty", "key-missing")
            )
        elif len(key) > KEY_MAX:
            reject.reasons.append(
                Reason(
                    key_label,
                    f"Schlüssel ist länger als {KEY_MAX} Zeichen",
                    f"the key is longer than {KEY_MAX} characters",
                    "key-too-long",
                )
            )
        elif key in seen:
            reject.reasons.append(
                Reason(
                    key_label,
                    f"Schlüssel steht schon in Zeile {seen[key]}",
                    f"the key is in row {seen[key]} already",
                    "key-duplicate",
                )
            )
        if key:
            seen.setdefault(key, number)
        record: dict[str, Any] = {}
        for column, rule in mapping.columns.items():
            try:
                value = convert(named[column], rule, types.get(rule.field, "any"))
            except ConversionError as exc:
                reject.reasons.append(Reason(rule.field, exc.de, exc.en, "conversion"))
                continue
            if value is not ABSENT:
                put(record, rule.field, value)
        # Every problem of the row at once (a clerk fixes the row in one go), except the schema's
        # complaint about a field whose cell could not be converted.
        unconverted = {r.field for r in reject.reasons if r.code == "conversion"}
        for violation in validator.violations([record]):
            reason = schema_reason(violation)
            if reason.field not in unconverted:
                reject.reasons.append(reason)
        if reject.reasons:
            rejects.append(reject)
            continue
        rows.append(Row(row=number, key=key, record=record, cells=cells))
    return Checked(rows=rows, rejects=rejects, ignored_columns=ignored)
