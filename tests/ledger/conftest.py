"""Ledgers on SQLite (a file per test) and on the local PostgreSQL (tables per test).

PostgreSQL tests use ``postgresql+psycopg://postgres@127.0.0.1:5432/test`` and are
skipped when no server answers there. Each test gets its own table prefix, and its
tables are dropped afterwards: the database is shared.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from soundproof.config import get_settings
from soundproof.ledger import Ledger
from soundproof.ledger.db import ledger_tables, make_ledger_engine

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

LEDGER_VARIABLES = (
    "SOUNDPROOF_LEDGER_DATABASE",
    "SOUNDPROOF_LEDGER_ORIGIN",
    "SOUNDPROOF_LEDGER_ISSUER",
    "SOUNDPROOF_SIGNING_KEY",
    "SOUNDPROOF_SIGNING_KEY_FILE",
)


@pytest.fixture(autouse=True)
def no_ledger_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach the user's ledger or signing key through the environment."""
    for name in LEDGER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()


@cache
def postgres_available() -> bool:
    """Whether the local PostgreSQL test server answers (checked once)."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:
        return False
    return True


@dataclass(frozen=True)
class Backend:
    """Where a test's ledger lives: a database URL and a table prefix."""

    name: str
    url: str
    prefix: str

    def engine(self) -> Engine:
        """A separate engine on the same tables (for tampering with them)."""
        return make_ledger_engine(self.url)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend("sqlite", f"sqlite:///{tmp_path / 'ledger.db'}", "ledger_")
        return
    if not postgres_available():
        pytest.skip("no PostgreSQL server at 127.0.0.1:5432 (database test)")
    chosen = Backend("postgresql", POSTGRES_URL, f"t{uuid.uuid4().hex[:12]}_ledger_")
    yield chosen
    engine = chosen.engine()
    ledger_tables(chosen.prefix).metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def open_ledger(backend: Backend) -> Iterator[Callable[..., Ledger]]:
    """Opens ledgers on the test's backend; closes them at the end."""
    opened: list[Ledger] = []

    def opener(**options: Any) -> Ledger:
        ledger = Ledger.open(backend.url, table_prefix=backend.prefix, **options)
        opened.append(ledger)
        return ledger

    yield opener
    for ledger in opened:
        ledger.close()
