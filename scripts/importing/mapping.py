"""The mapping file of ``registry import``: which column becomes which schema field, and how.

A YAML document (see ``scripts/examples/trade-mapping.yaml`` and the README)::

    register: TRADE                  # optional; checked against the command's REGISTER
    key: [Gewerbe-Nr]                # the column(s) that form the row's stable key
    csv: {delimiter: ";", encoding: cp1252}   # optional; detected otherwise
    sheet: Gewerbe                   # .xlsx/.ods: the sheet (default: the first)
    columns:
      Betriebsname: business_name    # short form: the field's path (dots for nested objects)
      PLZ: {field: address.postal_code, zfill: 5}
      Angemeldet am: {field: registered_on, type: date}   # 05.01.2026 -> 2026-01-05
      Fläche: {field: area_m2, type: number}              # 1.234,5 -> 1234.5
      Rechtsform: {field: legal_form, map: {"e.K.": eK}}

Without a mapping file every column whose header is a field path of the schema is mapped to it
(with the type the schema gives), the key column is ``--key`` (default ``key``) and other columns
are ignored: this reads the files that ``registry export`` writes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

FieldType = Literal["string", "integer", "number", "boolean", "date"]
DATE_FORMATS = ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d")
TRUE_WORDS = {"ja", "j", "yes", "y", "true", "wahr", "1", "x"}
FALSE_WORDS = {"nein", "n", "no", "false", "falsch", "0"}


class MappingError(ValueError):
    """The mapping file is not valid (the message names the place)."""


class ConversionError(ValueError):
    """A cell cannot be converted; ``de``/``en`` say why, for the rejects file."""

    def __init__(self, de: str, en: str) -> None:
        super().__init__(en)
        self.de = de
        self.en = en


class ColumnRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=200, description="the schema field, a.b for nested")
    type: FieldType | None = Field(default=None, description="default: the schema's type")
    formats: list[str] = Field(default_factory=lambda: list(DATE_FORMATS))
    decimal: Literal["auto", "comma", "point"] = "auto"
    trim: bool = True
    empty: Literal["absent", "keep"] = "absent"
    zfill: int | None = Field(default=None, ge=1, le=64)
    map: dict[str, Any] = Field(default_factory=dict, description="cell text -> value")


class CsvOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    encoding: str | None = None


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    register_id: str | None = Field(default=None, alias="register")
    key: list[str] = Field(min_length=1)
    csv: CsvOptions = Field(default_factory=CsvOptions)
    sheet: str | None = None
    columns: dict[str, ColumnRule] = Field(min_length=1)

    @field_validator("key", mode="before")
    @classmethod
    def _one_key(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("columns", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"field": v} if isinstance(v, str) else v for k, v in value.items()}
        return value


def load_mapping(path: Path) -> Mapping:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"cannot read the mapping file {path}: {exc}") from None
    try:
        return Mapping.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise MappingError(f"the mapping file {path} is not valid: {problems}") from None


def schema_fields(schema: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Field path -> JSON type (``date`` for ``format: date``) of every leaf of ``schema``."""
    fields: dict[str, str] = {}
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        if not isinstance(sub, dict):
            continue
        kind = sub.get("type")
        if kind == "object" or "properties" in sub:
            fields.update(schema_fields(sub, path + "."))
            continue
        if sub.get("format") == "date":
            fields[path] = "date"
        elif isinstance(kind, str):
            fields[path] = kind
        elif "enum" in sub and all(isinstance(v, str) for v in sub["enum"]):
            fields[path] = "string"
        else:
            fields[path] = "any"
    return fields


def mapping_from_headers(headers: list[str], schema: dict[str, Any], key: str) -> Mapping:
    """The implicit mapping: headers that are field paths of the schema, typed by the schema."""
    fields = schema_fields(schema)
    columns = {h: {"field": h} for h in headers if h in fields}
    if not columns:
        raise MappingError(
            "no column header is a field of the register's schema "
            f"({', '.join(sorted(fields))}); give a mapping file with --mapping"
        )
    return Mapping.model_validate({"key": [key], "columns": columns})


