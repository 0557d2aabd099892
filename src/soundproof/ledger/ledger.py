"""The provenance ledger: an append-only, verifiable log of every decision that matters.

:class:`Ledger` is the one Python entry point (the CLI's ``soundproof ledger`` is a
thin shell over it). It ties together the storage (:mod:`.store`), the RFC 9162
tree (:mod:`.merkle`), signed checkpoints (:mod:`.checkpoint`), keys
(:mod:`.keyring`) and attestations (:mod:`.attestation`)::

    with Ledger.open() as ledger:                  # SOUNDPROOF_HOME/ledger.db
        entry = ledger.append_record("consent", {"subject": "...", "granted": True})
        note = ledger.checkpoint().note            # signed tree head
        proof = ledger.prove(entry.index)          # audit path to the current root
        report = ledger.verify()                   # recompute and check everything

Entries are bytes; records (:func:`~soundproof.ledger.canonical.encode_record`) are
the canonical JSON every Soundproof writer uses, with a ``kind``.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy.engine import Connection, make_url

from soundproof.config import Settings, get_settings
from soundproof.ledger.attestation import attestation_claims, sign_attestation, verdict_record
from soundproof.ledger.canonical import encode_record
from soundproof.ledger.checkpoint import Checkpoint, check_origin, sign_checkpoint
from soundproof.ledger.db import DEFAULT_PREFIX, ledger_tables, make_ledger_engine, sqlite_file
from soundproof.ledger.errors import LedgerError, LedgerStoreError
from soundproof.ledger.keyring import known_public_keys, load_signing_key
from soundproof.ledger.keys import PublicKey, SigningKey
from soundproof.ledger.merkle import (
    ConsistencyProof,
    InclusionProof,
    build_consistency_proof,
    build_inclusion_proof,
)
from soundproof.ledger.store import Leaf, LogEntry, LogStore, StoredCheckpoint
from soundproof.ledger.verify import VerifyReport, verify_log

DEFAULT_BATCH_SIZE = 10_000
"""Entries per transaction in :meth:`Ledger.append_many` (one fsync each)."""


@dataclass(frozen=True)
class TreeHead:
    """The log's committed ``size`` and its Merkle ``root`` at that size."""

    origin: str
    size: int
    root: bytes


@dataclass(frozen=True)
class Attestation:
    """A signed verdict: the compact JWS ``token``, its claims, and the log entry behind it."""

    token: str
    claims: dict[str, Any]
    entry: LogEntry


def default_origin(settings: Settings) -> str:
    """The origin of a new log: the configured one, or ``<host>/soundproof-ledger/<random>``.

    The random part keeps two installations on hosts of the same name apart; the
    origin is stored with the log, so it is made once.
    """
    if settings.ledger_origin:
        return check_origin(settings.ledger_origin)
    host = re.sub(r"[^a-z0-9.-]+", "-", socket.gethostname().lower()).strip("-.") or "localhost"
    return f"{host}/soundproof-ledger/{secrets.token_hex(4)}"


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not parseable: make_ledger_engine reports it properly
        return url


