"""The API's one settings object, from environment variables prefixed ``CITY_API_``.

Every process of the API receives the same object: the API process reads it from the
environment, its worker child gets it over a pipe (``chain/worker_process.py``), a separate
``python -m registry_api.worker`` reads the same environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_core.demo import (
    DEMO_DEPARTMENTS,
    DEMO_PASSPHRASE,
    DEMO_RECORD_KEK,
    DEMO_RECORD_KEK_ID,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Department code -> keystore entry of its signing account (the demo city's departments).
DEFAULT_SIGNERS = {department.code: department.signer_key for department in DEMO_DEPARTMENTS}
# Department code -> keystore entry of its credential key (signs VC-JWTs and anchors them).
DEFAULT_CREDENTIAL_KEYS = {
    department.code: department.credential_key for department in DEMO_DEPARTMENTS
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITY_API_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    # The permissioning gateway: the API never talks to the node directly.
    rpc_url: str = Field("http://127.0.0.1:8545", max_length=2048)
    deployments_dir: Path = PROJECT_ROOT / "deployments"
    rpc_timeout_seconds: float = Field(10.0, gt=0, le=300)
    # Where the SQLite database and the department keystores live by default.
    data_dir: Path = PROJECT_ROOT / ".city-data"
    # SQLAlchemy URL; empty means SQLite at <data_dir>/registry.db. PostgreSQL:
    # postgresql+psycopg://user@host:5432/dbname
    database_url: str = Field("", max_length=2048)
    # The record versions' data keys (registry_api/store/data_keys.py): a database of its own, so
    # that a backup of the one above holds no key. Empty: SQLite at <data_dir>/record-keys.db
    # (development only; production names it, and not the same as database_url).
    key_database_url: str = Field("", max_length=2048)
    # Key-encryption keys (id -> base64 of 32 bytes) that wrap the data keys; the one named by
    # record_kek_id wraps new keys, the others only unwrap (until `registry keys rotate-kek`).
    record_keks: dict[str, SecretStr] = Field(
        default_factory=lambda: {DEMO_RECORD_KEK_ID: SecretStr(DEMO_RECORD_KEK)}, max_length=20
    )
    record_kek_id: str = Field(DEMO_RECORD_KEK_ID, max_length=64)
    keys_dir: Path | None = None
    # The pinned npm packages (``npm ci``) whose files the API documentation pages load.
    node_modules_dir: Path = PROJECT_ROOT / "node_modules"
    keystore_passphrase: SecretStr = SecretStr(DEMO_PASSPHRASE)
    signers: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SIGNERS))
    credential_keys: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_CREDENTIAL_KEYS))
    # After a key rotation: department -> its DID identity address (the credential key named
    # above is then the identity's new owner).
    credential_identities: dict[str, str] = Field(default_factory=dict)
    # Keystore entries of accounts that relay calls others signed (DID meta-transactions, fee
    # payments with permits): each gets a sender; domains enqueue their calls with
    # ``registry_api.chain.outbox.enqueue_call``.
    relay_keys: list[str] = Field(default_factory=list, max_length=50)
    trust_bundle_key: str = Field("trust-bundle", max_length=64)
    trust_bundle_max_age_seconds: float = Field(30.0, ge=0)
    # Longest time from issuing a credential to its anchor being mined (written into bundles: a
    # credential issued later than a bundle's time minus this "cannot be confirmed offline yet").
    trust_anchor_window_seconds: int = Field(3600, ge=0, le=30 * 86400)
    status_cache_seconds: float = Field(2.0, ge=0, le=300)
    qr_cache_dir: Path | None = None
    batch_max: int = Field(256, ge=1, le=1024)
    # How long a credential write waits for its anchoring before it answers 202 with a status URL.
    credential_wait_seconds: float = Field(10.0, ge=0, le=120)
    # Single issuances of one type anchored under one root, at most (QR size, see README).
    credential_group_max: int = Field(64, ge=1, le=1024)
    # How long the API trusts the chain's "department active" flag before asking again.
    department_status_cache_seconds: float = Field(2.0, ge=0, le=300)
    # /ready fails when a signer has a write older than this that is not settled.
    ready_max_write_lag_seconds: float = Field(60.0, gt=0)
    # Apply pending Alembic migrations when the API starts (else run `registry db upgrade`).
    migrate_on_start: bool = True
    # Where the outbox senders and the event indexer run: "process" = a child process of the API
    # (default: another core than request handling), "thread" = threads of the API process,
    # "off" = elsewhere (``python -m registry_api.worker``) or not at all.
    workers: Literal["process", "thread", "off"] = "process"
    request_threads: int = Field(8, ge=1, le=200)
    # Python's GIL switch interval in the API process (see core/lifecycle.py).
    switch_interval_seconds: float = Field(0.0005, gt=0, le=0.005)
    bulk_max_records: int = Field(1000, ge=1, le=10_000)
    # Request bodies larger than this are refused (413) before they are read; the bulk and batch
    # writes and /verify/image have their own, larger limits (BULK_MAX_BODY_BYTES, the image's).
    max_body_bytes: int = Field(1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Requests a minute one client may send to the unauthenticated endpoints (api/rate_limit.py),
    # counted in the store across replicas; image decodes have their own limit. 0: no limit.
    rate_limit_per_minute: int = Field(60, ge=0)
    rate_limit_images_per_minute: int = Field(10, ge=0)
    page_max: int = Field(500, ge=1, le=10_000)
    sender_max_batch_leaves: int = Field(1024, ge=1, le=1024)
    # Single-mode writes of one round share a tryEach transaction, at most this many per tx.
    sender_max_calls_per_tx: int = Field(64, ge=1, le=100)
    sender_max_txs_per_round: int = Field(200, ge=1, le=1000)
    sender_resend_after_seconds: float = Field(3.0, gt=0)
    # Scales the sender's measured gas limits (raise it if a chain charges more gas per call).
    sender_gas_factor: float = Field(1.0, gt=0, le=10)
    # A sender's lease on its key, renewed every third of it (and in every signing commit): a
    # replica on another host takes over this long after a holder died (one on this host at
    # once). Short enough for a takeover within seconds, long enough that a renewal delayed by
    # an idle wait (idle_poll_seconds) or a slow commit does not lose it.
    lease_seconds: float = Field(6.0, gt=0)
    indexer_poll_seconds: float = Field(0.5, gt=0)
    # The workers' loops poll less when nothing happens: each idle round waits twice as long as
    # the one before, up to this; work (or a wake from the API) brings back fast polling.
    idle_poll_seconds: float = Field(2.0, gt=0, le=60)
    # Log lines: one JSON object each (core/logs.py) or plain text; and the least level logged.
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Identity domain (issue 9). The URL citizens reach the API at: the EIP-4361 domain and URI
    # and the OpenID4VCI issuer identifier come from it, never from a request's Host header.
    public_url: str = Field("http://127.0.0.1:8000", max_length=300)
    sign_in_nonce_seconds: int = Field(300, ge=10, le=3600)
    citizen_session_seconds: int = Field(900, ge=60, le=86_400)
    # A completed (issued or rejected) request's personal data is deleted after this time.
    request_retention_seconds: int = Field(30 * 86_400, ge=0)
    # A request left undecided (or unpaid) this long is closed as rejected, its claims deleted.
    request_open_seconds: int = Field(90 * 86_400, ge=86_400)
    # Retention (services/retention.py): a stored Idempotency-Key answer (a credential answer
    # holds the VC-JWT with its claims) is deleted this long after it was stored; sign-in nonces,
    # citizen sessions and OpenID4VCI codes, tokens and nonces this long after they expired; the
    # worker purges every retention_purge_seconds.
    idempotency_retention_seconds: int = Field(86_400, ge=60, le=90 * 86_400)
    auth_retention_seconds: int = Field(86_400, ge=0, le=90 * 86_400)
    retention_purge_seconds: float = Field(300.0, gt=0, le=86_400)
    credential_offer_seconds: int = Field(600, ge=30, le=86_400)
    issuance_token_seconds: int = Field(300, ge=30, le=3600)
    c_nonce_seconds: int = Field(300, ge=30, le=3600)

    # Payments (issue 10). The relay key that sends citizens' signed fee payments, channel
    # openings and top-ups (allow-listed by the council; citizens hold no gas).
    payments_relay_key: str = Field("relay-payments", max_length=64)
    # Credential types whose issuance waits for a fee receipt: None = every type with an active
    # fee of the same code in the chain's fee schedule; a list = only these.
    fee_types: list[str] | None = Field(None, max_length=50)
    # The worker settles (and closes) a channel this long before it expires; vouchers that arrive
    # later are refused (they could not be settled in time).
    channel_settle_margin_seconds: int = Field(300, ge=0, le=86_400)
    settler_poll_seconds: float = Field(1.0, gt=0, le=60)
    # How long a relayed payment waits for its transaction before it answers 202.
    payment_wait_seconds: float = Field(10.0, ge=0, le=120)

    @model_validator(mode="after")
    def _no_demo_secrets_in_production(self) -> Settings:
        """Outside development the API refuses to start (these errors name no secret)."""
        if self.environment != "production":
            return self
        if self.keystore_passphrase.get_secret_value() == DEMO_PASSPHRASE:
            raise ValueError(
                "set CITY_API_KEYSTORE_PASSPHRASE: the demo passphrase is for development"
            )
        if "record_keks" not in self.model_fields_set:
            raise ValueError(
                "set CITY_API_RECORD_KEKS (and CITY_API_RECORD_KEK_ID): production has no "
                "key-encryption key for record contents"
            )
        demo = [
            i for i, kek in self.record_keks.items() if kek.get_secret_value() == DEMO_RECORD_KEK
        ]
        if demo:
            raise ValueError(
                f"CITY_API_RECORD_KEKS holds the demo key-encryption key ({demo[0]!r}): "
                "it is for development"
            )
        if self.record_kek_id not in self.record_keks:
            raise ValueError(
                f"set CITY_API_RECORD_KEKS with the key-encryption key {self.record_kek_id!r} "
                "(CITY_API_RECORD_KEK_ID): record contents cannot be sealed without it"
            )
        if not self.key_database_url or self.key_database_url == self.database:
            raise ValueError(
                "set CITY_API_KEY_DATABASE_URL to a database of its own (not the registry's): "
                "a backup of the registry database must not hold the data keys"
            )
        return self

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'registry.db'}"

    @property
    def key_database(self) -> str:
        return self.key_database_url or f"sqlite:///{self.data_dir / 'record-keys.db'}"

    @property
    def keystore_dir(self) -> Path:
        return self.keys_dir or self.data_dir / "keys"


@lru_cache
def get_settings() -> Settings:
    return Settings()
