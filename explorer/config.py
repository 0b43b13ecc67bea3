"""The explorer's settings, from environment variables prefixed ``CITY_EXPLORER_``.

The explorer reads only the chain's JSON-RPC (through the permissioning gateway) and the
deployment manifests; its own cache is the only database it touches.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_core.events import DEFAULT_PAGE_BLOCKS

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class ExplorerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITY_EXPLORER_", extra="ignore")

    # The permissioning gateway (the only public RPC); any standard node works as well.
    rpc_url: str = Field("http://127.0.0.1:8545", max_length=2048)
    rpc_timeout_seconds: float = Field(10.0, gt=0, le=300)
    deployments_dir: Path = PROJECT_ROOT / "deployments"
    data_dir: Path = PROJECT_ROOT / ".city-data"
    # SQLAlchemy URL of the explorer's own cache; empty means SQLite at <data_dir>/explorer.db.
    # PostgreSQL: postgresql+psycopg://user@host:5432/dbname
    database_url: str = Field("", max_length=2048)
    host: str = Field("127.0.0.1", max_length=255)
    port: int = Field(8080, gt=0, lt=65536)
    # eth_getLogs block range per query (halved while a node refuses it, see registry_core.events).
    page_blocks: int = Field(DEFAULT_PAGE_BLOCKS, ge=1, le=100_000)
    # How often the background indexer asks for new blocks; 0 = no background indexing.
    poll_seconds: float = Field(2.0, ge=0, le=3600)
    page_size: int = Field(25, ge=1, le=500)
    # An integrity-check upload larger than this is refused (413) before it is parsed.
    max_upload_bytes: int = Field(1_000_000, ge=1024, le=50_000_000)
    # How long the deployment check (code hashes) and the chain head are trusted.
    code_check_seconds: float = Field(30.0, ge=0, le=3600)
    head_cache_seconds: float = Field(1.0, ge=0, le=60)

    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'explorer.db'}"
