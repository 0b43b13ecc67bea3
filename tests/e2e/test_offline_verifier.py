"""An offline verifier's handheld (``city-wallet`` in-process) against the API over real HTTP: a
credential issued after its trust bundle cannot be confirmed offline yet (exit code 3), and
``city-wallet trust update`` fetches only the delta since the bundle's block and confirms it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from tests.e2e.conftest import PagesApi
from tests.e2e.test_verify_page import _issue
from tests.fixture_keys import TEST_SCRYPT_N
from wallet.cli import main
from wallet.core import Wallet
from wallet.identities import KeyCost


def test_trust_update_over_http_turns_cannot_confirm_yet_into_valid(
    pages_api: PagesApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "handheld"
    Wallet(home, cost=KeyCost(TEST_SCRYPT_N)).add_account(Account.create(), "handheld-test")
    cli = lambda *args: main(["--home", str(home), *args])  # noqa: E731
    signer = pages_api.client.get("/credentials/trust-bundle/signer").json()["signer"]
    bundle = pages_api.client.get("/credentials/trust-bundle").json()
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    assert cli("trust", "pin", signer) == 0
    assert cli("trust", "import", str(tmp_path / "bundle.json")) == 0
    issued = _issue(pages_api)
    capsys.readouterr()

    assert cli("verify", issued["qr_payload"], "--json") == 3
    assert json.loads(capsys.readouterr().out)["outcome"] == "unconfirmed"
    assert cli("trust", "update", "--api", pages_api.url, "--json") == 0
    updated = json.loads(capsys.readouterr().out)
    assert updated["from_block"] == bundle["as_of_block"] < updated["as_of_block"]
    assert cli("verify", issued["qr_payload"]) == 0
    assert capsys.readouterr().out.startswith("GÜLTIG / VALID")
    assert cli("trust", "update", "--api", pages_api.url) == 0  # nothing new: still fine
