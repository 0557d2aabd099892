"""SQLAlchemy engines with the settings each backend needs to be safe and durable.

SQLite (the default, one file under ``SOUNDPROOF_HOME``) runs in WAL mode: readers
(scan workers looking results up) never block the one writer, and a committed
transaction is on disk in the WAL before ``commit`` returns, so it survives the
process being killed. ``synchronous=NORMAL`` is the documented safe pairing with WAL
against application crashes; only a power cut can lose the last transactions.
PostgreSQL is used as given by its URL (``postgresql+psycopg://...``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from soundproof.errors import UsageError

#: Seconds a SQLite connection waits for a lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 30.0


def parse_database_url(url: str) -> URL:
    """``url`` parsed, or :class:`UsageError` saying it is not a database URL."""
    try:
        return make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError for junk URLs
        raise UsageError(f"not a database URL: {url!r} ({exc})") from None


def make_engine(url: str) -> Engine:
    """An engine for ``url``; creates the folder of a SQLite file and sets its pragmas."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(url, pool_pre_ping=True)
        except ImportError as exc:
            raise UsageError(
                f"no driver for {parsed.drivername} databases ({exc.name} is not installed); "
                "for PostgreSQL: pip install 'soundproof[postgres]'"
            ) from None
    database = parsed.database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.close()
