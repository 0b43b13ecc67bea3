"""The Besu QBFT network kit (``registry network …``): everything a city needs to move from the
embedded anvil to a permissioned Hyperledger Besu network of four or more validators.

- ``genesis``: the QBFT genesis (gas-free; contract validator selection) and its ``extraData``.
- ``validator_set``: the ``ValidatorSet`` contract's genesis ``alloc`` (runtime code and storage)
  and the council decisions that change it.
- ``nodes``: validator node keys (encrypted at rest, decrypted into memory-backed storage at
  start), enode URLs and the nodes' TOML configuration.
- ``kit``: writes and reads the kit folder (``network.json`` holds its facts, never a secret).
- ``status``: which validators seal blocks, from standard JSON-RPC only.
"""
