"""The log on disk: batched durable appends, O(log n) hash lookups, checkpoint rows.

SQLAlchemy Core only (no ORM objects): appends are one driver-level ``executemany``
per table per batch, lookups one query per table. An append batch runs in one write transaction
(:mod:`soundproof.ledger.db`): read the size and the O(log n) hashes of the tree's
right border (its "compact range"), hash the new leaves and every perfect subtree
they complete, insert leaves and nodes, move the size, commit. When the commit
returns the batch is durable, and the indices it got are the caller's for good.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Table, and_, func, inspect, or_, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from soundproof.ledger.db import WRITE_OPTION, LedgerTables
from soundproof.ledger.errors import LedgerError, LedgerStoreError
from soundproof.ledger.merkle import NodeId, fold, subtree_nodes

HEAD_ID = 1


@dataclass(frozen=True, slots=True)
class LogEntry:
    """An acknowledged append: the entry's ``index`` in the log and its ``leaf_hash``."""

    index: int
    leaf_hash: bytes


@dataclass(frozen=True)
class Leaf:
    """A stored entry: index, leaf hash and the bytes that were appended."""

    index: int
    leaf_hash: bytes
    data: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint row: its ``id`` (1, 2, ... in order of signing) and signed ``note``."""

    id: int
    size: int
    root: bytes
    note: str
    created_at: dt.datetime


def describe_node(node: NodeId) -> str:
    """How problems and errors name a perfect subtree."""
    level, index = node
    if level == 0:
        return f"leaf {index}"
    return f"node (level {level}, index {index})"


class LogStore:
    """The SQL side of one log (see the module docstring)."""

    def __init__(self, engine: Engine, tables: LedgerTables, url: str) -> None:
        self.engine = engine
        self.tables = tables
        self.url = url

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- set-up ---------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether this log's tables are in the database."""
        try:
            return inspect(self.engine).has_table(self.tables.head.name)
        except SQLAlchemyError as exc:
            raise LedgerStoreError(f"cannot open the ledger database {self.url}: {exc}") from None

    def create(self, origin: str) -> str:
        """Create the tables and the head row if missing; returns the log's origin.

        Runs as a write transaction (and, on PostgreSQL, under an advisory lock), so
        processes starting together create the log once.
        """
        try:
            with self.writing(lock_head=False) as conn:
                if self.dialect == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(hashtext(:name))"),
                        {"name": self.tables.head.name},
                    )
                self.tables.metadata.create_all(conn)
                head = self.tables.head
                row = conn.execute(select(head.c.origin).where(head.c.id == HEAD_ID)).first()
                if row is not None:
                    return str(row.origin)
                conn.execute(
                    head.insert().values(
                        id=HEAD_ID, origin=origin, size=0, created_at=dt.datetime.now(dt.UTC)
                    )
                )
                return origin
        except SQLAlchemyError as exc:
            raise LedgerStoreError(f"cannot create the ledger in {self.url}: {exc}") from None

    # -- transactions -----------------------------------------------------------------

    @contextmanager
    def reading(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """A read transaction; ``snapshot`` makes PostgreSQL see one point in time too.

        (SQLite always does: a read transaction sees the database as of its first read.)
        """
        try:
            with self.engine.connect() as conn:
                if snapshot and self.dialect == "postgresql":
                    conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            raise LedgerStoreError(f"cannot read the ledger database {self.url}: {exc}") from None

    @contextmanager
    def writing(self, *, lock_head: bool = True) -> Iterator[Connection]:
        """The one write transaction at a time (``BEGIN IMMEDIATE`` / head row lock)."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{WRITE_OPTION: True})
                with conn.begin():
                    if lock_head:
                        self._lock_head(conn)
                    yield conn
        except SQLAlchemyError as exc:
            raise LedgerStoreError(
                f"cannot write to the ledger database {self.url}: {exc}"
            ) from None

    def _lock_head(self, conn: Connection) -> None:
        head = self.tables.head
        locked = conn.execute(
            select(head.c.size).where(head.c.id == HEAD_ID).with_for_update()
        ).first()
        if locked is None:
            raise LedgerStoreError(f"the ledger in {self.url} has no head row (not created?)")

    # -- reads -------------------------------------------------------------------------

    def head(self, conn: Connection) -> tuple[str, int]:
        """``(origin, size)`` as committed."""
        head = self.tables.head
        row = conn.execute(select(head.c.origin, head.c.size).where(head.c.id == HEAD_ID)).first()
        if row is None:
            raise LedgerStoreError(f"the ledger in {self.url} has no head row (not created?)")
        return str(row.origin), int(row.size)

    def lookup(self, conn: Connection, wanted: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """The stored hashes of the given perfect subtrees (two queries at most).

        Level 0 comes from the leaves, higher levels from the nodes table. A missing
        hash is a damaged database: :class:`LedgerStoreError` names it.
        """
        ids = list(dict.fromkeys(wanted))
        found: dict[NodeId, bytes] = {}
        leaves, nodes = self.tables.leaves, self.tables.nodes
        leaf_ids = [index for level, index in ids if level == 0]
        node_ids = [(level, index) for level, index in ids if level > 0]
        if leaf_ids:
            query = select(leaves.c.idx, leaves.c.hash).where(leaves.c.idx.in_(leaf_ids))
            for index, value in conn.execute(query):
                found[(0, int(index))] = bytes(value)
        if node_ids:
            condition = or_(
                *(and_(nodes.c.level == level, nodes.c.idx == index) for level, index in node_ids)
            )
            query = select(nodes.c.level, nodes.c.idx, nodes.c.hash).where(condition)
            for row in conn.execute(query):
                found[(int(row.level), int(row.idx))] = bytes(row.hash)
        missing = [node for node in ids if node not in found]
        if missing:
            raise LedgerStoreError(
                f"the ledger database has lost the hash of {describe_node(missing[0])}; "
                "run `soundproof ledger verify`"
            )
        return found

    def root(self, conn: Connection, size: int) -> bytes:
        """The Merkle root of the first ``size`` entries, from O(log n) stored hashes."""
        nodes = subtree_nodes(0, size)
        found = self.lookup(conn, nodes)
        return fold([found[node] for node in nodes])

    def leaf(self, conn: Connection, index: int) -> Leaf | None:
        """The stored entry at ``index``, or None."""
        leaves = self.tables.leaves
        row = conn.execute(
            select(leaves.c.hash, leaves.c.data).where(leaves.c.idx == index)
        ).first()
        if row is None:
            return None
        return Leaf(index=index, leaf_hash=bytes(row.hash), data=bytes(row.data))

    def checkpoints(self, conn: Connection, *, latest: bool = False) -> list[StoredCheckpoint]:
        """Every checkpoint in signing order (or only the latest one)."""
        table = self.tables.checkpoints
        query = select(table).order_by(table.c.id.desc() if latest else table.c.id)
        if latest:
            query = query.limit(1)
        return [
            StoredCheckpoint(
                id=int(row.id),
                size=int(row.size),
                root=bytes(row.root),
                note=str(row.note),
                created_at=row.created_at,
            )
            for row in conn.execute(query)
        ]

    def count_checkpoints(self, conn: Connection) -> int:
        """How many checkpoints were signed."""
        table = self.tables.checkpoints
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    # -- writes ------------------------------------------------------------------------

    def append(self, items: Sequence[bytes]) -> list[LogEntry]:
        """Append ``items`` in one durable transaction; their entries, in order."""
        if not items:
            return []
        for position, item in enumerate(items):
            if not isinstance(item, bytes | bytearray | memoryview):
                raise LedgerError(f"entry {position} is {type(item).__name__}, not bytes")
        with self.writing() as conn:
            _, size = self.head(conn)
            border = subtree_nodes(0, size)
            found = self.lookup(conn, border)
            stack = [(level, found[(level, index)]) for level, index in border]
            leaf_rows: list[tuple[int, bytes, bytes]] = []
            node_rows: list[tuple[int, int, bytes]] = []
            sha256 = hashlib.sha256
            for offset, item in enumerate(items):
                index = size + offset
                data = bytes(item)
                current = sha256(b"\x00" + data).digest()
                leaf_rows.append((index, current, data))
                level = 0
                while stack and stack[-1][0] == level:
                    current = sha256(b"\x01" + stack.pop()[1] + current).digest()
                    level += 1
                    node_rows.append((level, index >> level, current))
                stack.append((level, current))
            self._insert_many(conn, self.tables.leaves, ("idx", "hash", "data"), leaf_rows)
            self._insert_many(conn, self.tables.nodes, ("level", "idx", "hash"), node_rows)
            head = self.tables.head
            conn.execute(head.update().where(head.c.id == HEAD_ID).values(size=size + len(items)))
        return [LogEntry(index=row[0], leaf_hash=row[1]) for row in leaf_rows]

    @staticmethod
    def _insert_many(
        conn: Connection,
        table: Table,
        columns: tuple[str, ...],
        rows: Sequence[tuple[Any, ...]],
    ) -> None:
        """One driver-level ``executemany`` of ``rows`` (values in ``columns`` order).

        SQLAlchemy compiles the INSERT for the connection's dialect; the rows then go to
        the driver as they are (ints and bytes need no conversion). This skips Core's
        per-row parameter processing, which is most of the cost of a large batch.
        """
        if not rows:
            return
        compiled = table.insert().compile(dialect=conn.dialect, column_keys=list(columns))
        if compiled.positional:
            order = [columns.index(name) for name in compiled.positiontup or ()]
            if order != list(range(len(columns))):
                rows = [tuple(row[i] for i in order) for row in rows]
            conn.exec_driver_sql(str(compiled), list(rows))
        else:
            named = [dict(zip(columns, row, strict=True)) for row in rows]
            conn.exec_driver_sql(str(compiled), named)

    def insert_checkpoint(self, conn: Connection, size: int, root: bytes, note: str) -> int:
        """Store a signed checkpoint (inside the caller's write transaction); its id."""
        table = self.tables.checkpoints
        result = conn.execute(
            table.insert().values(
                size=size, root=root, note=note, created_at=dt.datetime.now(dt.UTC)
            )
        )
        key = result.inserted_primary_key
        return int(key[0]) if key is not None else 0


__all__ = ["Leaf", "LogEntry", "LogStore", "StoredCheckpoint", "describe_node"]
