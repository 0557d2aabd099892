"""Spectrum plots: measured with the detector's reading of a real file, comb lines in the band."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from soundproof.audio import write
from soundproof.detect.model import AnalysisSettings
from soundproof.errors import SoundproofError
from soundproof.report.plots import comb_marks, is_remote
from soundproof.report.spectrum_plot import (
    COMB_COLOUR,
    MAX_TEETH,
    TEETH_SHOWN,
    CombMarks,
    decimate_peaks,
    measure_spectrum,
    spectrum_svg,
    zoom_window,
)

from .factories import fake_spectrum, row

RATE = 44_100
SPACING = RATE / 32  # 1378.125 Hz: a x32 upsampler's comb


@pytest.fixture(scope="module")
def comb_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve seconds of pink-ish noise with a faint stationary comb every RATE/32 Hz."""
    rng = np.random.default_rng(7)
    n = 12 * RATE
    noise = np.cumsum(rng.standard_normal(n)) * 0.001
    noise -= np.convolve(noise, np.ones(64) / 64, mode="same")
    noise += rng.standard_normal(n) * 0.01
    t = np.arange(n) / RATE
    comb = sum(np.sin(2 * np.pi * k * SPACING * t) for k in range(1, 16)) * 0.002
    audio = (noise + comb).astype(np.float32)
    path = tmp_path_factory.mktemp("comb") / "comb.flac"
    write(path, np.stack([audio, audio], axis=1), RATE, fmt="flac")
    return path


def test_measured_spectrum_is_the_detectors_reading(comb_file: Path) -> None:
    spectrum = measure_spectrum(comb_file, AnalysisSettings())
    assert spectrum.sample_rate == RATE
    assert spectrum.freqs.shape == spectrum.power_db.shape == spectrum.residual_db.shape
    bin_hz = float(spectrum.freqs[1])
    tooth = round(5 * SPACING / bin_hz)
    gap = round(5.5 * SPACING / bin_hz)
    assert spectrum.residual_db[tooth - 2 : tooth + 3].max() > spectrum.residual_db[gap] + 3
    assert spectrum.bandwidth_hz > 15_000


def test_svg_marks_every_tooth_inside_the_band(comb_file: Path) -> None:
    spectrum = measure_spectrum(comb_file, AnalysisSettings())
    marks = CombMarks(spacing_hz=SPACING, band=(5000.0, 16_000.0))
    assert marks.teeth().tolist() == [k * SPACING for k in range(4, 12)]
    svg = spectrum_svg(spectrum, marks, salt="t")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg and "<metadata>" not in svg
    # One dashed line per tooth, plus the legend's sample of it.
    assert svg.count(f"stroke: {COMB_COLOUR}") == len(marks.teeth()) + 1
    assert f"every {SPACING:.1f} Hz" in svg  # text stays text (svg.fonttype none)


def test_unreadable_file_raises_a_user_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio at all" * 100)
    with pytest.raises(SoundproofError):
        measure_spectrum(junk, AnalysisSettings())
    with pytest.raises(SoundproofError):
        measure_spectrum(tmp_path / "missing.flac", AnalysisSettings())


def test_a_fine_comb_is_shown_zoomed_in() -> None:
    marks = CombMarks(spacing_hz=100.0, band=(5000.0, 16_000.0))
    assert marks.teeth().size > MAX_TEETH
    lo, hi, zoomed = zoom_window(marks)
    assert zoomed
    assert lo == 5000.0  # the first tooth is the band's edge
    assert hi == pytest.approx(5000.0 + (TEETH_SHOWN - 1) * 100.0 + 50.0)
    svg = spectrum_svg(fake_spectrum(100.0), marks, salt="z")
    assert f"first {TEETH_SHOWN} of {marks.teeth().size} teeth" in svg
    assert svg.count(f"stroke: {COMB_COLOUR}") == TEETH_SHOWN + 1


def test_no_comb_still_plots_the_spectrum() -> None:
    svg = spectrum_svg(fake_spectrum(), None, salt="n")
    assert svg.startswith("<svg")
    assert f"stroke: {COMB_COLOUR}" not in svg


def test_salted_ids_differ_between_figures() -> None:
    marks = CombMarks(spacing_hz=1000.0, band=(2000.0, 20_000.0))
    a = spectrum_svg(fake_spectrum(), marks, salt="a")
    b = spectrum_svg(fake_spectrum(), marks, salt="b")
    ids_a = set(_ids(a))
    assert ids_a and not ids_a & set(_ids(b))


def test_decimation_keeps_every_peak() -> None:
    x = np.arange(20_000, dtype=np.float64)
    y = np.zeros_like(x)
    peaks = [17, 4_321, 9_999, 19_998]
    y[peaks] = [5.0, 7.0, 3.0, 9.0]
    dx, dy = decimate_peaks(x, y, columns=300)
    assert dy[np.searchsorted(dx, 19_998)] == 9.0
    assert dx.size <= 600
    assert set(peaks) <= set(dx.astype(int).tolist())
    assert np.all(np.diff(dx) > 0)
    small_x, small_y = decimate_peaks(x[:100], y[:100], columns=300)
    assert small_x.size == small_y.size == 100


def test_marks_come_from_the_row_and_the_exact_band_from_the_reanalysis() -> None:
    spectrum = fake_spectrum(1000.0)  # strongest comb: 1000 Hz in 2000-20000 Hz
    same = comb_marks(row("a", "ai", 0.9, spacing_hz=1000.0, band="2-19.9 kHz"), spectrum)
    assert same == CombMarks(1000.0, (2000.0, 20_000.0))
    other = comb_marks(row("a", "ai", 0.9, spacing_hz=700.0, band="5-16.0 kHz"), spectrum)
    assert other == CombMarks(700.0, (5000.0, 16_000.0))
    fallback = comb_marks(row("a", "uncertain", 0.5, spacing_hz=None, band=None), spectrum)
    assert fallback == CombMarks(1000.0, (2000.0, 20_000.0))


@pytest.mark.parametrize(
    ("path", "remote"),
    [
        ("https://cdn.example/a.mp3", True),
        ("HTTP://cdn.example/a.mp3", True),
        ("/music/a.mp3", False),
        ("C:\\music\\a.mp3", False),
        ("music/http:/a.mp3", False),
    ],
)
def test_remote_paths(path: str, remote: bool) -> None:
    assert is_remote(path) is remote


def _ids(svg: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', svg)
