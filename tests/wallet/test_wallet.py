"""The wallet library and CLI: mnemonic keys, DID, credential store, QR, presentations, and offline
verification against a trust bundle while the chain is stopped."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.errors import RpcConnectionError
from registry_core.issuance import CredentialRequest, Issuer
from registry_core.qr import encode_payload
from registry_core.rpc import RpcClient
from registry_core.trust import build_trust_bundle, make_delta
from registry_core.vc import decode_jwt
from scripts.chain import EmbeddedChain
from scripts.credentials_seed import seed_credential_types
from scripts.demo_city import seed_demo_city
from scripts.deploy import deploy_city
from tests.conftest import free_port
from wallet.cli import main
from wallet.core import Wallet, WalletError

PASSPHRASE = "wallet-test-passphrase"  # throw-away test wallet
RESIDENCE = {
    "givenName": "Erika",
    "familyName": "Mustermann",
    "birthDate": "1964-08-12",
    "address": "Markt 1, 52062 Aachen",
}


@pytest.fixture
def wallet(tmp_path: Path) -> Wallet:
    w = Wallet(tmp_path / "wallet")
    w.create(PASSPHRASE)
    return w


def test_mnemonic_restores_the_same_did(tmp_path: Path) -> None:
    first = Wallet(tmp_path / "a")
    words = first.create(PASSPHRASE, words=24)
    assert len(words.split()) == 24
    second = Wallet(tmp_path / "b")
    second.restore(words, "another passphrase")
    assert second.did == first.did and first.did.startswith("did:ethr:0xcb5e:0x")
    assert first.unlock(PASSPHRASE).address == second.unlock("another passphrase").address
    with pytest.raises(WalletError, match="wrong passphrase"):
        first.unlock("nope")
    with pytest.raises(WalletError, match="exists already"):
        first.create(PASSPHRASE)
    with pytest.raises(WalletError, match="mnemonic"):
        Wallet(tmp_path / "c").restore("not a mnemonic", PASSPHRASE)


def test_key_file_is_web3_secret_storage_with_scrypt(wallet: Wallet) -> None:
    import json

    key_file = wallet.home / "keys" / "personal.json"
    data = json.loads(key_file.read_text())
    assert data["version"] == 3 and data["crypto"]["kdf"] == "scrypt"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


@dataclass(frozen=True)
class OfflineCity:
    bundle: dict
    signer: str
    valid: str  # CRV1 payload of a valid credential for the wallet's holder
    revoked: str
    holder: LocalAccount
    chain_url: str
    newer: str  # issued after the bundle
    delta: dict  # the update from the bundle's block; it also revokes `valid`


@pytest.fixture(scope="module")
def offline_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfflineCity]:
    """A city on its own chain: issue two credentials, revoke one, export a bundle, stop the chain."""
    node = EmbeddedChain(data_dir=tmp_path_factory.mktemp("offline-chain"), port=free_port())
    node.start()
    try:
        with RpcClient(node.url) as rpc:
            council = [Account.create() for _ in range(3)]
            manifest = deploy_city(
                rpc=rpc,
                council_members=[c.address for c in council],
                threshold=2,
                deployments_dir=tmp_path_factory.mktemp("offline-deployments"),
            ).manifest
            keys = {code: Account.create() for code in ("FB02", "FB33", "FB32")}
            key = keys["FB33"]
            seed_demo_city(rpc=rpc, manifest=manifest, council=council, accounts=keys)
            seed_credential_types(
                rpc=rpc,
                manifest=manifest,
                council=council,
                accreditations={"FB33": ("RESIDENCE_CERT",)},
            )
            holder = Account.create()
            issuer = Issuer(rpc=rpc, manifest=manifest, signing_key=key)
            did = f"did:ethr:0xcb5e:{holder.address.lower()}"
            valid = issuer.issue("RESIDENCE_CERT", CredentialRequest(did, RESIDENCE))
            revoked = issuer.issue("RESIDENCE_CERT", CredentialRequest(did, RESIDENCE))
            issuer.change_status(
                credential_hash=revoked.credential_hash, action="revoke", reason_code=0
            )
            bundle_key = Account.create()
            bundle = build_trust_bundle(rpc=rpc, manifest=manifest, signer=bundle_key)
            newer = issuer.issue("RESIDENCE_CERT", CredentialRequest(did, RESIDENCE))
            issuer.change_status(
                credential_hash=valid.credential_hash, action="revoke", reason_code=4
            )
            current = build_trust_bundle(rpc=rpc, manifest=manifest, signer=bundle_key)
            delta = make_delta(current, bundle["as_of_block"], bundle_key)
    finally:
        node.stop()
    yield OfflineCity(
        bundle,
        bundle_key.address,
        encode_payload(valid.jwt),
        encode_payload(revoked.jwt),
        holder,
        node.url,
        encode_payload(newer.jwt),
        delta,
    )


def _cli(home: Path, *args: str) -> int:
    return main(["--home", str(home), *args])


def test_cli_verifies_offline_with_the_chain_stopped(
    offline_city: OfflineCity, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    with pytest.raises(RpcConnectionError), RpcClient(offline_city.chain_url, timeout=1) as rpc:
        rpc.block_number()  # the chain is really down
    home = tmp_path / "w"
    monkeypatch.setenv("CITY_WALLET_PASSPHRASE", PASSPHRASE)
    # The wallet of the holder the city issued to (its key stored in the wallet's layout).
    wallet = Wallet(home)
    wallet.add_account(offline_city.holder, PASSPHRASE, chain_id=52062)
    bundle_file = tmp_path / "bundle.json"
    import json

    bundle_file.write_text(json.dumps(offline_city.bundle))
    assert _cli(home, "trust", "import", str(bundle_file)) == 2  # no pinned signer yet
    assert _cli(home, "trust", "pin", offline_city.signer) == 0
    assert _cli(home, "trust", "import", str(bundle_file)) == 0
    assert _cli(home, "add", offline_city.valid) == 0
    capsys.readouterr()

    png = tmp_path / "qr.png"
    (stored,) = wallet.credentials()
    assert _cli(home, "qr", stored.id[:12], "--out", str(png)) == 0
    assert "QR version" in capsys.readouterr().out

    assert _cli(home, "verify", "--image", str(png)) == 0
    out = capsys.readouterr().out
    assert out.startswith("GÜLTIG / VALID") and "trust bundle knowledge is" in out

    assert _cli(home, "verify", offline_city.revoked, "--json") == 1
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] is False and result["reason"] == "revoked"
    assert result["mode"] == "offline" and result["trust_bundle_age_seconds"] >= 0

    assert _cli(home, "verify", "CRV1:garbage") == 1
    assert "UNGÜLTIG" in capsys.readouterr().out


def test_cli_says_cannot_confirm_yet_then_trust_update_brings_it_current(
    offline_city: OfflineCity, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    home = tmp_path / "w"
    Wallet(home).add_account(offline_city.holder, PASSPHRASE, chain_id=52062)
    bundle_file, delta_file, tampered_file = (tmp_path / n for n in ("b.json", "d.json", "t.json"))
    bundle_file.write_text(json.dumps(offline_city.bundle))
    delta_file.write_text(json.dumps(offline_city.delta))
    tampered = {**offline_city.delta, "as_of_time": offline_city.delta["as_of_time"] + 1}
    tampered_file.write_text(json.dumps(tampered))
    assert _cli(home, "trust", "pin", offline_city.signer) == 0
    assert _cli(home, "trust", "import", str(bundle_file)) == 0
    capsys.readouterr()

    assert _cli(home, "verify", offline_city.newer) == 3  # not invalid: newer than the bundle
    out = capsys.readouterr().out
    assert out.startswith("OFFLINE NOCH NICHT BESTÄTIGBAR / CANNOT BE CONFIRMED OFFLINE YET")
    assert "trust update" in out
    assert _cli(home, "verify", offline_city.newer, "--json") == 3
    result = json.loads(capsys.readouterr().out)
    assert (result["outcome"], result["valid"]) == ("unconfirmed", False)
    assert _cli(home, "verify", offline_city.valid) == 0  # revoked only after the bundle

    assert _cli(home, "trust", "update", "--file", str(tampered_file)) == 5
    assert "refused" in capsys.readouterr().err
    assert _cli(home, "verify", offline_city.valid) == 0  # the stored bundle is unchanged
    capsys.readouterr()
    assert _cli(home, "trust", "update", "--file", str(delta_file), "--json") == 0
    assert json.loads(capsys.readouterr().out)["as_of_block"] == offline_city.delta["as_of_block"]
    assert _cli(home, "verify", offline_city.newer) == 0
    capsys.readouterr()
    assert _cli(home, "verify", offline_city.valid, "--json") == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "revoked"


def test_presentation_from_the_wallet_binds_the_holder_offline(
    offline_city: OfflineCity, tmp_path: Path
) -> None:
    wallet = Wallet(tmp_path / "w")
    wallet.add_account(offline_city.holder, PASSPHRASE, chain_id=52062)
    wallet.pin_bundle_signer(offline_city.signer)
    wallet.import_bundle(offline_city.bundle)
    stored = wallet.add_credential(offline_city.valid)
    vp = wallet.present(stored.id, passphrase=PASSPHRASE, audience="landlord", nonce="c-42")
    assert decode_jwt(vp).payload["nonce"] == "c-42"
    result, bundle = wallet.verify_offline(
        offline_city.valid, presentation=vp, audience="landlord", nonce="c-42"
    )
    assert result.valid and result.check("holder").status == "passed"
    assert bundle.as_of_block == offline_city.bundle["as_of_block"]
    replay, _ = wallet.verify_offline(
        offline_city.valid, presentation=vp, audience="landlord", nonce="other"
    )
    assert not replay.valid and replay.check("holder").code == "wrong-nonce"


def test_wallet_refuses_someone_elses_credential(offline_city: OfflineCity, wallet: Wallet) -> None:
    with pytest.raises(WalletError, match="belongs to"):
        wallet.add_credential(offline_city.valid)
    with pytest.raises(WalletError, match="not a credential"):
        wallet.add_credential("CRV1:nonsense")
