"""Each class of answer to ``eth_sendRawTransaction``, provoked from the real gateway and anvil,
and what :mod:`registry_api.chain.sender.refusals` makes of it.

The transactions come from a throw-away account that the council allow-lists for this module
(nobody else's nonce stream is touched); what the sender then does with each class is shown by
the outbox and fault tests (replan, refusal with reason, backoff).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_api.chain.directory import account_standing
from registry_api.chain.sender.refusals import Refusal, classify
from registry_api.chain.sender.transmit import Outgoing, send_all
from registry_api.chain.signing import FastSigner
from registry_core.council import ALLOW_ACCOUNT, decide
from registry_core.errors import RpcConnectionError, RpcError
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from tests.conftest import free_port
from tests.gateway.conftest import start_gateway


@pytest.fixture(scope="module")
def account(
    gateway_rpc: RpcClient, city: DeploymentManifest, council_keys: list[LocalAccount]
) -> LocalAccount:
    """An account the council allow-listed, used by this module alone."""
    fresh: LocalAccount = Account.create()
    decide(
        rpc=gateway_rpc,
        manifest=city,
        members=council_keys,
        decision=ALLOW_ACCOUNT.decide(account=fresh.address),
    )
    return fresh


def _raw(account: LocalAccount, nonce: int, data: bytes = b"", gas: int = 21_000) -> str:
    return (
        FastSigner(account, 52062).sign(to=account.address, data=data, nonce=nonce, gas=gas).hex()
    )


def _answer(rpc: RpcClient, raw: str) -> object:
    (answer,) = rpc.batch([("eth_sendRawTransaction", ["0x" + raw])])
    return answer


def test_accepted_known_taken_and_busy_nonces(
    gateway_rpc: RpcClient, account: LocalAccount
) -> None:
    nonce = gateway_rpc.nonce(account.address, "latest")
    accepted = _answer(gateway_rpc, _raw(account, nonce))
    assert classify(accepted) is Refusal.ACCEPTED
    # anvil answers before its automine task has mined the transaction: wait for the block
    gateway_rpc.wait_for_receipt(str(accepted), timeout=10)
    # mined: the same nonce again, other bytes -> anvil's "nonce too low" (-32003)
    taken = _answer(gateway_rpc, _raw(account, nonce, b"\x01", 30_000))
    assert isinstance(taken, RpcError) and "nonce too low" in taken.message, taken
    assert classify(taken) is Refusal.NONCE_TAKEN
    # a gap keeps a transaction in the pool: the same bytes again are known ...
    queued = _raw(account, nonce + 5)
    assert classify(_answer(gateway_rpc, queued)) is Refusal.ACCEPTED
    known = _answer(gateway_rpc, queued)
    assert isinstance(known, RpcError) and "already imported" in known.message, known
    assert classify(known) is Refusal.KNOWN
    # ... and other bytes for that nonce are refused until it is mined or dropped
    busy = _answer(gateway_rpc, _raw(account, nonce + 5, b"\x02", 30_000))
    assert isinstance(busy, RpcError) and "underpriced" in busy.message, busy
    assert classify(busy) is Refusal.NONCE_BUSY


def test_refused_for_good(
    gateway_rpc: RpcClient, account: LocalAccount, city: DeploymentManifest
) -> None:
    stranger: LocalAccount = Account.create()
    rejected = _answer(gateway_rpc, _raw(stranger, 0))
    assert isinstance(rejected, RpcError) and rejected.code == -32003, rejected
    assert classify(rejected) is Refusal.REJECTED  # the chain decides whether it is for good:
    assert (
        "acts for no department" in account_standing(gateway_rpc, city, stranger.address).refusal()
    )
    assert account_standing(gateway_rpc, city, account.address).refusal() == ""
    garbage = _answer(gateway_rpc, "02abcdef")
    assert isinstance(garbage, RpcError) and garbage.code == -32602, garbage
    assert classify(garbage) is Refusal.REFUSED
    nonce = gateway_rpc.nonce(account.address, "latest")
    starved = _answer(gateway_rpc, _raw(account, nonce, gas=20_000))
    assert isinstance(starved, RpcError) and "intrinsic gas too low" in starved.message, starved
    assert classify(starved) is Refusal.REFUSED
    # "unknown" is not "known": a message match must not turn a refusal into a success
    assert classify(RpcError(-32000, "unknown transaction type")) is Refusal.REFUSED


def test_over_the_gateways_batch_limit_is_sent_in_halves(gateway_rpc: RpcClient) -> None:
    txs = [Outgoing(i, "02abcdef", f"0x{i:064x}") for i in range(1200)]
    with pytest.raises(RpcError) as refused:
        gateway_rpc.batch([("eth_sendRawTransaction", ["0x" + t.raw]) for t in txs])
    assert refused.value.code == -32005 and classify(refused.value) is Refusal.LIMIT
    answers = send_all(gateway_rpc, txs, chunk=1200)
    assert len(answers) == 1200
    assert {a.refusal for a in answers} == {Refusal.REFUSED}  # each judged on its own


@pytest.fixture
def gateway_without_node(deployments_dir: Path, tmp_path: Path) -> Iterator[str]:
    """A gateway whose node is not there (a free port nothing listens on)."""
    gateway = start_gateway(
        log_path=tmp_path / "gateway.log",
        settings={
            "upstream_url": f"http://127.0.0.1:{free_port()}",
            "deployments_dir": str(deployments_dir),
            "chain_id": "52062",
        },
    )
    yield gateway.url
    gateway.stop()


def test_node_unreachable_is_transient(gateway_without_node: str, account: LocalAccount) -> None:
    with RpcClient(gateway_without_node) as rpc:
        unreachable = _answer(rpc, _raw(account, 0))
    assert isinstance(unreachable, RpcError) and unreachable.code == -32603, unreachable
    assert classify(unreachable) is Refusal.TRANSIENT
    with RpcClient(f"http://127.0.0.1:{free_port()}") as nobody, pytest.raises(RpcConnectionError):
        send_all(nobody, [Outgoing(0, _raw(account, 0), "0x")])
