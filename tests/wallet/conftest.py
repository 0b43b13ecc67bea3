"""Wallet tests make throw-away keys with cheap scrypt parameters (test fixtures only: each such
key file and backup carries the ``x-city-test-fixture`` mark); real wallets use eth-account's
2**18."""

from __future__ import annotations

import pytest

from wallet.identities import TEST_FIXTURE_ENV


@pytest.fixture(autouse=True)
def cheap_test_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_FIXTURE_ENV, "cheap-scrypt")
