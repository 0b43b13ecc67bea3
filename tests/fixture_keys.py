"""Test fixtures only: keystores made by the tests use a cheap scrypt cost.

Real keystores use eth-account's default (n = 2**18, about a second per unlock on a free core); the
API and its worker process unlock every department key at start, so on a loaded machine the
default cost alone used up the tests' time bounds. These keys guard nothing but local test chains.
"""

TEST_SCRYPT_N = 2**10
