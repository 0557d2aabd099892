"""The offline demo set: the files it promises exist, decode, and ``soundproof demo`` scans them."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import soundproof.demo
from soundproof.audio import load, probe
from soundproof.cli.main import app
from soundproof.demo import CLIPS, make_demo_set
from soundproof.demo.decoder import DECODERS, NumpyDecoder, transposed_conv
from soundproof.errors import AudioError


@pytest.fixture(scope="module")
def demo_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("demo")
    return out, make_demo_set(out, seed=0, duration_s=3.0)


def test_demo_set_writes_every_promised_file(demo_set: tuple[Path, list[Path]]) -> None:
    out, files = demo_set
    assert (out / "README.txt").is_file()
    assert len(files) == 2 * len(CLIPS) + 1
    assert files[-1] == out / "broken.mp3"
    human = sorted(p.name for p in (out / "human").iterdir())
    ai = sorted(p.name for p in (out / "ai").iterdir())
    assert len(human) == len(ai) == len(CLIPS)
    suffixes = {p.suffix for p in files}
    assert {".flac", ".mp3", ".opus"} <= suffixes
    readme = (out / "README.txt").read_text(encoding="utf-8")
    for path in files:
        assert path.name in readme


def test_demo_files_decode(demo_set: tuple[Path, list[Path]]) -> None:
    _, files = demo_set
    for path in files[:-1]:
        info = probe(path)
        assert info.channels == 2
        assert info.sample_rate in {44_100, 48_000}
        samples, rate = load(path)
        assert rate == info.sample_rate
        assert samples.shape[0] == pytest.approx(3.0 * rate, rel=0.05)
        assert 0.01 < float(np.sqrt(np.mean(samples**2))) < 1.0


def test_broken_file_does_not_decode(demo_set: tuple[Path, list[Path]]) -> None:
    _, files = demo_set
    with pytest.raises(AudioError):
        load(files[-1])


def test_demo_is_deterministic(tmp_path: Path) -> None:
    a = make_demo_set(tmp_path / "a", seed=3, duration_s=2.0, n_clips=1)
    b = make_demo_set(tmp_path / "b", seed=3, duration_s=2.0, n_clips=1)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_decoder_leaves_lines_at_multiples_of_the_latent_rate() -> None:
    """The bias path of the transposed convolutions makes a period-S pattern (a comb)."""
    config = DECODERS[2]  # hop 64
    rng = np.random.default_rng(0)
    out = NumpyDecoder(config, seed=0)(rng.standard_normal(64 * 400) * 0.1)
    spectrum = np.abs(np.fft.rfft(out - out.mean()))
    teeth = spectrum[400::400]  # bins at multiples of sr/64 for 64*400 samples
    gaps = spectrum[200::400][: teeth.size]
    assert np.median(teeth) > 3 * np.median(gaps)


def test_transposed_conv_matches_the_definition() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 3))
    weight = rng.standard_normal((3, 2, 4, 2))
    kernel = weight.reshape(3, 8, 2)  # tap j*stride + r
    full = np.zeros((5 * 4 + 4, 2))
    for t in range(5):
        full[t * 4 : t * 4 + 8] += np.einsum("c,cko->ko", x[t], kernel)
    np.testing.assert_allclose(transposed_conv(x, weight, 4), full[2 : 2 + 20])


def test_demo_command_generates_and_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = functools.partial(make_demo_set, duration_s=6.0, n_clips=2)
    monkeypatch.setattr(soundproof.demo, "make_demo_set", fast)
    out = tmp_path / "demo-data"
    # Wide enough that the table never folds a long temporary path across lines.
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--workers", "1", "--no-progress"], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 0, result.output
    assert (out / "README.txt").is_file()
    assert "broken.mp3" in result.stdout and "5 tracks:" in result.stdout
