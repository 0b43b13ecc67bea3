"""The per-client request counts of the public endpoints (``registry_api/api/rate_limit.py``).

In the store, not in a process: every API replica counts into the same rows, so a client that
spreads its requests over replicas meets the same limit.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class RateLimitHit(SQLModel, table=True):
    __tablename__ = "rate_limit_hit"

    bucket: str = Field(primary_key=True, max_length=100)  # limit name + client address
    window: int = Field(sa_column=Column(BigInteger, primary_key=True))  # unix minute
    hits: int = Field(default=0)
