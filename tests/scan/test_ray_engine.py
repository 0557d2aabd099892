"""``--engine ray``: the same per-file work as Ray tasks, on a local Ray instance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from soundproof.audio import write  # noqa: E402
from soundproof.scan import scan  # noqa: E402
from soundproof.scan.runner import CRASH_MESSAGE, run_sources  # noqa: E402
from soundproof.scan.sources import Source  # noqa: E402

from .test_runner import _fake_task, _init_noop  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RATE = 22050


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One local Ray for the module (2 CPUs); the runner joins it instead of starting one."""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        object_store_memory=128 * 1024 * 1024,
        # The injected test tasks live in tests/, which Ray workers must be able to import.
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},
    )
    yield
    ray.shutdown()


def _clips(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(6 * RATE) / RATE
    paths = []
    for i in range(count):
        audio = 0.1 * np.sin(2 * np.pi * (220 + 30 * i) * t) + 0.01 * np.random.default_rng(
            i
        ).standard_normal(t.size)
        paths.append(write(folder / f"clip-{i}.flac", audio.astype(np.float32), RATE, "flac"))
    return paths


def test_rows_errors_and_crashes_in_input_order(local_ray: None) -> None:
    names = ["a.wav", "boom.wav", "crash.wav", "c.wav"]
    sources = [Source(f"/virtual/{name}") for name in names]
    sources.insert(1, Source("/virtual/missing.wav", error="no such file or directory"))
    rows = list(
        run_sources(
            sources,
            workers=2,
            initializer=_init_noop,
            initargs=(),
            task=_fake_task,
            ordered=True,
            engine="ray",
        )
    )
    assert [Path(r.path).name for r in rows] == [
        "a.wav",
        "missing.wav",
        "boom.wav",
        "crash.wav",
        "c.wav",
    ]
    assert [r.verdict for r in rows] == ["human", "error", "error", "error", "human"]
    assert rows[1].error == "no such file or directory"
    assert rows[2].error is not None and "ValueError" in rows[2].error
    assert rows[3].error == CRASH_MESSAGE  # the worker died; only its own file is lost
    assert ray.is_initialized()  # a Ray the runner did not start is left running


def test_same_verdicts_as_the_local_engine(local_ray: None, tmp_path: Path) -> None:
    clips = _clips(tmp_path / "music", 3)
    local = list(scan([str(tmp_path / "music")], workers=2, progress=False, cache=False))
    on_ray = list(
        scan(
            [str(tmp_path / "music")],
            workers=2,
            progress=False,
            cache=False,
            engine="ray",
            ordered=True,
        )
    )
    assert [r.path for r in on_ray] == [str(p) for p in clips]
    by_path = {r.path: r for r in local}
    for row in on_ray:
        assert row.verdict == by_path[row.path].verdict
        assert row.p_ai == by_path[row.path].p_ai
        assert row.content_hash == by_path[row.path].content_hash


def test_remembered_results_work_on_ray_too(local_ray: None, tmp_path: Path) -> None:
    _clips(tmp_path / "music", 2)
    first = list(scan([str(tmp_path / "music")], progress=False, engine="ray"))
    second = list(scan([str(tmp_path / "music")], progress=False, engine="ray"))
    assert not any(r.from_cache for r in first)
    assert all(r.from_cache for r in second)


def test_verdicts_of_a_ray_scan_are_signed_by_the_driver(local_ray: None, tmp_path: Path) -> None:
    # scan --sign works with every engine: rows come back to the driver, which logs
    # and signs each verdict there.
    from soundproof.config import get_settings
    from soundproof.ledger import KeyRing, Ledger
    from soundproof.ledger.attestation import verify_attestation
    from soundproof.ledger.scanning import sign_results

    key = KeyRing(get_settings().keys_dir).generate()
    clips = _clips(tmp_path / "music", 3)
    with Ledger.open() as ledger:
        results = scan([str(p) for p in clips], progress=False, engine="ray", ordered=True)
        rows = list(sign_results(results, ledger))
        assert [r.log_index for r in rows] == [0, 1, 2]
        for row in rows:
            assert row.attestation is not None
            claims = verify_attestation(row.attestation, [key.public]).claims
            assert claims["content_hash"] == row.content_hash
            assert claims["verdict"] == row.verdict
        assert ledger.verify().ok


def test_cli_starts_a_local_ray_for_the_scan(tmp_path: Path, soundproof_home: Path) -> None:
    _clips(tmp_path / "music", 2)
    env = {**os.environ, "SOUNDPROOF_HOME": str(soundproof_home)}
    env.pop("RAY_ADDRESS", None)
    command = "from soundproof.cli.main import app; app()"
    options = ["--engine", "ray", "--workers", "2", "--format", "jsonl", "--no-progress"]
    result = subprocess.run(
        [sys.executable, "-c", command, "scan", str(tmp_path / "music"), *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 2 and all(r["verdict"] != "error" for r in rows)
