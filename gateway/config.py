"""Gateway settings, from ``CITY_GATEWAY_*`` environment variables (CLI flags override them).

==================================  ===========================  ===================================
variable                            default                      meaning
==================================  ===========================  ===================================
``CITY_GATEWAY_UPSTREAM_URL``       ``http://127.0.0.1:8546``    the node (anvil on loopback)
``CITY_GATEWAY_HOST``               ``127.0.0.1``                address the gateway listens on
``CITY_GATEWAY_PORT``               ``8545``                     port the gateway listens on
``CITY_GATEWAY_DEPLOYMENTS_DIR``    ``deployments``              where ``<chainId>.json`` lives
``CITY_GATEWAY_CHAIN_ID``           (the node's)                 expected chain id, checked
``CITY_GATEWAY_MAX_BODY_BYTES``     ``10485760``                 largest request body (HTTP 413)
``CITY_GATEWAY_MAX_BATCH_SIZE``     ``1000``                     most requests in one batch
``CITY_GATEWAY_UPSTREAM_TIMEOUT``   ``30``                       seconds per request to the node
``CITY_GATEWAY_LOG_LEVEL``          ``INFO``                     logging level
==================================  ===========================  ===================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITY_GATEWAY_", extra="ignore")

    upstream_url: str = Field("http://127.0.0.1:8546", max_length=2048)
    host: str = Field("127.0.0.1", max_length=255)
    port: int = Field(8545, ge=0, le=65535)
    deployments_dir: Path = Path("deployments")
    chain_id: int | None = Field(None, ge=1)
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_batch_size: int = Field(1000, ge=1)
    upstream_timeout: float = Field(30.0, gt=0)
    upstream_connections: int = Field(64, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
