"""The signed trust bundle for offline verification (``GET /credentials/trust-bundle``) and its
deltas (``GET /credentials/trust-bundle/delta?since_block=N``); formats in
:mod:`registry_core.trust_format`.

Bundles and deltas are signed by the key ``CITY_API_TRUST_BUNDLE_KEY`` (created on first use in
development); its address is what verifiers pin. A built bundle is served again for
``CITY_API_TRUST_BUNDLE_MAX_AGE_SECONDS`` (30) while the deployment stays the same, and every delta
is cut from that bundle, so a verifier that applies it holds exactly the bundle, signature included.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from registry_api.chain.node import Node
from registry_api.chain.planning.credentials import STATUS_REGISTRY
from registry_api.core.config import Settings
from registry_api.core.errors import RegistryError
from registry_core.errors import KeystoreError
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.trust import build_trust_bundle, make_delta

log = logging.getLogger(__name__)


@dataclass
class TrustBundleService:
    settings: Settings
    _bundle: tuple[float, str, dict[str, Any]] | None = None
    _signer: LocalAccount | None = None
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def signer(self) -> LocalAccount:
        with self._guard:
            if self._signer is None:
                keystore = Keystore(self.settings.keystore_dir)
                passphrase = self.settings.keystore_passphrase.get_secret_value()
                name = self.settings.trust_bundle_key
                try:
                    if self.settings.environment == "development":
                        self._signer = keystore.load_or_create(name, passphrase)
                    else:
                        self._signer = keystore.load(name, passphrase)
                except KeystoreError as exc:
                    log.error("trust bundle key %r: %s", name, exc.detail)
                    raise
            return self._signer

    def bundle(
        self, *, rpc: Node, manifest: DeploymentManifest, min_block: int = 0
    ) -> dict[str, Any]:
        """The cached bundle, rebuilt when older than the cache time or than ``min_block``."""
        signer = self.signer()
        cached = self._bundle
        status = manifest.address(STATUS_REGISTRY)
        if (
            cached is not None
            and cached[1] == status
            and int(cached[2]["as_of_block"]) >= min_block
            and time.monotonic() - cached[0] < self.settings.trust_bundle_max_age_seconds
        ):
            return cached[2]
        bundle = build_trust_bundle(
            rpc=rpc,
            manifest=manifest,
            signer=signer,
            anchor_window=self.settings.trust_anchor_window_seconds,
        )
        self._bundle = (time.monotonic(), status, bundle)
        return bundle

    def delta(self, *, rpc: Node, manifest: DeploymentManifest, since_block: int) -> dict[str, Any]:
        """What changed since ``since_block``, signed; 409 if that block is newer than the chain."""
        bundle = self.bundle(rpc=rpc, manifest=manifest, min_block=since_block)
        if since_block > int(bundle["as_of_block"]):
            raise RegistryError(
                status=409,
                kind="trust-bundle-ahead",
                title="The trust bundle is newer than the chain",
                detail=f"block {since_block} is newer than the chain's block "
                f"{bundle['as_of_block']}: this bundle is not from this chain",
                detail_de=f"Block {since_block} ist neuer als der Stand der Blockchain: "
                "das Vertrauenspaket gehört nicht zu diesem Netz",
            )
        return make_delta(bundle, since_block, self.signer())
