"""The outbox sender, split along its seams: :mod:`.loop` (the rounds), :mod:`.lease` (one sender
per signer), :mod:`.nonces`, :mod:`.transmit` and :mod:`.refusals` (sending and what the answers
mean), :mod:`.receipts` (settling), :mod:`.recovery` (a store behind the chain). Planning writes
into transactions is pure and lives in ``registry_api.chain.planning``."""

from registry_api.chain.sender.loop import Sender

__all__ = ["Sender"]
