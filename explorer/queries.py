"""Reads of the cache that several pages share: event lists by name, subject, scope or key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from explorer.store import EventKey, EventRow
from explorer.web import Paging


def events(
    engine: Engine,
    *,
    names: Sequence[str] | None = None,
    subject: str | None = None,
    scope: str | None = None,
    key: str | None = None,
    paging: Paging | None = None,
    newest_first: bool = True,
    blocks: tuple[int, int] | None = None,
) -> tuple[list[EventRow], int]:
    """Matching events (a page of them, if ``paging``; in the inclusive block range ``blocks``)
    and how many match in all."""
    query: Any = select(EventRow)
    counting: Any = select(func.count()).select_from(EventRow)
    conditions: list[Any] = []
    if names is not None:
        conditions.append(col(EventRow.name).in_(list(names)))
    if subject is not None:
        conditions.append(EventRow.subject == subject)
    if scope is not None:
        conditions.append(EventRow.scope == scope)
    if blocks is not None:
        conditions.append(col(EventRow.block_number).between(*blocks))
    if key is not None:
        query = query.join(EventKey, col(EventKey.event_id) == col(EventRow.id))
        counting = counting.join(EventKey, col(EventKey.event_id) == col(EventRow.id))
        conditions.append(EventKey.key == key)
    for condition in conditions:
        query = query.where(condition)
        counting = counting.where(condition)
    order = col(EventRow.id).desc() if newest_first else col(EventRow.id)
    query = query.order_by(order)
    with Session(engine) as session:
        if paging is not None:
            query = query.offset(paging.offset).limit(paging.size)
            total = int(session.exec(counting).one())
        rows = list(session.exec(query).all())
        if paging is None:
            total = len(rows)
    return rows, total


def has_key(engine: Engine, key: str) -> bool:
    with Session(engine) as session:
        return (
            session.exec(select(EventKey.event_id).where(EventKey.key == key).limit(1)).first()
            is not None
        )


def subjects(
    engine: Engine, *, names: Sequence[str], scope: str | None, paging: Paging
) -> tuple[list[tuple[str, int, int, int]], int]:
    """Distinct subjects of events (newest first): (subject, events, first block, last block)."""
    conditions: list[Any] = [col(EventRow.name).in_(list(names))]
    if scope is not None:
        conditions.append(EventRow.scope == scope)
    grouped: Any = (
        select(
            EventRow.subject,
            func.count(),
            func.min(EventRow.block_number),
            func.max(EventRow.block_number),
        )
        .where(*conditions)
        .group_by(EventRow.subject)
        .order_by(func.max(EventRow.id).desc())
        .offset(paging.offset)
        .limit(paging.size)
    )
    counting: Any = select(func.count(func.distinct(EventRow.subject))).where(*conditions)
    with Session(engine) as session:
        rows = [(str(s), int(n), int(a), int(b)) for s, n, a, b in session.exec(grouped).all()]
        total = int(session.exec(counting).one())
    return rows, total
