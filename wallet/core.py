"""The wallet library: one folder with identities, their encrypted keys, credentials and trust bundles.

Layout of ``<home>`` (identities and keys: :mod:`wallet.identities`; backups: :mod:`wallet.backup`)::

    wallet.json              chain id, identities, default identity, pinned trust-bundle signers
    keys/<identity>.json     each identity's key, Web3 Secret Storage (scrypt)
    credentials/<hash>.json  one credential envelope each, with type, issuer, expiry
    trust-bundle.json        the trust bundle last imported or updated by a delta (checked against
                             the pinned signers each time it is read)

A :class:`Wallet` acts for one identity (the default unless another is named); credentials belong
to the identity whose DID is their subject.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from registry_core.errors import RegistryCoreError
from registry_core.qr import QrRenderer, decode_payload, encode_payload, qr_info
from registry_core.trust import TrustBundleError, apply_delta
from registry_core.vc import Envelope, create_presentation, decode_jwt
from registry_core.verification import TrustBundle, TrustSource, VerificationResult, verify
from registry_core.verification.bundle_source import DEFAULT_MAX_AGE
from registry_core.verification.offline_messages import describe_age
from wallet.errors import CorruptFileError, UnknownItemError, WalletError
from wallet.files import read_json, write_json
from wallet.identities import (
    DEFAULT_CHAIN_ID,
    DEFAULT_IDENTITY,
    Identity,
    IdentityBook,
    KeyCost,
    account_from_mnemonic,
    check_name,
    new_mnemonic,
    open_key,
)


@dataclass(frozen=True)
class StoredCredential:
    id: str  # 0x credential hash (keccak256 of the JWT)
    envelope: Envelope
    type: str
    issuer: str
    subject: str
    valid_until: int
    received_at: int

    @classmethod
    def received(cls, envelope: Envelope, payload: dict[str, Any]) -> StoredCredential:
        vc = payload.get("vc") or {}
        types = [t for t in vc.get("type", []) if t != "VerifiableCredential"]
        return cls(
            id="0x" + envelope.credential_hash.hex(),
            envelope=envelope,
            type=str(types[0]) if types else "VerifiableCredential",
            issuer=str(payload.get("iss", "")),
            subject=str(payload.get("sub", "")),
            valid_until=int(payload.get("exp", 0)),
            received_at=int(time.time()),
        )

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path) -> StoredCredential:
        try:
            envelope = Envelope.parse(data["credential"])
            return cls(
                id=str(data["id"]),
                envelope=envelope,
                type=str(data["type"]),
                issuer=str(data["issuer"]),
                subject=str(data.get("subject") or decode_jwt(envelope.jwt).payload.get("sub")),
                valid_until=int(data["valid_until"]),
                received_at=int(data["received_at"]),
            )
        except (KeyError, TypeError, ValueError, RegistryCoreError):
            raise CorruptFileError(
                f"the credential file {path.name} is damaged",
                de=f"die Nachweis-Datei {path.name} ist beschädigt",
            ) from None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "credential": self.envelope.serialize(),
            "type": self.type,
            "issuer": self.issuer,
            "subject": self.subject,
            "valid_until": self.valid_until,
            "received_at": self.received_at,
        }


class Wallet:
    def __init__(
        self, home: Path, *, identity: str | None = None, cost: KeyCost | None = None
    ) -> None:
        self.home = home
        self.book = IdentityBook(home, cost)
        self.identity_name = check_name(identity) if identity else None

    # -- identities and keys ------------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return self.book.exists

    def config(self) -> dict[str, Any]:
        return self.book.config()

    def _save_config(self, data: dict[str, Any]) -> None:
        self.book.save_config(data)

    @property
    def identity(self) -> Identity:
        return self.book.get(self.identity_name)

    @property
    def did(self) -> str:
        return self.identity.did

    def create(
        self,
        passphrase: str,
        *,
        chain_id: int = DEFAULT_CHAIN_ID,
        words: int = 12,
        name: str | None = None,
    ) -> str:
        """A new identity from a new BIP-39 mnemonic; returns the mnemonic (show it once)."""
        mnemonic = new_mnemonic(words)
        self.restore(mnemonic, passphrase, chain_id=chain_id, name=name)
        return mnemonic

    def restore(
        self,
        mnemonic: str,
        passphrase: str,
        *,
        chain_id: int = DEFAULT_CHAIN_ID,
        name: str | None = None,
        did: str | None = None,
    ) -> Identity:
        """The identity of a mnemonic (a new one, or one lost with a device); ``did`` when the
        words are those of a rotated key, which controls a DID other than its own."""
        return self.add_account(
            account_from_mnemonic(mnemonic), passphrase, chain_id=chain_id, name=name, did=did
        )

    def add_account(
        self,
        account: LocalAccount,
        passphrase: str,
        *,
        chain_id: int = DEFAULT_CHAIN_ID,
        name: str | None = None,
        did: str | None = None,
    ) -> Identity:
        if not self.exists and name is None and self.identity_name is None:
            name = DEFAULT_IDENTITY
        wanted = name or self.identity_name
        if wanted is None:
            raise WalletError(
                f"a wallet exists already in {self.home}; name the new identity",
                de=f"in {self.home} gibt es schon eine Brieftasche; neue Identität benennen",
            )
        return self.book.add(account, passphrase, name=wanted, chain_id=chain_id, did=did)

    def unlock(self, passphrase: str) -> LocalAccount:
        return self.book.unlock(passphrase, self.identity_name)

    def export_key(self) -> dict[str, Any]:
        """The identity's key file, encrypted as stored (Web3 Secret Storage, for other wallets)."""
        return self.book.key_document(self.identity_name)

    def import_key(
        self, document: object, *, file_passphrase: str, passphrase: str, name: str
    ) -> Identity:
        """A key file from elsewhere as a new identity, re-encrypted with scrypt for this wallet."""
        account = open_key(document, file_passphrase, what="the imported key file")
        chain_id = self.book.chain_id if self.exists else DEFAULT_CHAIN_ID
        return self.book.add(account, passphrase, name=name, chain_id=chain_id)

    # -- credentials --------------------------------------------------------------------------

    def add_credential(self, text: str) -> StoredCredential:
        """Store a credential given as envelope, VC-JWT or ``CRV1:`` payload (must be ours)."""
        try:
            raw = text.strip()
            envelope = Envelope.parse(decode_payload(raw) if raw.startswith("CRV1:") else raw)
            payload = decode_jwt(envelope.jwt).payload
        except RegistryCoreError as exc:
            raise CorruptFileError(
                f"not a credential: {exc.detail}", de="das ist kein Nachweis"
            ) from None
        if payload.get("sub") != self.did:
            raise WalletError(
                f"this credential belongs to {payload.get('sub')!r:.80}, not to {self.did}",
                de=f"dieser Nachweis gehört nicht zu {self.did}",
            )
        stored = StoredCredential.received(envelope, payload)
        write_json(self.home / "credentials" / f"{stored.id}.json", stored.to_json())
        return stored

    def credentials(self) -> list[StoredCredential]:
        """The selected identity's credentials (those whose subject is its DID)."""
        folder = self.home / "credentials"
        did = self.did
        found = []
        for path in sorted(folder.glob("0x*.json")) if folder.exists() else []:
            stored = StoredCredential.from_json(read_json(path), path)
            if stored.subject == did:
                found.append(stored)
        return found

    def credential(self, prefix: str) -> StoredCredential:
        matches = [c for c in self.credentials() if c.id.startswith(prefix.lower())]
        if not matches:
            raise UnknownItemError(
                f"no credential of {self.identity.name!r} matches {prefix!r}",
                de=f"kein Nachweis von {self.identity.name!r} passt zu {prefix!r}",
            )
        if len(matches) > 1:
            raise WalletError(
                f"more than one credential matches {prefix!r}; give more of its id",
                de=f"mehrere Nachweise passen zu {prefix!r}; mehr von der Kennung angeben",
            )
        return matches[0]

    # -- QR and presentations -----------------------------------------------------------------

    def qr_payload(self, credential_id: str) -> str:
        return encode_payload(self.credential(credential_id).envelope.serialize())

    def qr_image(self, credential_id: str, image_format: str = "png") -> bytes:
        if image_format not in ("png", "svg"):
            raise WalletError("the image format is png or svg", de="Bildformat: png oder svg")
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

    def _trusted_signers(self) -> list[str]:
        trusted: list[str] = self.config().get("trusted_bundle_signers", [])
        if not trusted:
            raise WalletError(
                "pin the city's trust-bundle signer first ('city-wallet trust pin 0x…')",
                de="zuerst den Unterzeichner der Stadt festlegen ('city-wallet trust pin 0x…')",
            )
        return trusted

    def import_bundle(self, bundle: dict[str, Any]) -> TrustBundle:
        try:
            loaded = TrustBundle.load(bundle, trusted_signers=self._trusted_signers())
        except TrustBundleError as exc:
            raise WalletError(exc.detail) from None
        write_json(self.home / "trust-bundle.json", bundle)
        return loaded

    def _bundle_document(self) -> dict[str, Any]:
        try:
            document: dict[str, Any] = read_json(self.home / "trust-bundle.json")
        except FileNotFoundError:
            raise WalletError(
                "no trust bundle imported; use 'city-wallet trust import FILE'",
                de="kein Vertrauenspaket importiert; 'city-wallet trust import DATEI' verwenden",
            ) from None
        return document

    def trust_bundle(self, *, max_age: int | None = DEFAULT_MAX_AGE) -> TrustBundle:
        try:
            return TrustBundle.load(
                self._bundle_document(),
                trusted_signers=self.config().get("trusted_bundle_signers", []),
                max_age=max_age,
            )
        except TrustBundleError as exc:
            raise WalletError(exc.detail) from None

    def apply_trust_update(self, delta: dict[str, Any]) -> TrustBundle:
        """Bring the stored bundle up to date with a signed delta (``GET
        /credentials/trust-bundle/delta?since_block=N``); a delta that is not signed by a pinned
        signer, is for another block, or does not yield the city's signed bundle is refused and
        the stored bundle kept."""
        self.trust_bundle()  # the stored bundle must itself still be trusted
        try:
            merged = apply_delta(
                self._bundle_document(), delta, trusted_signers=self._trusted_signers()
            )
        except TrustBundleError as exc:
            raise CorruptFileError(
                f"trust update refused: {exc.detail}",
                de="Aktualisierung abgelehnt: sie ist nicht von der Stadt unterschrieben, "
                "verändert oder passt nicht zum gespeicherten Vertrauenspaket",
            ) from None
        return self.import_bundle(merged)

    def verify_offline(
        self,
        text: str,
        *,
        presentation: str | None = None,
        audience: str | None = None,
        nonce: str | None = None,
        now: int | None = None,
        max_age: int | None = DEFAULT_MAX_AGE,
    ) -> tuple[VerificationResult, TrustBundle]:
        bundle = self.trust_bundle(max_age=max_age)
        source: TrustSource = bundle
        return verify(
            text, source, presentation=presentation, audience=audience, nonce=nonce, now=now
        ), bundle


__all__ = ["StoredCredential", "Wallet", "describe_age"]
