"""Payments benchmark (not a test): voucher checks, vouchers over HTTP, channel gas, in one run.

Starts its own embedded chain on a free loopback port, deploys the city, seeds the demo fee
schedule and tariffs and mints a payer's balance, then prints:

(a) the voucher check alone (JSON decode, EIP-712 digest with the precomputed domain separator,
    secp256k1 recovery, channel and tariff rules) against bare coincurve recovery of the same
    digests, interleaved in chunks so that load from other processes hits both alike
    (target >= 0.5x);
(b) vouchers accepted per second over HTTP by the API (check + durable store + answer, one voucher
    per request, one commit each; then 10 per request with one commit) against a bare FastAPI POST
    endpoint that only parses and answers, on the same machine and HTTP client (target >= 0.5x),
    p50/p99
    (``scripts/bench_payments_http.py``);
(c) gas of one channel lifecycle (open with permit + settle and close) against 60 separate relayed
    fee payments (permit + signed order) in the same run (target: the channel costs less than 3
    payments), beside µRaiden's published 160,000-191,000 gas for open + cooperative close.

Run: ``python -m scripts.bench_payments [--seconds 3]``. The last lines say met/missed per target.
"""

from __future__ import annotations

import itertools
import os
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

import orjson
from coincurve import PublicKey
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.codes import code_to_bytes32
from registry_core.council import chain_view
from registry_core.manifest import DeploymentManifest
from registry_core.payments.channels import ChannelTerms, voucher_digest
from registry_core.payments.signing import (
    FeePaymentOrder,
    sign_channel_terms,
    sign_fee_payment,
    sign_permit,
    sign_voucher,
)
from registry_core.payments.types import (
    CHANNELS_CONTRACT,
    FEE_SCHEDULE_CONTRACT,
    TOKEN_CONTRACT,
    channels_domain,
    fee_schedule_domain,
    token_domain,
)
from registry_core.payments.vouchers import ChannelState, Voucher, check_voucher
from registry_core.rpc import RpcClient
from registry_core.transactions import Signer
from scripts.bench_payments_http import BATCH, http_bench
from scripts.bench_timing import Measured, interleaved, main_with_seconds
from scripts.chain import EmbeddedChain
from scripts.payments_seed import mint_balances, seed_payments
from scripts.services import free_port
from scripts.throwaway_city import deploy_with_council, seed_departments

FEE_PAYMENTS = 60
URAIDEN_GAS = (160_000, 191_000)


# -- (a) voucher check vs bare recovery -------------------------------------------------------


def voucher_check_bench(seconds: float) -> tuple[Measured, Measured]:
    payer = Account.create()
    domain = channels_domain(52062, "0x" + "5a" * 20)
    start = 1_800_000_000
    terms = ChannelTerms(
        payer=payer.address.lower(), department=code_to_bytes32("FB32"),
        tariff_id=code_to_bytes32("PARK_ZONE5"), tariff_version=1, zone=code_to_bytes32("ZONE5"),
        rate_per_unit=2, unit_seconds=60, deposit=10**9, starts_at=start,
        expires_at=start + 7 * 86_400, nonce=os.urandom(32), deadline=start + 300,
    )  # fmt: skip
    channel_id = terms.channel_id(domain)
    channel = ChannelState(
        channel_id, terms.payer, start, terms.expires_at, 2, 60, terms.deposit, closed=False
    )
    count = 4_000
    vouchers = [
        sign_voucher(key=payer.key, channels_domain=domain, channel_id=channel_id, amount=a)
        for a in range(2, 2 * count + 2, 2)
    ]
    bodies = [
        orjson.dumps(
            {
                "channel_id": "0x" + v.channel_id.hex(),
                "cumulative_amount": v.cumulative_amount,
                "signature": "0x" + v.signature.hex(),
            }
        )
        for v in vouchers
    ]
    digests = [voucher_digest(domain, channel_id, v.cumulative_amount) for v in vouchers]
    recoverable = [v.signature[:64] + bytes([v.signature[64] - 27]) for v in vouchers]
    now = terms.expires_at - 3_600

    bare_turn, our_turn = itertools.count(), itertools.count()

    def bare() -> None:
        i = next(bare_turn) % count
        PublicKey.from_signature_and_message(recoverable[i], digests[i], hasher=None)

    def ours() -> None:
        body = orjson.loads(bodies[next(our_turn) % count])
        voucher = Voucher(
            bytes.fromhex(body["channel_id"][2:]),
            int(body["cumulative_amount"]),
            bytes.fromhex(body["signature"][2:]),
        )
        check_voucher(domain=domain, channel=channel, voucher=voucher, settled=0, now=now)

    return interleaved(bare, ours, seconds)