class Ledger:
    """One transparency log and the keys that sign for it (see the module docstring)."""

    def __init__(self, store: LogStore, origin: str, settings: Settings) -> None:
        self._store = store
        self.origin = origin
        self.settings = settings

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        settings: Settings | None = None,
        origin: str | None = None,
        table_prefix: str = DEFAULT_PREFIX,
        create: bool = True,
    ) -> Ledger:
        """Open the ledger at ``url`` (default: ``settings.ledger_database_url``).

        ``create`` makes the tables and the log's head if missing, with ``origin``
        (default: :func:`default_origin`); an existing log keeps its own origin, and
        asking for another is an error. ``create=False`` opens only an existing log
        (read-only commands use it, so they never leave an empty database behind).
        """
        settings = settings or get_settings()
        url = url or settings.ledger_database_url
        if origin is not None:
            check_origin(origin)
        path = sqlite_file(url)
        if not create and path is not None and not path.exists():
            raise LedgerError(f"no ledger at {path}: nothing was appended yet")
        tables = ledger_tables(table_prefix)
        store = LogStore(make_ledger_engine(url), tables, _safe_url(url))
        try:
            if not create:
                if not store.exists():
                    raise LedgerError(f"no ledger in {store.url}: nothing was appended yet")
                with store.reading() as conn:
                    stored_origin, _ = store.head(conn)
            else:
                stored_origin = store.create(origin or default_origin(settings))
            if origin is not None and origin != stored_origin:
                raise LedgerError(
                    f"the ledger in {store.url} is the log {stored_origin!r}, not {origin!r}"
                )
        except BaseException:
            store.engine.dispose()
            raise
        return cls(store, stored_origin, settings)

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._store.url

    def close(self) -> None:
        """Release the database connections."""
        self._store.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Entries committed so far."""
        with self._store.reading() as conn:
            return self._store.head(conn)[1]

    def head(self) -> TreeHead:
        """The committed size and root (one consistent read)."""
        with self._store.reading() as conn:
            origin, size = self._store.head(conn)
            return TreeHead(origin=origin, size=size, root=self._store.root(conn, size))

    def root(self, size: int | None = None) -> bytes:
        """The Merkle root at ``size`` (default: now), from O(log n) stored hashes."""
        with self._store.reading() as conn:
            current = self._store.head(conn)[1]
            size = current if size is None else size
            self._check_size(size, current)
            return self._store.root(conn, size)

    def leaf(self, index: int) -> Leaf:
        """The entry at ``index``: its bytes and leaf hash."""
        with self._store.reading() as conn:
            size = self._store.head(conn)[1]
            if not 0 <= index < size:
                raise LedgerError(f"no entry {index}: the log has {size} entries")
            leaf = self._store.leaf(conn, index)
        if leaf is None:
            raise LedgerError(f"entry {index} is missing from the database; run verify")
        return leaf

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every signed checkpoint, oldest first."""
        with self._store.reading() as conn:
            return self._store.checkpoints(conn)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The most recent signed checkpoint, or None."""
        with self._store.reading() as conn:
            found = self._store.checkpoints(conn, latest=True)
        return found[0] if found else None

    def count_checkpoints(self) -> int:
        """How many checkpoints were signed."""
        with self._store.reading() as conn:
            return self._store.count_checkpoints(conn)

    # -- appending ---------------------------------------------------------------------------

    def append(self, data: bytes) -> LogEntry:
        """Append one entry; durable when this returns. Batch with :meth:`append_many`."""
        return self._store.append([data])[0]

    def append_many(
        self, items: Iterable[bytes], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> list[LogEntry]:
        """Append entries in order, ``batch_size`` per transaction; their log entries.

        Each batch is durable when its transaction commits. If a later batch fails,
        the earlier ones stay in the log (they were committed) and the error is raised.
        """
        if batch_size < 1:
            raise LedgerError("batch_size must be at least 1")
        entries: list[LogEntry] = []
        batch: list[bytes] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                entries.extend(self._store.append(batch))
                batch = []
        if batch:
            entries.extend(self._store.append(batch))
        return entries

    def append_record(self, kind: str, fields: Mapping[str, Any]) -> LogEntry:
        """Append a record of ``kind`` as canonical JSON (see :mod:`.canonical`)."""
        return self.append(encode_record(kind, fields))

    # -- proofs --------------------------------------------------------------------------------

    @staticmethod
    def _check_size(size: int, current: int) -> None:
        if not 0 <= size <= current:
            raise LedgerError(f"no tree of size {size}: the log has {current} entries")

    def prove(
        self, index: int, size: int | None = None, *, checkpoint: bool = False
    ) -> InclusionProof:
        """The audit path of entry ``index`` in the tree of ``size`` (default: now).

        ``checkpoint=True`` proves against the latest signed checkpoint instead and
        bundles its note, so the proof can be checked offline with the public keys.
        """
        if checkpoint and size is not None:
            raise LedgerError("give a size or ask for the latest checkpoint, not both")
        with self._store.reading() as conn:
            current = self._store.head(conn)[1]
            note = None
            if checkpoint:
                latest = self._store.checkpoints(conn, latest=True)
                if not latest:
                    raise LedgerError("no checkpoint yet: run `soundproof ledger checkpoint`")
                size, note = latest[0].size, latest[0].note
            size = current if size is None else size
            self._check_size(size, current)
            if not 0 <= index < size:
                if note is not None:
                    raise LedgerError(
                        f"entry {index} came after the latest checkpoint (size {size}): "
                        "run `soundproof ledger checkpoint`"
                    )
                raise LedgerError(f"no entry {index} in a tree of size {size}")
            return build_inclusion_proof(
                index, size, lambda ids: self._store.lookup(conn, ids), checkpoint=note
            )

    def consistency(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """The proof that the tree of ``new_size`` (default: now) extends ``old_size``."""
        with self._store.reading() as conn:
            current = self._store.head(conn)[1]
            new_size = current if new_size is None else new_size
            self._check_size(new_size, current)
            if not 0 <= old_size <= new_size:
                raise LedgerError(f"old size {old_size} must lie between 0 and {new_size}")
            return build_consistency_proof(
                old_size, new_size, lambda ids: self._store.lookup(conn, ids)
            )

    # -- signing -------------------------------------------------------------------------------

    def signing_key(self) -> SigningKey:
        """The key that signs (environment, key file or the ring's active key)."""
        return load_signing_key(self.settings)

    def public_keys(self) -> list[PublicKey]:
        """Every public key known here, retired ones included (they still verify)."""
        return known_public_keys(self.settings)

    def checkpoint(self, key: SigningKey | None = None) -> StoredCheckpoint:
        """Sign the current tree head as a C2SP checkpoint, store it and return it."""
        key = key or self.signing_key()
        with self._store.writing() as conn:
            _, size = self._store.head(conn)
            self._refuse_a_fork(conn)
            root = self._store.root(conn, size)
            note = sign_checkpoint(Checkpoint(origin=self.origin, size=size, root=root), key)
            identifier = self._store.insert_checkpoint(conn, size, root, note)
        return StoredCheckpoint(
            id=identifier, size=size, root=root, note=note, created_at=dt.datetime.now(dt.UTC)
        )

    def _refuse_a_fork(self, conn: Connection) -> None:
        """Never sign a tree that does not extend the last checkpoint (C2SP tlog-checkpoint).

        The stored hashes at the last checkpoint's size must still give its root (an
        O(log n) check); if the database was altered since, signing would fork the log.
        """
        latest = self._store.checkpoints(conn, latest=True)
        if not latest:
            return
        last = latest[0]
        if self._store.root(conn, last.size) != last.root:
            raise LedgerStoreError(
                f"the stored tree no longer matches checkpoint {last.id} (size {last.size}); "
                "not signing a fork of the log: run `soundproof ledger verify`"
            )

    def attest_verdicts(
        self,
        rows: Iterable[Mapping[str, Any]],
        *,
        key: SigningKey | None = None,
        issuer: str | None = None,
        at: dt.datetime | None = None,
    ) -> list[Attestation]:
        """Log each verdict row and sign an attestation of it (one append batch).

        ``rows`` are plain mappings with ``content_hash``, ``verdict``, ``p_ai`` and
        ``model_version`` (``TrackResult.model_dump()`` fits). The key is loaded and
        every row checked before anything is appended.
        """
        key = key or self.signing_key()
        issuer = issuer or self.settings.ledger_issuer or self.origin
        moment = (at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        rows = list(rows)
        records = [verdict_record(row, at=moment) for row in rows]
        entries = self.append_many(records)
        attestations = []
        for row, entry in zip(rows, entries, strict=True):
            claims = attestation_claims(
                row, issuer=issuer, origin=self.origin, entry=entry, issued_at=moment
            )
            attestations.append(
                Attestation(token=sign_attestation(claims, key), claims=claims, entry=entry)
            )
        return attestations

    def attest_verdict(self, row: Mapping[str, Any], **options: Any) -> Attestation:
        """:meth:`attest_verdicts` for one row."""
        return self.attest_verdicts([row], **options)[0]

    # -- verification ----------------------------------------------------------------------------

    def verify(self, keys: Sequence[PublicKey] | None = None) -> VerifyReport:
        """Recompute the whole tree and check every leaf, node and checkpoint.

        Checkpoint signatures are checked with ``keys`` (default: every key known
        here). The report names each problem; ``report.ok`` when there is none.
        """
        return verify_log(self._store, self.public_keys() if keys is None else keys)


__all__ = ["DEFAULT_BATCH_SIZE", "Attestation", "Ledger", "TreeHead", "default_origin"]
