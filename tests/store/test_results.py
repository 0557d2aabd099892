"""The results store on SQLite (default) and PostgreSQL (when the local server is there)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from soundproof.config import get_settings
from soundproof.errors import UsageError
from soundproof.store import ResultStore, StoreError
from soundproof.store.results import scan_results

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

ANALYSIS = {
    "verdict": "ai",
    "p_ai": 0.93,
    "explanation": {"summary": "peaks every 86.1 Hz", "spacing_hz": 86.1},
    "duration_s": 181.2,
    "error": None,
    "model_version": "m-1",
    "analysed_s": 30.0,
}


def _postgres() -> ResultStore | None:
    try:
        return ResultStore(POSTGRES_URL)
    except Exception:
        return None


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ResultStore]:
    if request.param == "sqlite":
        opened = ResultStore(f"sqlite:///{tmp_path / 'sub' / 'results.db'}")
    else:
        maybe = _postgres()
        if maybe is None:
            pytest.skip("no PostgreSQL server at 127.0.0.1:5432 (database test)")
        opened = maybe
    yield opened
    opened.close()


def _hash() -> str:
    return uuid.uuid4().hex * 2  # 64 hex characters, unique per test run


def test_put_get_replace_and_versions(store: ResultStore) -> None:
    key = _hash()
    try:
        assert store.get(key, "m-1") is None
        store.put(key, "m-1", ANALYSIS)
        assert store.get(key, "m-1") == ANALYSIS
        assert store.get(key, "m-2") is None  # a new model version misses
        store.put(key, "m-1", {**ANALYSIS, "p_ai": 0.5})
        assert store.get(key, "m-1") == {**ANALYSIS, "p_ai": 0.5}
        store.put(key, "m-2", ANALYSIS)
        assert store.count("m-1") >= 1 and store.count() >= 2
    finally:
        with store.engine.begin() as conn:  # the PostgreSQL database is shared
            conn.execute(delete(scan_results).where(scan_results.c.content_hash == key))


def test_a_reader_sees_what_a_writer_committed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    writer = ResultStore(url)
    reader = ResultStore(url, create=False)
    writer.put("a" * 64, "m", ANALYSIS)
    assert reader.get("a" * 64, "m") == ANALYSIS
    assert (tmp_path / "r.db").exists()


def test_default_database_lives_under_soundproof_home(soundproof_home: Path) -> None:
    url = get_settings().database_url
    assert url == f"sqlite:///{soundproof_home / 'soundproof.db'}"
    ResultStore(url).put("b" * 64, "m", ANALYSIS)
    assert (soundproof_home / "soundproof.db").is_file()


def test_bad_urls_and_unsupported_databases_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a database URL"):
        ResultStore("::not a url::")
    with pytest.raises(StoreError, match="unsupported database"):
        ResultStore("mysql+pymysql://root@127.0.0.1/test")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises((StoreError, OSError)):
        ResultStore(f"sqlite:///{blocker / 'results.db'}")  # parent is a file
