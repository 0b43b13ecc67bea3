"""Operator settings for the embedded city, from environment variables prefixed ``CITY_``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry_core.demo import DEMO_PASSPHRASE
from scripts.paths import PROJECT_ROOT


class CitySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITY_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = PROJECT_ROOT / ".city-data"
    deployments_dir: Path = PROJECT_ROOT / "deployments"
    chain_id: int = Field(52062, gt=0)
    node_port: int = Field(8546, gt=0, lt=65536)
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(8545, gt=0, lt=65536)
    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, gt=0, lt=65536)
    explorer_host: str = "127.0.0.1"
    explorer_port: int = Field(8080, gt=0, lt=65536)
    keystore_passphrase: SecretStr = SecretStr(DEMO_PASSPHRASE)

    @model_validator(mode="after")
    def _no_demo_secrets_in_production(self) -> CitySettings:
        if (
            self.environment == "production"
            and self.keystore_passphrase.get_secret_value() == DEMO_PASSPHRASE
        ):
            raise ValueError("set CITY_KEYSTORE_PASSPHRASE: the demo passphrase is for development")
        return self

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def node_url(self) -> str:
        return f"http://127.0.0.1:{self.node_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.gateway_host}:{self.gateway_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    @property
    def explorer_url(self) -> str:
        return f"http://{self.explorer_host}:{self.explorer_port}"
