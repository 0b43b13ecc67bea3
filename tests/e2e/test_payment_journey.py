"""Paying the city from ``city-wallet`` (in-process CLI against the API over real HTTP):

1. a fee-bearing certificate: sign in → request → the department approves (the request waits for
   its fee) → ``pay`` (no ETH, not allow-listed: the API relays permit + order) → the request is
   released → ``receive`` (OpenID4VCI); the receipt on chain names the request;
2. an hour of parking paid per minute: ``park --minutes 60`` hands over 60 vouchers in simulated
   time (one clock for the API and the wallet), the officer's check (``check-parking``) says paid
   until the right minute, then the test node's time moves (on its own port, never through the gateway) and the
   worker settles the channel once before it expires.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner

import wallet.cli.payments as wallet_payments
from registry_core.codes import code_to_bytes32
from registry_core.council import chain_view
from registry_core.payments.parking import ChainChannels, check_parking
from registry_core.payments.types import CHANNELS_CONTRACT
from registry_core.payments.voucher_qr import decode_voucher_payload
from registry_core.payments.wire import request_ref
from registry_core.rpc import RpcClient
from scripts.payments_seed import mint_balances
from tests.api_process import poll
from tests.conftest import free_port
from tests.payment_fixtures import SETTLE_MARGIN, PaymentApi
from wallet.cli import app
from wallet.core import Wallet

PASSPHRASE = "payment-journey-test-passphrase"  # a throw-away test wallet
RESIDENCE = {
    "givenName": "Erika", "familyName": "Mustermann", "birthDate": "1964-08-12",
    "address": "Markt 1, 52062 Aachen",
}  # fmt: skip


@pytest.fixture(scope="module")
def served(payment_api: PaymentApi) -> Iterator[str]:
    """The payment API's app over real HTTP (uvicorn in a thread), its public URL set to it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    application = payment_api.client.app
    settings = application.state.settings  # type: ignore[attr-defined]
    public_url = settings.public_url
    settings.public_url = url
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    poll(lambda: server.started, timeout=30, what="uvicorn")
    yield url
    server.should_exit = True
    thread.join(10)
    settings.public_url = public_url


@pytest.fixture(scope="module")
def citizen(
    payment_api: PaymentApi, served: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, LocalAccount]:
    """A wallet whose key holds 50.00 EUR of city tokens and nothing else (no ETH, no rights)."""
    home = tmp_path_factory.mktemp("payment-wallet")
    account: LocalAccount = Account.create()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITY_WALLET_TEST_FIXTURE_KEYS", "cheap-scrypt")
        Wallet(home).add_account(
            account, PASSPHRASE, chain_id=payment_api.city.city.manifest.chain_id
        )
    with RpcClient(payment_api.city.city.rpc_url) as rpc:
        mint_balances(
            rpc=rpc, manifest=payment_api.city.city.manifest, treasury=payment_api.city.treasury,
            balances={account.address: 5_000},
        )  # fmt: skip
    return home, account


def _wallet(home: Path, api_url: str, *args: str) -> dict[str, Any]:
    env = {
        "CITY_WALLET_HOME": str(home),
        "CITY_WALLET_PASSPHRASE": PASSPHRASE,
        "CITY_WALLET_API_URL": api_url,
        "CITY_WALLET_TEST_FIXTURE_KEYS": "cheap-scrypt",
    }
    done = CliRunner().invoke(app, [*args, "--json"], env=env)
    assert done.exit_code == 0, (args, done.exit_code, done.output)
    return dict(json.loads(done.stdout))


