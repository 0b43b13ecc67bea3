"""The wallet library: one directory with an encrypted key, a DID, credentials and trust bundles.

Layout of ``<home>``::

    wallet.json            chain id, address, DID, pinned trust-bundle signers (no secrets)
    keys/holder.json       the holder key, Web3 Secret Storage (scrypt), via registry_core.keystore
    credentials/<hash>.json  one credential envelope each, with type, issuer, expiry (received files)
    trust-bundle.json      the last imported trust bundle (checked against the pinned signers)

Keys come from a BIP-39 mnemonic (eth-account's HD wallet, path ``m/44'/60'/0'/0/0``), so a lost
device can be restored from the 12/24 words. The mnemonic is shown once and never stored.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from registry_core.did import make_did
from registry_core.errors import KeystoreError, RegistryCoreError
from registry_core.keystore import Keystore
from registry_core.qr import QrRenderer, decode_payload, encode_payload, qr_info
from registry_core.trust import TrustBundleError
from registry_core.vc import Envelope, create_presentation, decode_jwt
from registry_core.verification import TrustBundle, TrustSource, VerificationResult, verify

KEY_NAME = "holder"
DEFAULT_CHAIN_ID = 52062
Account.enable_unaudited_hdwallet_features()


class WalletError(Exception):
    """Root of the wallet's errors; ``detail`` is safe to show to the user."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class StoredCredential:
    id: str  # 0x credential hash (keccak256 of the JWT)
    envelope: Envelope
    type: str
    issuer: str
    valid_until: int
    received_at: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "credential": self.envelope.serialize(),
            "type": self.type,
            "issuer": self.issuer,
            "valid_until": self.valid_until,
            "received_at": self.received_at,
        }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class Wallet:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.keystore = Keystore(home / "keys")
        self.config_path = home / "wallet.json"

    # -- keys and identity ------------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return self.config_path.exists()

    def config(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WalletError(
                f"no wallet in {self.home}; create one with 'city-wallet init'"
            ) from None
        return data

    def _save_config(self, data: dict[str, Any]) -> None:
        _write_json(self.config_path, data)

    def create(self, passphrase: str, *, chain_id: int = DEFAULT_CHAIN_ID, words: int = 12) -> str:
        """Create the holder key from a new BIP-39 mnemonic; returns the mnemonic (show it once)."""
        account, mnemonic = Account.create_with_mnemonic(num_words=words)
        self._store_key(account, passphrase, chain_id)
        return str(mnemonic)

    def restore(self, mnemonic: str, passphrase: str, *, chain_id: int = DEFAULT_CHAIN_ID) -> str:
        try:
            account = Account.from_mnemonic(mnemonic.strip())
        except Exception as exc:  # eth-account raises ValidationError/ValueError variants
            raise WalletError(f"not a valid BIP-39 mnemonic: {exc}") from None
        self._store_key(account, passphrase, chain_id)
        return str(account.address)

    def _store_key(self, account: LocalAccount, passphrase: str, chain_id: int) -> None:
        if self.exists:
            raise WalletError(f"a wallet exists already in {self.home}")
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.keystore.directory / f"{KEY_NAME}.json"
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        encrypted = Account.encrypt(account.key, passphrase, kdf="scrypt")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(encrypted, handle)
        self._save_config(
            {
                "chain_id": chain_id,
                "address": account.address,
                "did": make_did(account.address, chain_id),
                "trusted_bundle_signers": [],
            }
        )

    def unlock(self, passphrase: str) -> LocalAccount:
        try:
            return self.keystore.load(KEY_NAME, passphrase)
        except KeystoreError as exc:
            raise WalletError(exc.detail) from None

    @property
    def did(self) -> str:
        return str(self.config()["did"])

    # -- credentials --------------------------------------------------------------------------

    def add_credential(self, text: str) -> StoredCredential:
        """Store a credential given as envelope, VC-JWT or ``CRV1:`` payload (must be ours)."""
        try:
            raw = text.strip()
            envelope = Envelope.parse(decode_payload(raw) if raw.startswith("CRV1:") else raw)
            payload = decode_jwt(envelope.jwt).payload
        except RegistryCoreError as exc:
            raise WalletError(f"not a credential: {exc.detail}") from None
        if payload.get("sub") != self.did:
            raise WalletError(
                f"this credential belongs to {payload.get('sub')!r:.80}, not to {self.did}"
            )
        vc = payload.get("vc") or {}
        types = [t for t in vc.get("type", []) if t != "VerifiableCredential"]
        stored = StoredCredential(
            id="0x" + envelope.credential_hash.hex(),
            envelope=envelope,
            type=str(types[0]) if types else "VerifiableCredential",
            issuer=str(payload.get("iss", "")),
            valid_until=int(payload.get("exp", 0)),
            received_at=int(time.time()),
        )
        _write_json(self.home / "credentials" / f"{stored.id}.json", stored.to_json())
        return stored

    def credentials(self) -> list[StoredCredential]:
        folder = self.home / "credentials"
        found = []
        for path in sorted(folder.glob("0x*.json")) if folder.exists() else []:
            data = json.loads(path.read_text(encoding="utf-8"))
            found.append(
                StoredCredential(
                    id=data["id"],
                    envelope=Envelope.parse(data["credential"]),
                    type=data["type"],
                    issuer=data["issuer"],
                    valid_until=int(data["valid_until"]),
                    received_at=int(data["received_at"]),
                )
            )
        return found

    def credential(self, prefix: str) -> StoredCredential:
        matches = [c for c in self.credentials() if c.id.startswith(prefix.lower())]
        if len(matches) != 1:
            raise WalletError(
                f"{'no' if not matches else 'more than one'} credential matches {prefix!r}"
            )
        return matches[0]

    # -- QR and presentations -----------------------------------------------------------------

    def qr_payload(self, credential_id: str) -> str:
        return encode_payload(self.credential(credential_id).envelope.serialize())

    def qr_image(self, credential_id: str, image_format: str = "png") -> bytes:
        if image_format not in ("png", "svg"):
            raise WalletError("the image format is png or svg")
        renderer = QrRenderer(cache_dir=self.home / "qr-cache")
        return renderer.render(
            self.qr_payload(credential_id), "svg" if image_format == "svg" else "png"
        )

    def qr_info(self, credential_id: str) -> dict[str, Any]:
        info = qr_info(self.qr_payload(credential_id))
        return {
            "version": info.version,
            "modules": info.modules,
            "error_correction": info.error_correction,
        }

    def present(
        self, credential_id: str, *, passphrase: str, audience: str, nonce: str, lifetime: int = 300
    ) -> str:
        """A VP-JWT with the credential for ``audience``, answering the verifier's ``nonce``."""
        account = self.unlock(passphrase)
        return create_presentation(
            holder_did=self.did,
            credentials=[self.credential(credential_id).envelope.jwt],
            audience=audience,
            nonce=nonce,
            private_key=bytes(account.key),
            lifetime=lifetime,
        )

    # -- trust and verification ----------------------------------------------------------------

    def pin_bundle_signer(self, address: str) -> None:
        config = self.config()
        signers = {s.lower() for s in config.get("trusted_bundle_signers", [])}
        signers.add(address.lower())
        config["trusted_bundle_signers"] = sorted(signers)
        self._save_config(config)

    def import_bundle(self, bundle: dict[str, Any]) -> TrustBundle:
        trusted = self.config().get("trusted_bundle_signers", [])
        if not trusted:
            raise WalletError(
                "pin the city's trust-bundle signer first ('city-wallet trust pin 0x…')"
            )
        try:
            loaded = TrustBundle.load(bundle, trusted_signers=trusted)
        except TrustBundleError as exc:
            raise WalletError(exc.detail) from None
        _write_json(self.home / "trust-bundle.json", bundle)
        return loaded

    def trust_bundle(self) -> TrustBundle:
        path = self.home / "trust-bundle.json"
        try:
            bundle = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WalletError(
                "no trust bundle imported; use 'city-wallet trust import FILE'"
            ) from None
        try:
            return TrustBundle.load(
                bundle, trusted_signers=self.config().get("trusted_bundle_signers", [])
            )
        except TrustBundleError as exc:
            raise WalletError(exc.detail) from None

    def verify_offline(
        self,
        text: str,
        *,
        presentation: str | None = None,
        audience: str | None = None,
        nonce: str | None = None,
        now: int | None = None,
    ) -> tuple[VerificationResult, TrustBundle]:
        bundle = self.trust_bundle()
        source: TrustSource = bundle
        return verify(
            text, source, presentation=presentation, audience=audience, nonce=nonce, now=now
        ), bundle


def describe_age(seconds: int) -> tuple[str, str]:
    """How old a bundle's knowledge is, in German and English."""
    if seconds < 120:
        return f"{seconds} Sekunden", f"{seconds} seconds"
    if seconds < 7200:
        return f"{seconds // 60} Minuten", f"{seconds // 60} minutes"
    if seconds < 172800:
        return f"{seconds // 3600} Stunden", f"{seconds // 3600} hours"
    return f"{seconds // 86400} Tagen", f"{seconds // 86400} days"