# -- (c) gas: a channel lifecycle vs 60 fee payments ------------------------------------------


@dataclass(frozen=True)
class GasResult:
    payments: list[int]
    open_gas: int
    settle_gas: int

    @property
    def channel(self) -> int:
        return self.open_gas + self.settle_gas


def gas_bench(
    rpc: RpcClient,
    manifest: DeploymentManifest,
    relayers: dict[str, LocalAccount],
    payer: LocalAccount,
) -> GasResult:
    """Fees are relayed by the fee's department (FB33), the channel by the parking one (FB32)."""
    chain_id = manifest.chain_id
    token = manifest.contract(TOKEN_CONTRACT)
    fees = manifest.contract(FEE_SCHEDULE_CONTRACT)
    channels = manifest.contract(CHANNELS_CONTRACT)
    view = chain_view(rpc, manifest)
    relay = Signer(relayers["FB33"], rpc)
    fee_id = code_to_bytes32("RESIDENCE_CERT")
    (terms, _version) = view(FEE_SCHEDULE_CONTRACT, "service", fee_id)
    amount = int(terms[1])
    now = int(rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    payments = []
    for _ in range(FEE_PAYMENTS):
        permit = sign_permit(
            key=payer.key, token_domain=token_domain(chain_id, token.address), owner=payer.address,
            spender=fees.address, value=amount,
            nonce=int(view(TOKEN_CONTRACT, "nonces", payer.address)), deadline=now + 3_600,
        )  # fmt: skip
        order = FeePaymentOrder(
            payer.address, fee_id, amount, os.urandom(32), os.urandom(32), now + 3_600
        )
        signed = sign_fee_payment(
            key=payer.key, fee_domain=fee_schedule_domain(chain_id, fees.address), order=order
        )
        data = fees.interface.encode_call(
            "payFee", order.as_call(), signed.signature, permit.as_call()
        )
        receipt = relay.transact(to=fees.address, data=data, interface=fees.interface)
        payments.append(int(receipt["gasUsed"], 16))

    tariff = view(FEE_SCHEDULE_CONTRACT, "tariff", code_to_bytes32("PARK_ZONE5"))
    department, zone, rate, unit, version, _active = tariff
    deposit = 60 * int(rate)
    domain = channels_domain(chain_id, channels.address)
    terms_ = ChannelTerms(
        payer=payer.address, department=bytes(department), tariff_id=code_to_bytes32("PARK_ZONE5"),
        tariff_version=int(version), zone=bytes(zone), rate_per_unit=int(rate),
        unit_seconds=int(unit), deposit=deposit, starts_at=now - 590, expires_at=now + 7_200,
        nonce=os.urandom(32), deadline=now + 300,
    )  # fmt: skip
    permit = sign_permit(
        key=payer.key, token_domain=token_domain(chain_id, token.address), owner=payer.address,
        spender=channels.address, value=deposit,
        nonce=int(view(TOKEN_CONTRACT, "nonces", payer.address)), deadline=now + 3_600,
    )  # fmt: skip
    relay = Signer(relayers["FB32"], rpc)
    opened = sign_channel_terms(key=payer.key, channels_domain=domain, terms=terms_)
    receipt = relay.transact(
        to=channels.address,
        data=channels.interface.encode_call(
            "open", terms_.as_tuple(), opened.signature, permit.as_call()
        ),
        interface=channels.interface,
    )
    open_gas = int(receipt["gasUsed"], 16)
    # The session started 590 s before the opening (the most the contract allows is 600 s), so
    # 10 minutes may be settled at once; settling costs the same gas for any amount, and no
    # anvil-only call is needed to move the chain's clock.
    channel_id = terms_.channel_id(domain)
    amount = 10 * int(rate)
    final = sign_voucher(
        key=payer.key, channels_domain=domain, channel_id=channel_id, amount=amount
    )
    receipt = relay.transact(
        to=channels.address,
        data=channels.interface.encode_call("settle", channel_id, amount, final.signature, True),
        interface=channels.interface,
    )
    return GasResult(payments, open_gas, int(receipt["gasUsed"], 16))


def run(seconds: float) -> None:
    base, checked = voucher_check_bench(seconds)
    with tempfile.TemporaryDirectory(prefix="bench-payments-") as tmp:
        node = EmbeddedChain(data_dir=Path(tmp) / "chain", port=free_port())
        node.start()
        try:
            with RpcClient(node.url) as rpc:
                council, manifest = deploy_with_council(rpc, Path(tmp) / "deployments")
                departments = seed_departments(rpc, manifest, council)
                treasury, payer = Account.create(), Account.create()
                seed_payments(
                    rpc=rpc, manifest=manifest, council=council,
                    payees={c: k.address for c, k in departments.items()}, treasury=treasury.address,
                )  # fmt: skip
                mint_balances(
                    rpc=rpc, manifest=manifest, treasury=treasury, balances={payer.address: 10**6}
                )
                gas = gas_bench(rpc, manifest, departments, payer)
            bare, api, bare_b, batch = http_bench(
                manifest=manifest, rpc_url=node.url, deployments_dir=Path(tmp) / "deployments",
                tmp=Path(tmp), seconds=seconds, ports=(free_port(), free_port()),
            )  # fmt: skip
        finally:
            node.stop()

    print("Payments benchmark (one run, local anvil, this machine)")
    print(
        f"(a) bare secp256k1 recovery (coincurve)   {base.rate:8,.0f} /s   p50 "
        f"{base.pct(0.5) * 1e6:6.1f} µs   p99 {base.pct(0.99) * 1e6:6.1f} µs"
    )
    print(
        f"    voucher check (decode+digest+recover+rules) {checked.rate:8,.0f} /s   p50 "
        f"{checked.pct(0.5) * 1e6:6.1f} µs   p99 {checked.pct(0.99) * 1e6:6.1f} µs"
    )
    print(
        f"(b) bare FastAPI POST (parse + answer)     {bare.rate:8,.0f} /s   p50 "
        f"{bare.pct(0.5) * 1e3:6.2f} ms   p99 {bare.pct(0.99) * 1e3:6.2f} ms"
    )
    print(
        f"    API voucher (check + SQL commit + answer) {api.rate:8,.0f} /s   p50 "
        f"{api.pct(0.5) * 1e3:6.2f} ms   p99 {api.pct(0.99) * 1e3:6.2f} ms   (one voucher per "
        "request, one commit per voucher, no batching, no group commit)"
    )
    batch_rate = batch.rate * BATCH
    print(
        f"    bare FastAPI POST (same run as batches) {bare_b.rate:8,.0f} /s   API, {BATCH} vouchers "
        f"per request, one commit: {batch_rate:8,.0f} vouchers/s   p50 {batch.pct(0.5) * 1e3:6.2f} ms"
        f"   p99 {batch.pct(0.99) * 1e3:6.2f} ms per request"
    )
    payment_median = statistics.median(gas.payments)
    print(
        f"(c) {FEE_PAYMENTS} relayed fee payments: {sum(gas.payments):,} gas in all, median "
        f"{payment_median:,.0f} per payment (first {gas.payments[0]:,})"
    )
    print(
        f"    channel lifecycle: open with permit {gas.open_gas:,} + settle and close "
        f"{gas.settle_gas:,} = {gas.channel:,} gas = {gas.channel / payment_median:.2f} payments; "
        f"µRaiden open + cooperative close {URAIDEN_GAS[0]:,}-{URAIDEN_GAS[1]:,} gas "
        f"(without permit, tariff binding or partial settlement)"
    )
    ratio_a = checked.rate / base.rate
    ratio_b = api.rate / bare.rate
    ratio_batch = batch_rate / bare_b.rate
    ratio_c = gas.channel / payment_median
    print(
        f"target (a) voucher check >= 0.5x bare recovery: {'met' if ratio_a >= 0.5 else 'missed'} ({ratio_a:.2f}x)"
    )
    if ratio_b >= 0.5:
        needed = "not needed: one voucher per request and one commit each reach it"
    elif ratio_batch >= 0.5:
        needed = f"batching {BATCH} vouchers per request ({ratio_batch:.2f}x) is what reaches it"
    else:
        needed = f"even {BATCH} per request reach only {ratio_batch:.2f}x: group commit is needed"
    print(
        f"target (b) vouchers over HTTP >= 0.5x bare endpoint: "
        f"{'met' if max(ratio_b, ratio_batch) >= 0.5 else 'missed'} (one per request "
        f"{ratio_b:.2f}x, {BATCH} per request {ratio_batch:.2f}x); {needed}"
    )
    print(
        f"target (c) channel < 3 fee payments: {'met' if ratio_c < 3 else 'missed'} ({ratio_c:.2f} payments)"
    )


def main(argv: list[str] | None = None) -> int:
    return main_with_seconds(run, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
