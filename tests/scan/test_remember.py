"""Incremental and resumable scans: verdicts remembered by content hash and model version."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from soundproof.audio import file_sha256, write
from soundproof.config import get_settings
from soundproof.detect.model import CombModel
from soundproof.detect.result import RESULT_REVISION, TrackResult
from soundproof.scan import scan
from soundproof.scan.remember import remembered_under
from soundproof.store import ResultStore

RATE = 22050


def _clips(folder: Path, count: int, seconds: float = 6.0) -> list[Path]:
    """``count`` distinct noisy chord clips (different bytes, so different hashes)."""
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * RATE)) / RATE
    paths = []
    for i in range(count):
        rng = np.random.default_rng(i)
        tone = sum(np.sin(2 * np.pi * f * (1 + i / 100) * t) for f in (220.0, 277.2, 329.6))
        audio = 0.1 * tone + 0.02 * rng.standard_normal(t.size)
        path = folder / f"clip-{i:03d}.flac"
        write(path, audio.astype(np.float32), RATE, "flac")
        paths.append(path)
    return paths


def _rows(paths: list[Path], **kwargs: Any) -> list[TrackResult]:
    return list(scan([str(p) for p in paths], workers=1, progress=False, **kwargs))


def test_a_second_scan_remembers_every_verdict(tmp_path: Path) -> None:
    clips = _clips(tmp_path / "music", 3)
    first = _rows(clips)
    assert not any(r.from_cache for r in first)
    assert [r.content_hash for r in first] == [file_sha256(p) for p in clips]
    second = _rows(clips)
    assert all(r.from_cache for r in second)
    assert [r.to_json_dict() for r in second] == [r.to_json_dict() for r in first]
    store = ResultStore(get_settings().database_url)
    assert store.count() == 3


def test_moved_files_hit_and_no_cache_bypasses(tmp_path: Path) -> None:
    [clip] = _clips(tmp_path / "music", 1)
    _rows([clip])
    moved = tmp_path / "elsewhere" / "renamed.flac"
    moved.parent.mkdir()
    shutil.move(clip, moved)
    [row] = _rows([moved])
    assert row.from_cache and row.path == str(moved)
    [fresh] = _rows([moved], cache=False)
    assert not fresh.from_cache and fresh.content_hash == row.content_hash


def test_a_new_model_version_analyses_again(tmp_path: Path) -> None:
    [clip] = _clips(tmp_path / "music", 1)
    _rows([clip])
    model = CombModel.load()
    other = tmp_path / "other-model.json"
    other.write_text(model.to_json().replace(model.version, "test-version-2"), encoding="utf-8")
    [row] = _rows([clip], detector_path=other)
    assert not row.from_cache and row.model_version == "test-version-2"
    [again] = _rows([clip], detector_path=other)
    assert again.from_cache


def test_rows_of_an_earlier_result_revision_are_analysed_again(tmp_path: Path) -> None:
    # An older release remembered a row for the same bytes and the same model version,
    # but its rows differed (e.g. another explanation): that row must not be served.
    [clip] = _clips(tmp_path / "music", 1)
    version = CombModel.load().version
    stale = TrackResult(path="old", verdict="ai", p_ai=0.99, model_version=version).analysis()
    store = ResultStore(get_settings().database_url)
    for old_key in (version, f"{version}+rev{RESULT_REVISION - 1}"):
        store.put(file_sha256(clip), old_key, stale)

    [row] = _rows([clip])
    [again] = _rows([clip])

    assert not row.from_cache and row.verdict != "ai"
    assert again.from_cache and again.to_json_dict() == row.to_json_dict()
    assert store.count(remembered_under(version)) == 1


def test_error_rows_are_not_remembered(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"\xff\xfb" + os.urandom(2000))
    _rows([broken])
    [row] = _rows([broken])
    assert row.verdict == "error" and not row.from_cache
    assert ResultStore(get_settings().database_url).count() == 0


def _scan_command(folder: Path) -> list[str]:
    code = "from soundproof.cli.main import app; app()"
    return [sys.executable, "-c", code, "scan", str(folder), "--format", "jsonl"]


def test_a_scan_killed_with_sigkill_resumes_without_losing_or_redoing_work(
    tmp_path: Path, soundproof_home: Path
) -> None:
    total = 40
    _clips(tmp_path / "music", total)
    env = {**os.environ, "SOUNDPROOF_HOME": str(soundproof_home)}
    command = [*_scan_command(tmp_path / "music"), "--workers", "2", "--no-progress"]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group: the kill takes the workers too
    )
    assert process.stdout is not None
    printed = [json.loads(process.stdout.readline()) for _ in range(5)]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    store = ResultStore(f"sqlite:///{soundproof_home / 'soundproof.db'}")
    kept = store.count()
    assert 5 <= kept < total  # every printed row was durable; the scan was cut short
    for row in printed:  # ...and each one is remembered under its content hash
        assert (
            store.get(file_sha256(row["path"]), remembered_under(row["model_version"])) is not None
        )

    again = subprocess.run(
        [*_scan_command(tmp_path / "music"), "--workers", "2", "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    rows = [json.loads(line) for line in again.stdout.splitlines()]
    assert len(rows) == total
    assert f"({kept} remembered)" in again.stderr  # nothing finished was analysed twice
    assert store.count() == total


def test_the_summary_line_counts_remembered_rows(tmp_path: Path, soundproof_home: Path) -> None:
    _clips(tmp_path / "music", 2)
    env = {**os.environ, "SOUNDPROOF_HOME": str(soundproof_home)}
    command = [*_scan_command(tmp_path / "music"), "--workers", "1", "--no-progress"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert "remembered" not in first.stderr
    second = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert "(2 remembered)" in second.stderr
    third = subprocess.run(
        [*command, "--no-cache"], env=env, capture_output=True, text=True, check=True
    )
    assert "remembered" not in third.stderr
