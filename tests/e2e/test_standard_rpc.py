"""Standard RPC only: the API (registers, credentials, payments through its workers), the wallet
(parking payments and the officer's check) and the explorer run against a gateway of their own,
and every JSON-RPC method any of them sent is one Besu serves in its standard ETH, NET and WEB3
APIs. The gateway logs each method it sees (at DEBUG, ``gateway/dispatch.py``); the test fails if
it refused any request or if a method outside Besu's standard set (``anvil_*``, ``evm_*``,
``debug_*``, …) went through.

One chain (the session's), one gateway, one API, one explorer for the module; the council's
decisions that give the test its own keys go through the same gateway (the operator's tooling
is held to the same rule).
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from gateway.policy import FORWARDED, LOCAL, SEND_RAW_TRANSACTION
from registry_core.council import ALLOW_ACCOUNT, decide_missing
from registry_core.keystore import Keystore
from registry_core.payments.voucher_qr import ParkingVoucher, encode_voucher_payload
from registry_core.rpc import RpcClient
from scripts.chain import EmbeddedChain
from scripts.services import start_explorer, start_gateway, stop
from scripts.settings import CitySettings
from tests.api.conftest import PASSPHRASE
from tests.api.faults import (
    api_env,
    create_register,
    drain,
    fault_keys,
    issuance_requests,
    prepare_store,
)
from tests.api_process import ApiProcess, poll
from tests.conftest import free_port
from tests.credential_fixtures import CredentialCity
from tests.fixture_keys import TEST_SCRYPT_N
from tests.payment_fixtures import PaymentCity
from wallet.city import CityClient
from wallet.payments import SystemClock, close_parking, open_parking, park, wait_open

# Besu's JSON-RPC API reference, the methods of its standard ETH, NET and WEB3 APIs (the ones a
# node serves to applications; ADMIN, DEBUG, MINER, TXPOOL, TRACE, PERM, QBFT are operator APIs).
BESU_STANDARD = frozenset(
    {
        "eth_accounts", "eth_blobBaseFee", "eth_blockNumber", "eth_call", "eth_chainId",
        "eth_coinbase", "eth_createAccessList", "eth_estimateGas", "eth_feeHistory",
        "eth_gasPrice", "eth_getBalance", "eth_getBlockByHash", "eth_getBlockByNumber",
        "eth_getBlockReceipts", "eth_getBlockTransactionCountByHash",
        "eth_getBlockTransactionCountByNumber", "eth_getCode", "eth_getFilterChanges",
        "eth_getFilterLogs", "eth_getLogs", "eth_getProof", "eth_getStorageAt",
        "eth_getTransactionByBlockHashAndIndex", "eth_getTransactionByBlockNumberAndIndex",
        "eth_getTransactionByHash", "eth_getTransactionCount", "eth_getTransactionReceipt",
        "eth_maxPriorityFeePerGas", "eth_newBlockFilter", "eth_newFilter",
        "eth_newPendingTransactionFilter", "eth_protocolVersion", "eth_sendRawTransaction",
        "eth_syncing", "eth_uninstallFilter",
        "net_listening", "net_peerCount", "net_version",
        "web3_clientVersion", "web3_sha3",
    }
)  # fmt: skip
NODE_ONLY = re.compile(r"^(anvil|evm|hardhat|debug|trace|ots|admin|miner|txpool|personal)_")
CITY_WALLET = str(Path(sys.executable).parent / "city-wallet")
pytestmark = pytest.mark.timeout(300)


@dataclass(frozen=True)
class Strict:
    url: str
    log: Path


@pytest.fixture(scope="module")
def strict(
    chain: EmbeddedChain, credential_city: CredentialCity, deployments_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Strict]:  # fmt: skip
    """A gateway of the module's own in front of the session chain, logging every method."""
    settings = CitySettings(
        data_dir=tmp_path_factory.mktemp("strict-gateway"),
        deployments_dir=deployments_dir,
        node_port=chain.port,
        gateway_port=free_port(),
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CITY_GATEWAY_LOG_LEVEL", "DEBUG")
        process = start_gateway(settings)
    try:
        yield Strict(settings.gateway_url, settings.data_dir / "gateway.log")
    finally:
        stop(process)


def methods_seen(log: Path) -> tuple[Counter[str], list[str]]:
    """(method -> requests, refusal lines) from the gateway's log."""
    seen: Counter[str] = Counter()
    refused: list[str] = []
    for line in log.read_text().splitlines():
        if found := re.search(r"method=(\S+) route=(\S+)", line):
            seen[found[1]] += 1
            if found[2] == "refuse":
                refused.append(line)
        elif "refused method=" in line:
            refused.append(line)
    return seen, refused


def test_the_gateway_allows_only_besu_standard_methods() -> None:
    allowed = FORWARDED | LOCAL | {SEND_RAW_TRANSACTION}
    assert allowed <= BESU_STANDARD, sorted(allowed - BESU_STANDARD)


def test_registers_credentials_payments_wallet_and_explorer_use_standard_rpc_only(
    strict: Strict,
    credential_city: CredentialCity,
    payment_city: PaymentCity,
    deployments_dir: Path,
    tmp_path: Path,
) -> None:
    manifest = credential_city.manifest
    with RpcClient(strict.url) as rpc:
        keys = fault_keys(
            rpc=rpc, manifest=manifest, council=credential_city.council, keys_dir=tmp_path / "keys"
        )
        relay = Keystore(keys.keys_dir).create("relay-payments", PASSPHRASE, scrypt_n=TEST_SCRYPT_N)
        decide_missing(
            rpc=rpc, manifest=manifest, members=credential_city.council,
            decisions=[ALLOW_ACCOUNT.decide(account=relay.address)],
        )  # fmt: skip
    database_url = f"sqlite:///{tmp_path / 'registry.db'}"
    registers_key, credentials_key = prepare_store(database_url)
    env = api_env(
        gateway_url=strict.url, deployments_dir=deployments_dir, data_dir=tmp_path,
        database_url=database_url, keys=keys,
    )  # fmt: skip
    # FB32 also settles its parking channels; the indexer follows the chain as in production.
    env["CITY_API_SIGNERS"] = json.dumps({"FB33": "dept-fb33", "FB32": "dept-fb32"})
    env["CITY_API_INDEXER_POLL_SECONDS"] = "0.5"
    env["CITY_API_FEE_TYPES"] = "[]"
    api = ApiProcess(env=env, log_path=tmp_path / "api.log")
    api.start()
    explorer_settings = CitySettings(
        data_dir=tmp_path / "explorer", deployments_dir=deployments_dir,
        gateway_port=int(strict.url.rsplit(":", 1)[1]), explorer_port=free_port(),
    )  # fmt: skip
    explorer = start_explorer(explorer_settings)
    try:
        register_id = "STRICT" + secrets.token_hex(2).upper()
        record_id, tx_hash = _registers(api.url, registers_key, register_id, database_url)
        credential_hash = _credentials(api.url, credentials_key, database_url)
        _payments(api.url, strict.url, payment_city.citizens[-1], tmp_path)
        pages = [
            "/", "/status", "/registers", f"/registers/{register_id}", f"/records/{record_id}",
            f"/tx/{tx_hash}", "/credentials", f"/credentials/{credential_hash}", "/council",
            "/departments", "/payments", "/integrity",
        ]  # fmt: skip
        with httpx.Client(base_url=explorer_settings.explorer_url, timeout=60) as client:
            for page in pages:
                answer = client.get(page)
                assert answer.status_code == 200, (page, answer.status_code, answer.text[:300])
    finally:
        stop(explorer)
        api.stop()
    seen, refused = methods_seen(strict.log)
    print(f"\nJSON-RPC methods the city used through the gateway: {dict(sorted(seen.items()))}")
    assert not refused, refused
    assert not [m for m in seen if NODE_ONLY.match(m)], seen
    assert set(seen) <= BESU_STANDARD, sorted(set(seen) - BESU_STANDARD)
    assert {"eth_sendRawTransaction", "eth_getLogs", "eth_call"} <= set(seen), seen


def _registers(api_url: str, token: str, register_id: str, database_url: str) -> tuple[str, str]:
    """A register, a record amended once and a bulk; the record's id and anchoring tx."""
    create_register(api_url, token, register_id)
    with httpx.Client(base_url=api_url, headers={"X-API-Key": token}, timeout=60) as client:
        made = client.post(f"/registers/{register_id}/records", json={"content": {"n": "eins"}})
        assert made.status_code == 202, made.text
        record_id = made.json()["record_id"]
        drain(database_url)
        amended = client.post(
            f"/registers/{register_id}/records/{record_id}/amend", json={"content": {"n": "zwei"}}
        )
        assert amended.status_code == 202, amended.text
        bulk = client.post(
            f"/registers/{register_id}/records/bulk",
            json={"records": [{"n": f"bulk-{i}"} for i in range(5)]},
        )
        assert bulk.status_code == 202, bulk.text
        drain(database_url)
        record = client.get(f"/registers/{register_id}/records/{record_id}")
        assert record.status_code == 200, record.text
        write = client.get(f"/writes/{amended.json()['write_id']}").json()
        assert write["status"] == "anchored", write
    return record_id, str(write["tx_hash"])


def _credentials(api_url: str, token: str, database_url: str) -> str:
    """Issue, verify online, revoke, read the status and the trust bundle; the credential's hash."""
    request = issuance_requests(1, "strict")[0]
    with httpx.Client(base_url=api_url, headers={"X-API-Key": token}, timeout=60) as client:
        issued = client.post("/credentials", json=request.body)
        assert issued.status_code in (201, 202), issued.text
        drain(database_url)
        body = issued.json()
        if issued.status_code == 202:
            body = client.get(body["status_url"]).json()["credential"]
        envelope, credential_hash = body["credential"], body["credential_hash"]
        verified = client.post("/verify", json={"payload": envelope}).json()
        assert verified["valid"] is True, verified
        holder = request.body["holder_did"]
        assert client.get(f"/dids/{holder}").status_code == 200
        revoked = client.post(f"/credentials/{credential_hash}/revoke", json={"reason_code": 1})
        assert revoked.status_code in (200, 202), revoked.text
        drain(database_url)
        status = client.get(f"/credentials/{credential_hash}/status").json()
        assert status["state"] == "revoked", status
        assert client.get("/credentials/trust-bundle").status_code == 200
    return str(credential_hash)


def _payments(api_url: str, rpc_url: str, citizen: LocalAccount, tmp_path: Path) -> None:
    """Park for two minutes from the wallet library (the API relays the channel's opening and
    settles it on close), then the officer's ``city-wallet check-parking`` reads the chain."""
    clock = SystemClock()
    with CityClient(api_url) as city:
        parking, _, _ = open_parking(city, account=citizen, zone="ZONE5", minutes=2, clock=clock)
        wait_open(city, parking)
        voucher = park(city, account=citizen, parking=parking, units=1, clock=clock)
        payload = encode_voucher_payload(
            ParkingVoucher(parking.chain_id, parking.channels, parking.terms, voucher)
        )
        checked = subprocess.run(
            [CITY_WALLET, "check-parking", payload, "--rpc", rpc_url, "--api", api_url, "--json"],
            capture_output=True, text=True, timeout=120,
            env={"CITY_WALLET_HOME": str(tmp_path / "wallet"), "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        assert checked.returncode == 0, checked.stderr
        assert json.loads(checked.stdout)["outcome"] == "paid", checked.stdout
        closed = close_parking(city, account=citizen, parking=parking)
        assert closed["state"] in ("closing", "closed"), closed
        final = poll(
            lambda: (
                (c := city.get(f"/payments/channels/{parking.channel_id}"))["state"]
                in ("closed", "failed")
                and c
            ),
            what="the channel's settlement",
        )
        assert final["state"] == "closed", final
