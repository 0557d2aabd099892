"""Finished scan verdicts, remembered by the content hash of the audio and the model version.

A track whose bytes and model are unchanged is never analysed twice: a rescan of a
catalogue costs only the hashing. The key is the SHA-256 of the file's bytes, so a
renamed or moved file, or the same file named by two playlists, is still found; a new
model version misses on purpose and the track is analysed again. (The scan stores rows
under the model version plus the detector's result revision, see
:func:`soundproof.scan.remember.remembered_under`.)

Only the analysis is stored (verdict, p_ai, explanation, duration, model version):
path and playlist metadata belong to where the file was found this time, and the
caller lays them over the stored row. Each :meth:`ResultStore.put` commits on its
own, so a result is durable before the scan reports it (a scan killed with SIGKILL
and started again loses no finished result and does not redo it).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from soundproof.errors import SoundproofError
from soundproof.store.engine import make_engine, parse_database_url

metadata = MetaData()

scan_results = Table(
    "scan_results",
    metadata,
    Column("content_hash", String(64), primary_key=True),
    Column("model_version", String(128), primary_key=True),
    Column("analysis", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


#: Backends whose INSERT ... ON CONFLICT the store uses.
UPSERT_DIALECTS = ("sqlite", "postgresql")


class StoreError(SoundproofError):
    """The results database cannot be opened or written."""


class ResultStore:
    """The table of remembered verdicts in one database (see the module docstring)."""

    def __init__(self, url: str, *, engine: Engine | None = None, create: bool = True) -> None:
        """Open the store at ``url``; ``create=False`` skips creating the table (readers)."""
        self.url = url
        backend = engine.dialect.name if engine else parse_database_url(url).get_backend_name()
        if backend not in UPSERT_DIALECTS:
            raise StoreError(
                f"unsupported database {backend!r} in {url}: use SQLite (the default) or PostgreSQL"
            )
        self.engine = engine or make_engine(url)
        if create:
            try:
                metadata.create_all(self.engine)
            except SQLAlchemyError as exc:
                raise StoreError(f"cannot open the results database {url}: {exc}") from None

    def get(self, content_hash: str, model_version: str) -> dict[str, Any] | None:
        """The stored analysis of these bytes by this model, or None."""
        query = select(scan_results.c.analysis).where(
            scan_results.c.content_hash == content_hash,
            scan_results.c.model_version == model_version,
        )
        with self.engine.connect() as conn:
            text = conn.execute(query).scalar_one_or_none()
        return None if text is None else dict(json.loads(text))

    def put(self, content_hash: str, model_version: str, analysis: dict[str, Any]) -> None:
        """Remember an analysis (replacing an older one for the same key); commits."""
        values = {
            "content_hash": content_hash,
            "model_version": model_version,
            "analysis": json.dumps(analysis, ensure_ascii=False, sort_keys=True),
            "created_at": dt.datetime.now(dt.UTC),
        }
        key = ["content_hash", "model_version"]
        update = {"analysis": values["analysis"], "created_at": values["created_at"]}
        statement = (
            postgresql.insert(scan_results)
            .values(**values)
            .on_conflict_do_update(index_elements=key, set_=update)
            if self.engine.dialect.name == "postgresql"
            else sqlite.insert(scan_results)
            .values(**values)
            .on_conflict_do_update(index_elements=key, set_=update)
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(statement)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot write to the results database {self.url}: {exc}") from None

    def count(self, model_version: str | None = None) -> int:
        """Number of remembered analyses (of one model version, if given)."""
        query = select(func.count()).select_from(scan_results)
        if model_version is not None:
            query = query.where(scan_results.c.model_version == model_version)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()
