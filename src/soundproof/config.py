"""Runtime settings, read from ``SOUNDPROOF_*`` environment variables.

``SOUNDPROOF_HOME`` holds keys, databases and the cache (DESIGN.md).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "soundproof"


class Settings(BaseSettings):
    """Settings shared by every interface."""

    model_config = SettingsConfigDict(env_prefix="SOUNDPROOF_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    workers: int = Field(default=0, description="Scan worker processes; 0 means one per core.")

    @property
    def cache_dir(self) -> Path:
        """Downloaded and generated data (training corpora, rendered fakes)."""
        return self.home / "cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
