"""The ledger's tables and database engines: durable commits and one writer at a time.

Where: by default its own SQLite file, ``SOUNDPROOF_HOME/ledger.db``, not the results
database. The two differ in kind: results are a cache that may be deleted and
rebuilt, the ledger is append-only evidence kept forever, backed up and published on
its own schedule; and the ledger commits with ``synchronous=FULL`` while the cache
does not need to. A PostgreSQL URL (``SOUNDPROOF_LEDGER_DATABASE``) works as well;
every table name carries a prefix (``ledger_`` by default), so the ledger can share a
database with the results store or with other logs.

Durability. SQLite runs in WAL mode with ``synchronous=FULL``: the WAL is fsynced at
every commit, so an acknowledged append survives not only the process being killed
(WAL with ``NORMAL`` already does) but also an operating-system crash or power cut,
which ``NORMAL`` may lose. Appends are batched, so the cost is one fsync per batch.
PostgreSQL's default (``synchronous_commit=on``) flushes its WAL before a commit
returns.

One writer. Appends read the tree size, then write after it, so two writers must
never interleave. On SQLite a write transaction opens with ``BEGIN IMMEDIATE``: it
takes the database's write lock before reading anything, whereas a deferred ``BEGIN``
reads a snapshot first and then fails at once (``SQLITE_BUSY``, no waiting) when
another writer committed in between. Other writers wait up to the busy timeout.
On PostgreSQL the writer locks the head row (``SELECT ... FOR UPDATE``), which
serialises appends and checkpoints and leaves readers alone.
Readers on both get one consistent snapshot per transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Connection

from soundproof.errors import UsageError
from soundproof.store.engine import make_engine, parse_database_url

SQLITE_BUSY_TIMEOUT_S = 60.0
"""Seconds a SQLite writer waits for another writer's batch before giving up."""

WRITE_OPTION = "soundproof_ledger_write"
"""Execution option that makes a SQLite transaction start with ``BEGIN IMMEDIATE``."""

DEFAULT_PREFIX = "ledger_"
_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,40}$")

# Identifier columns: BIGINT on PostgreSQL; INTEGER on SQLite, where an INTEGER
# PRIMARY KEY is the rowid itself (no second index to maintain).
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class LedgerTables:
    """The four tables of one log.

    * ``head``: one row (``id`` 1): the log's ``origin`` and committed ``size``;
      writers lock it.
    * ``leaves``: ``idx``, the entry ``data`` and its leaf ``hash``.
    * ``nodes``: the hash of every perfect subtree of height >= 1, by
      ``(level, idx)`` (see :mod:`soundproof.ledger.merkle`).
    * ``checkpoints``: every signed tree head: ``size``, ``root``, the ``note``.
    """

    metadata: MetaData
    head: Table
    leaves: Table
    nodes: Table
    checkpoints: Table


def ledger_tables(prefix: str = DEFAULT_PREFIX) -> LedgerTables:
    """The table definitions under ``prefix`` (lowercase letters, digits and '_')."""
    if not _PREFIX.match(prefix):
        raise UsageError(f"bad ledger table prefix {prefix!r}: lowercase letters, digits, '_'")
    metadata = MetaData()
    head = Table(
        f"{prefix}head",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("origin", Text, nullable=False),
        Column("size", BigInteger, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    leaves = Table(
        f"{prefix}leaves",
        metadata,
        Column("idx", _BIG_ID, primary_key=True, autoincrement=False),
        Column("hash", LargeBinary(32), nullable=False),
        Column("data", LargeBinary, nullable=False),
    )
    nodes = Table(
        f"{prefix}nodes",
        metadata,
        Column("level", SmallInteger, primary_key=True, autoincrement=False),
        Column("idx", BigInteger, primary_key=True, autoincrement=False),
        Column("hash", LargeBinary(32), nullable=False),
        sqlite_with_rowid=False,
    )
    checkpoints = Table(
        f"{prefix}checkpoints",
        metadata,
        Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        Column("size", BigInteger, nullable=False, index=True),
        Column("root", LargeBinary(32), nullable=False),
        Column("note", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    return LedgerTables(metadata, head, leaves, nodes, checkpoints)


def make_ledger_engine(url: str) -> Engine:
    """An engine for the ledger at ``url`` (SQLite or PostgreSQL), set up as described above."""
    parsed = parse_database_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return make_engine(url)
    if backend != "sqlite":
        raise UsageError(
            f"unsupported ledger database {backend!r} in {url}: use SQLite or PostgreSQL"
        )
    database = parsed.database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database)).expanduser()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module (it would BEGIN deferred
    # on its own schedule); _sqlite_begin emits the right BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(WRITE_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


__all__ = [
    "DEFAULT_PREFIX",
    "WRITE_OPTION",
    "LedgerTables",
    "ledger_tables",
    "make_ledger_engine",
    "sqlite_file",
]