# ---- conversions -------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?[0-9.,']+$")


def _number_text(text: str, decimal: str) -> str:
    text = text.replace(" ", "").replace("\u00a0", "").replace("'", "")
    if decimal == "auto":
        # The right-most separator is the decimal one when both occur (1.234,5 / 1,234.5);
        # a comma alone is a German decimal comma.
        if "," in text and "." in text:
            decimal = "comma" if text.rfind(",") > text.rfind(".") else "point"
        else:
            decimal = "comma" if "," in text else "point"
    if decimal == "comma":
        return text.replace(".", "").replace(",", ".")
    return text.replace(",", "")


def _as_number(value: Any, rule: ColumnRule, integer: bool) -> int | float:
    if isinstance(value, bool):
        raise ConversionError(f"„{value}“ ist keine Zahl", f"'{value}' is not a number")
    if isinstance(value, int | float):
        number = Decimal(str(value))
    else:
        text = str(value)
        if not _NUMBER.match(text.replace(" ", "").replace("\u00a0", "")):
            raise ConversionError(f"„{text}“ ist keine Zahl", f"'{text}' is not a number")
        try:
            number = Decimal(_number_text(text, rule.decimal))
        except InvalidOperation:
            raise ConversionError(f"„{text}“ ist keine Zahl", f"'{text}' is not a number") from None
    integral = number == number.to_integral_value()
    if integer and not integral:
        raise ConversionError(f"„{value}“ ist keine ganze Zahl", f"'{value}' is not a whole number")
    return int(number) if integral else float(number)


_FAST_DATES = {
    "%d.%m.%Y": re.compile(r"^(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4})$"),
    "%Y-%m-%d": re.compile(r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})$"),
}


def _as_date(value: Any, rule: ColumnRule) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    for form in rule.formats:
        fast = _FAST_DATES.get(form)
        if fast is not None:  # strptime costs ~50 µs a call; 20,000 rows call it 20,000 times
            match = fast.match(text)
            if match is None:
                continue
            day, month, year = (int(match[name]) for name in ("d", "m", "y"))
            try:
                return dt.date(year, month, day).isoformat()
            except ValueError:
                continue
        try:
            return dt.datetime.strptime(text, form).date().isoformat()
        except ValueError:
            continue
    shown = " / ".join(
        f.replace("%d", "TT").replace("%m", "MM").replace("%Y", "JJJJ").replace("%y", "JJ")
        for f in rule.formats
    )
    raise ConversionError(
        f"„{text}“ ist kein Datum der Form {shown}",
        f"'{text}' is not a date of the form {shown.replace('TT', 'DD').replace('JJ', 'YY')}",
    )


def _as_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ConversionError(f"„{value}“ ist weder ja noch nein", f"'{value}' is neither yes nor no")


def _as_string(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet's number cell in a text field (postal codes)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Absent:
    """The cell gives no value: the field is left out of the record."""


ABSENT = Absent()


def convert(value: Any, rule: ColumnRule, schema_type: str) -> Any:
    """One cell's value for its field, or ``ABSENT``; raises :class:`ConversionError`."""
    if isinstance(value, str) and rule.trim:
        value = value.strip()
    if value is None or value == "":
        return ABSENT if rule.empty == "absent" else ""
    if rule.map:
        key = _as_string(value)
        if key in rule.map:
            return rule.map[key]
    kind = rule.type or schema_type
    if kind in ("number", "integer"):
        return _as_number(value, rule, kind == "integer")
    if kind == "date":
        return _as_date(value, rule)
    if kind == "boolean":
        return _as_boolean(value)
    if kind == "string" or isinstance(value, dt.date):
        text = _as_string(value)
        return text.zfill(rule.zfill) if rule.zfill else text
    return value


def put(record: dict[str, Any], path: str, value: Any) -> None:
    """``record[a][b] = value`` for the path ``a.b``."""
    *parents, leaf = path.split(".")
    node = record
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise MappingError(f"field {path}: {part} is both a value and an object")
        node = child
    node[leaf] = value