def test_a_fee_bearing_certificate_is_paid_from_the_wallet_then_issued(
    payment_api: PaymentApi, served: str, citizen: tuple[Path, LocalAccount]
) -> None:
    home, account = citizen
    payment_api.clock.t = time.time()
    _wallet(home, served, "login")
    claims = json.dumps(RESIDENCE)
    request = _wallet(home, served, "request", "RESIDENCE_CERT", "--claims", claims)
    approved = payment_api.client.post(
        f"/department/credential-requests/{request['id']}/approve",
        json={}, headers=payment_api.headers("FB33"),
    )  # fmt: skip
    assert approved.json()["state"] == "awaiting_payment", approved.text
    assert approved.json()["credential_offer"] is None
    paid = _wallet(home, served, "pay", request["id"])
    assert paid["payment"]["status"] == "paid", paid
    assert paid["order"]["typed_data"]["primaryType"] == "FeePayment"
    released = _wallet(home, served, "requests", request["id"])
    assert released["state"] == "approved" and released["credential_offer"], released
    received = _wallet(home, served, "receive", request["id"])
    assert received["type"] == "ResidenceCertificate", received
    assert _wallet(home, served, "requests", request["id"])["state"] == "issued"
    with RpcClient(payment_api.city.city.rpc_url) as rpc:
        view = chain_view(rpc, payment_api.city.city.manifest)
        receipt = view(
            "FeeSchedule",
            "paymentOf",
            code_to_bytes32("RESIDENCE_CERT"),
            request_ref(request["id"]),
        )
        allowed = [a.lower() for a in view("AccountPermissioning", "allowedAccounts")]
        ether = int(str(rpc.request("eth_getBalance", [account.address, "latest"])), 16)
    assert str(receipt[0]).lower() == account.address.lower() and int(receipt[2]) == 1_000
    assert ether == 0 and account.address.lower() not in allowed
    assert _wallet(home, served, "balance")["balance"] == 4_000


def test_an_hour_of_parking_paid_per_minute_is_settled_once(
    payment_api: PaymentApi,
    served: str,
    citizen: tuple[Path, LocalAccount],
    node_rpc: RpcClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, account = citizen
    clock = payment_api.clock
    clock.t = float(
        payment_api.client.get(f"/payments/accounts/{account.address}").json()["chain_time"]
    )
    monkeypatch.setattr(wallet_payments, "CLOCK", clock)
    parked = _wallet(home, served, "park", "--zone", "ZONE5", "--minutes", "60")
    vouchers = parked["vouchers"]
    assert len(vouchers) == 60 and vouchers[-1]["typed_data"]["message"]["cumulativeAmount"] == 120
    last = vouchers[-1]  # any EIP-712 tool checks it: here eth-account
    signer = Account.recover_message(
        encode_typed_data(full_message=last["typed_data"]), signature=last["signature"]
    )
    assert signer == account.address
    parking = decode_voucher_payload(parked["qr_payload"])
    start = parking.terms.starts_at
    manifest = payment_api.city.city.manifest
    with RpcClient(payment_api.city.city.rpc_url) as gateway:
        lookup = ChainChannels(rpc=gateway, manifest=manifest)
        during = check_parking(parking, lookup=lookup, now=start + 59 * 60 + 30)
        after = check_parking(parking, lookup=lookup, now=start + 60 * 60 + 1)
    assert (during.outcome, during.paid_until) == ("paid", start + 3600), during
    assert after.outcome == "not-paid", after
    clock.t = start + 59 * 60 + 30  # the officer's wallet asks the chain through the gateway
    rpc_url = payment_api.city.city.rpc_url
    checked = _wallet(home, served, "check-parking", parked["qr_payload"], "--rpc", rpc_url)
    assert (checked["outcome"], checked["paid_until"]) == ("paid", start + 3600), checked
    # The test node's own port: the chain reaches the settle margin before the channel expires.
    head = int(str(node_rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"]), 16)  # type: ignore[index]
    target = parking.terms.expires_at - SETTLE_MARGIN + 1
    node_rpc.request("evm_increaseTime", [max(target - head, 0)])
    node_rpc.request("evm_mine")
    channel_id = parked["channel_id"]

    def closed() -> dict[str, Any] | None:
        found = dict(payment_api.client.get(f"/payments/channels/{channel_id}").json())
        return found if found["state"] in ("closed", "failed") else None

    final = poll(closed, what="the worker's settlement")
    assert (final["state"], final["settled_amount"]) == ("closed", 120), final
    contract = manifest.contract(CHANNELS_CONTRACT)
    settled_topic = contract.interface.event_topics()["ChannelSettled"]
    logs = node_rpc.request(
        "eth_getLogs",
        [{"address": contract.address, "topics": [settled_topic, channel_id], "fromBlock": "0x0"}],
    )
    assert isinstance(logs, list) and len(logs) == 1, logs
    clock.t = time.time()
