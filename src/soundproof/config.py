"""Runtime settings, read from ``SOUNDPROOF_*`` environment variables.

``SOUNDPROOF_HOME`` holds keys, databases and the cache (DESIGN.md).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "soundproof"


class Settings(BaseSettings):
    """Settings shared by every interface."""

    model_config = SettingsConfigDict(env_prefix="SOUNDPROOF_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    workers: int = Field(default=0, description="Scan worker processes; 0 means one per core.")

    database: str | None = Field(
        default=None,
        description="Results database URL (SQLAlchemy); default: SQLite under home.",
    )

    @property
    def database_url(self) -> str:
        """Where scan results live: ``database`` or the default file (the ledger has its own)."""
        return self.database or f"sqlite:///{self.home / 'soundproof.db'}"

    # Downloading the http(s) entries of playlists (soundproof.scan.fetch): DESIGN.md's
    # security defaults, as limits an operator can tune.
    fetch_max_bytes: int = Field(
        default=100_000_000, gt=0, description="Largest download, in bytes (100 MB)."
    )
    fetch_connect_timeout_s: float = Field(
        default=10.0, gt=0, description="Longest wait for a DNS answer or a TCP/TLS connection."
    )
    fetch_read_timeout_s: float = Field(
        default=30.0, gt=0, description="Longest wait for the server's next bytes."
    )
    fetch_deadline_s: float = Field(
        default=120.0, gt=0, description="Longest time one download may take, redirects included."
    )
    fetch_max_redirects: int = Field(default=5, ge=0, description="Redirects followed per URL.")
    fetch_concurrency: int = Field(default=4, ge=1, description="Downloads at once in a scan.")
    fetch_allow_private: bool = Field(
        default=False,
        description="Fetch from private, loopback and link-local addresses (--allow-private-urls).",
    )
    fetch_allow_networks: list[str] = Field(
        default_factory=list,
        description='Address blocks always fetched from, as JSON: ["10.20.0.0/16"].',
    )
    fetch_cache_max_age_s: float = Field(
        default=0.0, ge=0, description="Download a cached URL again after this age; 0: never."
    )

    # The provenance ledger (soundproof.ledger): its own database, signing key and names.
    ledger_database: str | None = Field(
        default=None,
        description="Ledger database URL (SQLAlchemy); default: SQLite ledger.db under home.",
    )
    ledger_origin: str | None = Field(
        default=None,
        description="Origin line of a new ledger's checkpoints (e.g. example.com/soundproof); "
        "default: made from the host name once, then kept in the ledger.",
    )
    ledger_issuer: str | None = Field(
        default=None, description="The iss claim of attestations; default: the ledger's origin."
    )
    signing_key: SecretStr | None = Field(
        default=None,
        description="Ed25519 signing key as PEM text (PKCS#8); wins over the file and the ring.",
    )
    signing_key_file: Path | None = Field(
        default=None,
        description="File holding the Ed25519 signing key as PEM (mode 0600); wins over the ring.",
    )

    @property
    def ledger_database_url(self) -> str:
        """Where the ledger lives: ``ledger_database`` or its own SQLite file under home.

        A file of its own, not the results database: the ledger is append-only and kept
        forever (the results cache may be deleted at will), and it commits with
        ``synchronous=FULL`` (see :mod:`soundproof.ledger.db`).
        """
        return self.ledger_database or f"sqlite:///{self.home / 'ledger.db'}"

    @property
    def keys_dir(self) -> Path:
        """The key ring: signing keys (mode 0600) and the public part of retired ones."""
        return self.home / "keys"

    @property
    def cache_dir(self) -> Path:
        """Downloaded and generated data (training corpora, rendered fakes)."""
        return self.home / "cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
