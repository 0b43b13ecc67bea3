"""Credential issuing keys, the online verifier and the trust-bundle signer of the API process.

Each department issues credentials with its own *credential key* (keystore entry ``vc-<dept>``), an
account the council added to the department, separate from the key that anchors register records:
each key has one nonce stream, owned by one sender (the outbox sender owns the register key; this
service, serialised per department, owns the credential key). The credential key's address is the
department's DID identity (``did:ethr:0xcb5e:<address>``). After a key rotation (ERC-1056
``changeOwner`` to a new key, which the council also adds to the department) the identity stays:
``CITY_API_CREDENTIAL_IDENTITIES`` maps the department to its identity address while
``CITY_API_CREDENTIAL_KEYS`` names the new key.

The trust bundle is signed by the key ``CITY_API_TRUST_BUNDLE_KEY`` (default ``trust-bundle``,
created on first use in development); its address is what verifiers pin.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_api.core.config import Settings
from registry_core.errors import KeystoreError
from registry_core.issuance import Issuer
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.qr import QrRenderer
from registry_core.rpc import RpcClient
from registry_core.trust import build_trust_bundle
from registry_core.verification import ChainSource

DEFAULT_CREDENTIAL_KEYS = {"FB02": "vc-fb02", "FB33": "vc-fb33", "FB32": "vc-fb32"}


class CredentialSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITY_API_", extra="ignore")

    credential_keys: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_CREDENTIAL_KEYS))
    credential_identities: dict[str, str] = Field(default_factory=dict)
    trust_bundle_key: str = Field("trust-bundle", max_length=64)
    trust_bundle_max_age_seconds: float = Field(30.0, ge=0)
    status_cache_seconds: float = Field(2.0, ge=0, le=300)
    qr_cache_dir: Path | None = None
    batch_max: int = Field(256, ge=1, le=1024)


@dataclass
class CredentialService:
    settings: Settings
    options: CredentialSettings
    keys: dict[str, LocalAccount] = field(default_factory=dict)
    renderer: QrRenderer = field(default_factory=QrRenderer)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _source: ChainSource | None = None
    _bundle: tuple[float, str, dict[str, Any]] | None = None
    _bundle_signer: LocalAccount | None = None
    _guard: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(
        cls, settings: Settings, options: CredentialSettings | None = None
    ) -> CredentialService:
        options = options or CredentialSettings()
        keystore = Keystore(settings.keystore_dir)
        passphrase = settings.keystore_passphrase.get_secret_value()
        keys: dict[str, LocalAccount] = {}
        for department, name in options.credential_keys.items():
            if keystore.exists(name):
                try:
                    keys[department] = keystore.load(name, passphrase)
                except KeystoreError:
                    continue
        cache_dir = options.qr_cache_dir
        return cls(
            settings=settings,
            options=options,
            keys=keys,
            renderer=QrRenderer(cache_dir=cache_dir),
            _locks={department: threading.Lock() for department in keys},
        )

    def issuer(
        self, department: str, *, rpc: RpcClient, manifest: DeploymentManifest
    ) -> Issuer | None:
        key = self.keys.get(department)
        if key is None:
            return None
        return Issuer(
            rpc=rpc,
            manifest=manifest,
            signing_key=key,
            identity=self.options.credential_identities.get(department),
        )

    def lock(self, department: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(department, threading.Lock())

    def source(self, *, rpc: RpcClient, manifest: DeploymentManifest) -> ChainSource:
        """The online verifier's source; its caches live as long as the deployment."""
        with self._guard:
            current = self._source
            if current is None or current.status_registry != manifest.address(
                "CredentialStatusRegistry"
            ):
                current = ChainSource(
                    rpc=rpc, manifest=manifest, status_ttl=self.options.status_cache_seconds
                )
                self._source = current
            return current

    def bundle_signer(self) -> LocalAccount:
        with self._guard:
            if self._bundle_signer is None:
                keystore = Keystore(self.settings.keystore_dir)
                passphrase = self.settings.keystore_passphrase.get_secret_value()
                name = self.options.trust_bundle_key
                if self.settings.environment == "development":
                    self._bundle_signer = keystore.load_or_create(name, passphrase)
                else:
                    self._bundle_signer = keystore.load(name, passphrase)
            return self._bundle_signer

    def trust_bundle(self, *, rpc: RpcClient, manifest: DeploymentManifest) -> dict[str, Any]:
        signer = self.bundle_signer()
        cached = self._bundle
        status = manifest.address("CredentialStatusRegistry")
        if (
            cached is not None
            and cached[1] == status
            and time.monotonic() - cached[0] < self.options.trust_bundle_max_age_seconds
        ):
            return cached[2]
        bundle = build_trust_bundle(rpc=rpc, manifest=manifest, signer=signer)
        self._bundle = (time.monotonic(), status, bundle)
        return bundle
