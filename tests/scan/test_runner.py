"""The scan runner's scheduling, independent of the detector.

The per-file task is injected through :func:`run_sources`, so these tests can make a
file raise or kill its worker process and check that the batch goes on. Tasks must be
module-level functions: spawned workers import this module to find them.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from soundproof.detect.result import TrackResult
from soundproof.errors import ModelError
from soundproof.scan.runner import (
    CRASH_MESSAGE,
    IN_FLIGHT_PER_WORKER,
    _analyze_in_worker,
    _init_worker,
    _with_metadata,
    run_sources,
    scan,
)
from soundproof.scan.sources import Source

from .local_http import LocalServer, send

# --------------------------------------------------------------------------- fake work


def _init_noop() -> None:
    """Stands in for loading the detector."""


def _fake_task(path: str) -> TrackResult:
    """Human for every file, except names that ask to raise or to kill the worker."""
    name = Path(path).name
    if "crash" in name:
        os._exit(13)  # a segfault, as the pool sees it
    if "boom" in name:
        raise ValueError("unexpected")
    return TrackResult.model_validate({"path": path, "verdict": "human", "p_ai": 0.1})


def _sources(names: list[str]) -> list[Source]:
    return [Source(path=f"/virtual/{name}") for name in names]


def _run(names: list[str], workers: int, ordered: bool = False) -> list[TrackResult]:
    return list(
        run_sources(
            _sources(names),
            workers=workers,
            initializer=_init_noop,
            initargs=(),
            task=_fake_task,
            ordered=ordered,
        )
    )


# --------------------------------------------------------------------------- tests


def test_in_process_exception_becomes_error_row_and_scan_goes_on() -> None:
    rows = _run(["a.wav", "boom.wav", "c.wav"], workers=1)
    assert [r.verdict for r in rows] == ["human", "error", "human"]
    assert rows[1].error is not None and "ValueError" in rows[1].error


def test_source_errors_are_rows_in_place() -> None:
    sources = [Source("/x/a.wav"), Source("/x/missing.wav", error="no such file"), Source("/x/b")]
    rows = list(
        run_sources(sources, workers=1, initializer=_init_noop, initargs=(), task=_fake_task)
    )
    assert [(r.path, r.verdict) for r in rows] == [
        ("/x/a.wav", "human"),
        ("/x/missing.wav", "error"),
        ("/x/b", "human"),
    ]
    assert rows[1].error == "no such file"


def test_pool_isolates_the_file_that_kills_its_worker() -> None:
    names = [f"{i:02d}.wav" for i in range(10)]
    names[4] = "04-crash.wav"
    names[7] = "07-boom.wav"
    rows = _run(names, workers=2, ordered=True)
    assert [Path(r.path).name for r in rows] == names  # every input once, in order
    by_name = {Path(r.path).name: r for r in rows}
    assert by_name["04-crash.wav"].verdict == "error"
    assert by_name["04-crash.wav"].error == CRASH_MESSAGE
    assert by_name["07-boom.wav"].verdict == "error"
    others = [r for n, r in by_name.items() if n not in {"04-crash.wav", "07-boom.wav"}]
    assert [r.verdict for r in others] == ["human"] * 8


def test_unordered_pool_yields_every_input_once() -> None:
    names = [f"{i:02d}.wav" for i in range(12)]
    rows = _run(names, workers=2)
    assert sorted(Path(r.path).name for r in rows) == names


def test_submission_is_bounded() -> None:
    pulled = 0

    def counting() -> Iterator[Source]:
        nonlocal pulled
        for i in range(1000):
            pulled += 1
            yield Source(path=f"/virtual/{i}.wav")

    results = run_sources(
        counting(), workers=2, initializer=_init_noop, initargs=(), task=_fake_task
    )
    next(results)
    assert pulled <= IN_FLIGHT_PER_WORKER * 2 + 1
    results.close()  # shuts the pool down


def test_model_error_is_raised_not_turned_into_rows(tmp_path: Path) -> None:
    missing_model = tmp_path / "no-model.json"
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"RIFF")
    rows = run_sources(
        [Source(str(audio))],
        workers=1,
        initializer=_init_worker,
        initargs=(missing_model,),
        task=_analyze_in_worker,
    )
    with pytest.raises(ModelError):
        list(rows)
    with pytest.raises(ModelError):
        list(scan([audio, audio], workers=2, detector_path=missing_model, progress=False))


def test_metadata_from_the_source_fills_the_row() -> None:
    row = TrackResult.model_validate({"path": "p", "verdict": "ai", "title": "Own title"})
    merged = _with_metadata(row, Source("p", title="Playlist title", artist="A", isrc="X"))
    assert (merged.title, merged.artist, merged.isrc) == ("Own title", "A", "X")


def test_playlist_position_and_platform_fill_the_row() -> None:
    row = TrackResult.model_validate({"path": "p", "verdict": "human"})
    source = Source("p", source="list.m3u", platform="m3u", position=3, playlist="Mix")
    merged = _with_metadata(row, source)
    assert (merged.source, merged.platform, merged.position) == ("list.m3u", "m3u", 3)
    assert merged.playlist == "Mix"


def _must_not_run(path: str) -> TrackResult:
    raise AssertionError(f"a URL reached the per-file task: {path}")


def _size_task(path: str) -> TrackResult:
    """Reports the size of the file it was given (as duration_s), to show it read a file."""
    return TrackResult.model_validate(
        {"path": path, "verdict": "human", "p_ai": 0.1, "duration_s": os.path.getsize(path)}
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_remote_sources_are_downloaded_and_the_task_reads_the_copy(workers: int) -> None:
    bodies = {"/a.mp3": b"a" * 1234, "/b.mp3": b"b" * 99}
    routes = {
        path: (lambda h, body=body: send(h, body, "audio/mpeg")) for path, body in bodies.items()
    }
    with LocalServer(routes) as server:
        sources = [
            Source(server.url(path), title=path, source="l.json", platform="deezer", remote=True)
            for path in bodies
        ]
        rows = list(
            run_sources(
                sources,
                workers=workers,
                initializer=_init_noop,
                initargs=(),
                task=_size_task,
                ordered=True,
                allow_private_urls=True,
            )
        )
    assert [(r.path, r.verdict, r.error) for r in rows] == [
        (server.url(path), "human", None) for path in bodies
    ]
    assert [r.duration_s for r in rows] == [1234, 99]
    assert [(r.title, r.platform) for r in rows] == [(p, "deezer") for p in bodies]


@pytest.mark.parametrize("workers", [1, 2])
def test_refused_downloads_are_error_rows_and_never_reach_the_task(workers: int) -> None:
    sources = [
        Source(url, title="T", source="list.json", platform="spotify", position=1, remote=True)
        for url in ("http://127.0.0.1:9/preview.mp3", "http://[::1]:9/other.mp3")
    ]
    rows = list(
        run_sources(
            sources, workers=workers, initializer=_init_noop, initargs=(), task=_must_not_run
        )
    )
    assert [(row.path, row.verdict) for row in rows] == [(s.path, "error") for s in sources]
    for row in rows:
        assert row.error is not None and "loopback" in row.error
        assert (row.title, row.platform, row.position) == ("T", "spotify", 1)


@pytest.mark.skipif(
    "forkserver" not in multiprocessing.get_all_start_methods(), reason="no forkserver here"
)
def test_workers_do_not_import_the_main_script_again(tmp_path: Path) -> None:
    # The forkserver loads the parent's script once; each worker of each pool used to
    # import it again (CPython gh-126631), which for the CLI is seconds per pool.
    log = tmp_path / "imports.log"
    script = tmp_path / "main_script.py"
    script.write_text(
        "import os\n"
        f"open({str(log)!r}, 'a').write(f'{{os.getpid()}} {{__name__}}\\n')\n"
        "from soundproof.scan.runner import run_sources\n"
        "from soundproof.scan.sources import Source\n"
        "from soundproof.detect.result import TrackResult\n"
        "def task(path):\n"
        "    return TrackResult(path=path, verdict='human')\n"
        "def init():\n"
        "    pass\n"
        "if __name__ == '__main__':\n"
        "    for _ in range(2):\n"
        "        sources = [Source(str(i)) for i in range(6)]\n"
        "        rows = list(run_sources(sources, workers=2, initializer=init, initargs=(),\n"
        "                                task=task))\n"
        "        assert len(rows) == 6 and all(r.verdict == 'human' for r in rows), rows\n"
    )
    subprocess.run([sys.executable, str(script)], check=True, cwd=tmp_path, timeout=120)
    names = [line.split()[1] for line in log.read_text().splitlines()]
    # The script itself, and the forkserver once: not 2 pools x 2 workers more.
    assert names == ["__main__", "__mp_main__"]
