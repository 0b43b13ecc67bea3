"""The signed trust bundle for offline verification (``GET /credentials/trust-bundle``).

The bundle is signed by the key ``CITY_API_TRUST_BUNDLE_KEY`` (created on first use in
development); its address is what verifiers pin. A built bundle is served again for
``CITY_API_TRUST_BUNDLE_MAX_AGE_SECONDS`` (30) while the deployment stays the same.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from registry_api.chain.planning.credentials import STATUS_REGISTRY
from registry_api.core.config import Settings
from registry_core.keystore import Keystore
from registry_core.manifest import DeploymentManifest
from registry_core.rpc import RpcClient
from registry_core.trust import build_trust_bundle


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
                if self.settings.environment == "development":
                    self._signer = keystore.load_or_create(name, passphrase)
                else:
                    self._signer = keystore.load(name, passphrase)
            return self._signer

    def bundle(self, *, rpc: RpcClient, manifest: DeploymentManifest) -> dict[str, Any]:
        signer = self.signer()
        cached = self._bundle
        status = manifest.address(STATUS_REGISTRY)
        if (
            cached is not None
            and cached[1] == status
            and time.monotonic() - cached[0] < self.settings.trust_bundle_max_age_seconds
        ):
            return cached[2]
        bundle = build_trust_bundle(rpc=rpc, manifest=manifest, signer=signer)
        self._bundle = (time.monotonic(), status, bundle)
        return bundle
