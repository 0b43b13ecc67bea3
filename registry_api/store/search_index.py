"""The plaintext search index of a record (``record.search_text``): only what may stay plain.

Contents are sealed (``registry_api.store.records``), the search index is not: it holds only the
values of fields the register's schema marks ``"x-searchable": true`` (a JSON Schema annotation,
ignored by validation), and a register marks only fields without personal data. A marked object
or array is indexed with everything inside it. A register that marks nothing is not searchable
by content (``?q=`` finds none of its records).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import orjson

from registry_core.schemas import SEARCHABLE

MAX_CHARS = 16_000

Path = tuple[str, ...]


def searchable_paths(schema: dict[str, Any]) -> list[Path]:
    """The property paths the schema marks searchable (through nested ``properties``)."""
    return _paths(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))


@lru_cache(maxsize=256)
def _paths(schema_json: bytes) -> list[Path]:
    found: list[Path] = []

    def walk(node: Any, path: Path) -> None:
        if not isinstance(node, dict):
            return
        if path and node.get(SEARCHABLE) is True:
            found.append(path)
            return
        for name, child in (node.get("properties") or {}).items():
            walk(child, (*path, name))

    walk(orjson.loads(schema_json), ())
    return found


def _scalars(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def search_text(schema: dict[str, Any], content: dict[str, Any] | None) -> str:
    """The searchable fields' values, lower case, one space apart (at most 16,000 characters)."""
    if content is None:
        return ""
    parts: list[str] = []
    for path in searchable_paths(schema):
        value: Any = content
        for name in path:
            value = value.get(name) if isinstance(value, dict) else None
        parts.extend(_scalars(value))
    return " ".join(parts).lower()[:MAX_CHARS]
