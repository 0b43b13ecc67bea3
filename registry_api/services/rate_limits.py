"""Fixed-window rate limits kept in the SQL store, so that every API process counts together.

One small module on purpose: issue 12 generalises limits to every public endpoint and takes it
over. ``hit`` counts one request for ``key`` in the current window and says whether it is within
``limit``; the count is one atomic ``UPDATE`` (or the ``INSERT`` that opens the window).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from registry_api.models.identity_tables import RateCounter


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    window_seconds: int

    def retry_after(self, now: int) -> int:
        return self.window_seconds - now % self.window_seconds


def hit(session: Session, limit: Limit, client: str, *, now: int) -> bool:
    """Count a request of ``client``; True while the window's count stays within the limit."""
    key = f"{limit.name}:{client}"[:120]
    window = now - now % limit.window_seconds
    updated = session.exec(
        update(RateCounter)
        .where(col(RateCounter.key) == key, col(RateCounter.window) == window)
        .values(count=col(RateCounter.count) + 1)
    )
    if updated.rowcount == 0:
        try:
            with session.begin_nested():
                session.add(RateCounter(key=key, window=window, count=1))
        except IntegrityError:  # another process opened the window first
            return hit(session, limit, client, now=now)
    count = session.exec(
        select(RateCounter.count).where(RateCounter.key == key, RateCounter.window == window)
    ).one()
    session.commit()
    return int(count) <= limit.limit
