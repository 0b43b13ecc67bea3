"""The base of every request body: a JSON value the API can hash exactly, checked once.

Writes hash their bodies before anything else looks at them: the ``Idempotency-Key`` fingerprint
canonicalises the whole body (RFC 8785), a new register's schema is hashed for the chain, a
record's content is hashed with its salt. RFC 8785 has no form for integers beyond
±(2**53 - 1), NaN or infinities (Python's JSON parser accepts ``NaN`` and ``1e999``) or strings
with lone surrogates (``"\\ud800"`` parses), so one such value anywhere in a body made every one
of those hashes fail with a 500. Instead the body is
refused here, as the ``422 invalid-request`` problem, before any field is validated.
"""

from __future__ import annotations

import math
import types
from datetime import UTC, datetime
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, model_validator

MAX_SAFE_INTEGER = 2**53 - 1
# Nesting deeper than any schema or record needs (and well inside Python's recursion limit of the
# validators, hashers and JSON writers that walk a body later).
MAX_DEPTH = 32


def json_problem(value: Any) -> str | None:
    """Why ``value`` cannot be hashed exactly as JSON (RFC 8785), None if it can."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(item, str):
            if not _utf8(item):
                return "a string with a lone surrogate (not Unicode text)"
            continue
        if isinstance(item, bool) or item is None:
            continue
        if isinstance(item, int):
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return f"integer outside JSON's exact range ±(2**53 - 1): {str(item)[:40]}"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"number {item} is not finite"
        elif isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
            stack.extend((k, depth + 1) for k in item)
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)
    return None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _takes_int(annotation: Any) -> bool:
    """An ``int`` field (``int``, ``int | None``): JSON gives it a number, never true/false/text."""
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return int in get_args(annotation) and bool not in get_args(annotation)
    return False


def _takes_ints(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_takes_ints(arg) for arg in get_args(annotation))
    return get_origin(annotation) is list and _takes_int(get_args(annotation)[0])


class ExactNumbers(BaseModel):
    """A body whose integer fields take JSON numbers only: pydantic's lax mode would read ``true``
    as 1 and ``"7"`` as 7, so a request outside the documented schema was accepted."""

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, field in cls.model_fields.items():
            value = data.get(field.alias or name)
            if _takes_int(field.annotation):
                values = [value]
            elif _takes_ints(field.annotation) and isinstance(value, list):
                values = value
            else:
                continue
            if any(isinstance(v, bool | str) for v in values):
                raise ValueError(f"{field.alias or name} must be an integer number")
        return data


class RequestBody(ExactNumbers):
    """A request body: any number in it fits RFC 8785 (see the module's docstring)."""

    @model_validator(mode="before")
    @classmethod
    def _exact_json(cls, data: Any) -> Any:
        reason = json_problem(data)
        if reason is not None:
            raise ValueError(f"the body cannot be hashed exactly: {reason}")
        return data


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# A moment in an answer: the store keeps UTC, but SQLite gives it back without its zone, and an
# RFC 3339 ``date-time`` (what the OpenAPI document promises) must name one.
UtcDateTime = Annotated[datetime, AfterValidator(_aware)]
