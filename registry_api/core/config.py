"""API settings, from environment variables prefixed ``CITY_API_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITY_API_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    # The permissioning gateway: the API never talks to the node directly.
    rpc_url: str = Field("http://127.0.0.1:8545", max_length=2048)
    deployments_dir: Path = PROJECT_ROOT / "deployments"
    rpc_timeout_seconds: float = Field(10.0, gt=0, le=300)


@lru_cache
def get_settings() -> Settings:
    return Settings()
