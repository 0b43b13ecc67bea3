"""Which nonces a signer's next transactions get: assigned at source, never one the chain used.

The next nonce is past both the chain's count of the signer's transactions and every nonce the
store holds. A transaction refused for good gives its nonce back: when later transactions were
accepted meanwhile (they wait in the node's pool behind the gap), the gap is handed out first, so
the chain can go on; otherwise the next nonce simply steps back.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from registry_api.models.tables import ChainTx


class NonceBook:
    def __init__(self, signer: str) -> None:
        self.signer = signer
        self._next: int | None = None
        self._gaps: list[int] = []

    @property
    def known(self) -> bool:
        return self._next is not None

    def forget(self) -> None:
        """Another sender may have used the signer, or a nonce came back: read the store again."""
        self._next = None
        self._gaps = []

    def load(self, session: Session, chain_nonce: int) -> None:
        """From the store's transactions and the chain's count (``eth_getTransactionCount``)."""
        highest = session.execute(
            select(func.max(ChainTx.nonce)).where(col(ChainTx.signer) == self.signer)
        ).scalar()
        self._next = max(chain_nonce, highest + 1 if highest is not None else 0)
        held = set(
            session.execute(
                select(col(ChainTx.nonce))
                .where(col(ChainTx.signer) == self.signer)
                .where(col(ChainTx.nonce) >= chain_nonce)
            ).scalars()
        )
        self._gaps = [n for n in range(chain_nonce, self._next) if n not in held]

    @property
    def gaps(self) -> list[int]:
        return list(self._gaps)

    def take(self, count: int) -> list[int]:
        """``count`` nonces: the gaps first, then onwards (call :meth:`load` first)."""
        assert self._next is not None, "NonceBook.load first"
        taken = self._gaps[:count]
        rest = count - len(taken)
        taken += list(range(self._next, self._next + rest))
        return taken

    def commit(self, taken: list[int]) -> None:
        """The nonces of :meth:`take` are stored now."""
        assert self._next is not None
        used = set(taken)
        self._gaps = [n for n in self._gaps if n not in used]
        if taken:
            self._next = max(self._next, max(taken) + 1)
