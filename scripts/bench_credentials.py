"""Credential benchmark (not a test): verification speed, QR size and anchoring gas, in one run.

Starts its own embedded chain on a free loopback port, deploys the city, seeds departments and
credential types, issues typical credentials, then prints:

- bare secp256k1 verifications/s (coincurve, the same ECDSA check, no parsing) as the baseline,
  measured in chunks alternating with the verifications (shared machines are noisy); ratios are
  given for throughput (mean, includes preemption by other processes) and for median latency;
- warm online verifications/s of a QR payload (decode + every check, caches warm) and the ratio
  (target >= 0.25x), with p50/p99 latency; the same offline against a trust bundle;
- QR version and modules of a typical credential (target <= 16 at error correction M) and the cost
  of rendering a PNG uncached vs cached;
- gas per credential: anchored singly vs in Merkle batches.

Run: ``python -m scripts.bench_credentials [--seconds 3]``.
"""

from __future__ import annotations

import hashlib
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from coincurve import PrivateKey
from coincurve.ecdsa import cdata_to_der, deserialize_compact
from eth_account import Account

from registry_core.did import make_did
from registry_core.issuance import CredentialRequest, Issuer
from registry_core.qr import QrRenderer, encode_payload, qr_info
from registry_core.rpc import RpcClient
from registry_core.trust import build_trust_bundle
from registry_core.verification import ChainSource, TrustBundle, TrustSource, verify
from scripts.bench_timing import Measured, interleaved, main_with_seconds
from scripts.chain import EmbeddedChain
from scripts.services import free_port
from scripts.throwaway_city import deploy_with_council, seed_departments

TYPICAL = {
    "givenName": "Erika",
    "familyName": "Mustermann",
    "birthDate": "1964-08-12",
    "address": "Pontstraße 123, 52062 Aachen",
    "since": "2019-04-01",
}


def bare_signature_check() -> Callable[[], object]:
    """One secp256k1 verification (coincurve, SHA-256 of a JWT-sized message, DER prepared)."""
    key = PrivateKey()
    message = b"x" * 700  # about a VC-JWT's signing input
    signature = key.sign_recoverable(message, hasher=lambda m: hashlib.sha256(m).digest())[:64]
    der = cdata_to_der(deserialize_compact(signature))
    public = key.public_key

    def check() -> None:
        assert public.verify(der, message, hasher=lambda m: hashlib.sha256(m).digest())

    return check


def run(seconds: float) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="bench-credentials-") as tmp,
        EmbeddedChain(data_dir=Path(tmp) / "chain", port=free_port()) as node,
        RpcClient(node.url) as rpc,
    ):
        _bench(rpc, Path(tmp), seconds)


def _bench(rpc: RpcClient, tmp: Path, seconds: float) -> None:
    council, manifest = deploy_with_council(rpc, tmp / "deployments")
    keys = seed_departments(rpc, manifest, council, credential_types=True)
    issuer = Issuer(rpc=rpc, manifest=manifest, signing_key=keys["FB33"])

    def request() -> CredentialRequest:
        return CredentialRequest(make_did(Account.create().address, manifest.chain_id), TYPICAL)

    singles = [issuer.issue("RESIDENCE_CERT", request()) for _ in range(5)]
    payload = encode_payload(singles[0].envelope.serialize())
    info = qr_info(payload)

    renderer = QrRenderer()
    started = time.perf_counter()
    renderer.render(payload, "png")
    cold_ms = (time.perf_counter() - started) * 1e3
    started = time.perf_counter()
    for _ in range(1000):
        renderer.render(payload, "png")
    warm_us = (time.perf_counter() - started) * 1e3

    bare = bare_signature_check()

    online = ChainSource(rpc=rpc, manifest=manifest)  # status cache 2 s, as the API runs it
    offline = TrustBundle.load(
        build_trust_bundle(rpc=rpc, manifest=manifest, signer=(bundle_key := Account.create())),
        trusted_signers=[bundle_key.address],
    )
    results: dict[str, tuple[Measured, Measured]] = {}
    for name, source in (("online", online), ("offline", offline)):
        typed: TrustSource = source
        first = verify(payload, typed)
        assert first.valid, first.checks
        results[name] = interleaved(
            bare,
            lambda typed=typed: verify(payload, typed),  # type: ignore[misc]
            seconds,
        )

    batch_gas = {}
    for size in (10, 100, 1000):
        issued = issuer.issue_batch("RESIDENCE_CERT", [request() for _ in range(size)])
        batch_gas[size] = issued[0].gas_used
        batch_payload = encode_payload(issued[0].envelope.serialize())
    batch_info = qr_info(batch_payload)
    single_gas = statistics.median(s.gas_used for s in singles)

    print("Credential benchmark (one run, local anvil, this machine)")
    for name, (base, warm) in results.items():
        print(
            f"  bare secp256k1 verify (coincurve)    {base.rate:8,.0f} /s"
            f"   p50 {base.pct(0.5) * 1e6:6.1f} µs   (interleaved with the next line)"
        )
        print(
            f"  warm {name:<7} QR verification        {warm.rate:8,.0f} /s = {warm.rate / base.rate:4.2f}x"
            f"   p50 {warm.pct(0.5) * 1e6:6.1f} µs = {base.pct(0.5) / warm.pct(0.5):4.2f}x"
            f"   p99 {warm.pct(0.99) * 1e6:6.0f} µs"
        )
    print(
        f"  typical credential QR                  version {info.version} ({info.modules}x"
        f"{info.modules} modules), EC M, {info.characters} chars"
    )
    print(
        f"  batch member (1000-batch, with proof)  version {batch_info.version} "
        f"({batch_info.modules}x{batch_info.modules} modules), {batch_info.characters} chars"
    )
    print(
        f"  QR PNG render                          {cold_ms:6.1f} ms uncached, {warm_us:.1f} µs cached"
    )
    print(f"  gas per credential, single anchor      {single_gas:10,.0f}")
    for size, gas in batch_gas.items():
        print(
            f"  gas per credential, batch of {size:<5}     {gas / size:10,.0f}   ({gas:,} per batch)"
        )


def main(argv: list[str] | None = None) -> int:
    return main_with_seconds(run, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
