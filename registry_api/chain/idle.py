"""How long a worker loop waits between rounds: fast while there is work, slower while idle.

An idle demo used to poll the chain and the store some forty times a second (one round per sender
every 50 ms); each idle round now waits twice as long as the one before, up to a ceiling
(``CITY_API_IDLE_POLL_SECONDS``). A round with work, or a wake from the API (a write was
committed), brings back the fast interval at once, so a write never waits for the slow poll.
"""

from __future__ import annotations


class IdleBackoff:
    def __init__(self, fast: float, slowest: float) -> None:
        self.fast = fast
        self.slowest = max(fast, slowest)
        self._next = fast

    def busy(self) -> None:
        """Work was found (or announced): poll fast again."""
        self._next = self.fast

    def idle(self) -> float:
        """Nothing happened: the wait before the next round (doubling up to the ceiling)."""
        wait = self._next
        self._next = min(self._next * 2, self.slowest)
        return wait
