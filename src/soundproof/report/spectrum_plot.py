"""A track's spectrum with the detected comb marked: the picture behind a verdict.

The spectrum is measured again at report time with the detector's own code
(:func:`soundproof.audio.read_excerpts` with the model's excerpt settings, then
:func:`soundproof.detect.features.extract_features`), so the plot shows exactly what the
classifier looked at: the average spectrum of the same excerpts, and its residual above
the lower envelope, where a neural upsampler's comb stands out as narrow peaks.

The figure has two panels:

* the average spectrum over the whole range, with the searched band shaded and the
  content cut-off dashed, so a reader sees where the comb sits in the music;
* the residual inside the band, with a dashed line at every multiple of the comb's
  spacing. When the comb has more teeth than fit legibly, that panel zooms on the first
  :data:`TEETH_SHOWN` of them and says so.

matplotlib is imported inside :func:`spectrum_svg` only, so importing this module (and
running ``soundproof scan`` without ``--html``) costs nothing. The object-oriented API
(:class:`matplotlib.figure.Figure`) is used rather than ``pyplot``: no global figure state,
no GUI backend, nothing to close. Curves are decimated to their per-pixel minima and
maxima before plotting, which keeps every peak visible while the SVG stays small
(tens of kB instead of megabytes for 16,000-bin spectra).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from soundproof.audio import read_excerpts
from soundproof.detect.features import extract_features
from soundproof.detect.model import AnalysisSettings

FloatArray = NDArray[np.float64]

PLOT_COLUMNS = 500
"""Points kept per curve (pairs of min and max), about one per horizontal pixel."""
MAX_TEETH = 40
"""A comb with more teeth than this inside its band is shown zoomed in."""
TEETH_SHOWN = 12
"""Teeth shown when zoomed in."""
LINE_COLOUR = "#1f4e79"
COMB_COLOUR = "#d9480f"
BAND_COLOUR = "#f2c14e"


@dataclass(frozen=True)
class TrackSpectrum:
    """What the detector measured on one file, kept for plotting."""

    sample_rate: int
    freqs: FloatArray
    """Centre frequency of every bin, in Hz."""
    power_db: FloatArray
    """Average power spectrum, in dB."""
    residual_db: FloatArray
    """The spectrum minus its lower envelope: narrow peaks above the local floor, in dB."""
    bandwidth_hz: float
    """Highest frequency with real content."""
    strongest_band: tuple[float, float] | None
    """Band of the statistically strongest comb found again, if any."""
    strongest_spacing_hz: float | None


@dataclass(frozen=True)
class CombMarks:
    """The comb to draw: its spacing and the band it was found in, in Hz."""

    spacing_hz: float
    band: tuple[float, float]

    def teeth(self) -> FloatArray:
        """Frequencies of the comb's teeth inside the band (multiples of the spacing)."""
        first = math.ceil(self.band[0] / self.spacing_hz)
        last = math.floor(self.band[1] / self.spacing_hz)
        return np.arange(first, last + 1, dtype=np.float64) * self.spacing_hz


def measure_spectrum(path: str | Path, settings: AnalysisSettings) -> TrackSpectrum:
    """Read ``path`` as the detector does and return its spectrum and residual.

    Raises :class:`~soundproof.errors.SoundproofError` (an ``AudioError`` or
    ``UsageError``) when the file can no longer be read.
    """
    excerpts = read_excerpts(path, excerpt_s=settings.excerpt_s, count=settings.excerpts)
    features = extract_features(excerpts.segments, excerpts.sample_rate)
    strongest = features.strongest()
    return TrackSpectrum(
        sample_rate=excerpts.sample_rate,
        freqs=features.spectrum.freqs,
        power_db=features.spectrum.power_db,
        residual_db=features.residual,
        bandwidth_hz=features.bandwidth_hz,
        strongest_band=None if strongest.empty else strongest.band,
        strongest_spacing_hz=None if strongest.empty else strongest.spacing_hz,
    )


def decimate_peaks(
    x: FloatArray, y: FloatArray, columns: int = PLOT_COLUMNS
) -> tuple[FloatArray, FloatArray]:
    """Keep, for each of ``columns`` equal slices, the points of its minimum and maximum.

    A plain stride would skip the one-bin-wide comb peaks the plot is about; min/max
    decimation draws the same picture as the full curve at screen resolution.
    """
    n = y.size
    if n <= 2 * columns:
        return x, y
    per = math.ceil(n / columns)
    slices = math.ceil(n / per)
    padded = np.pad(y, (0, slices * per - n), mode="edge").reshape(slices, per)
    offsets = np.arange(slices)[:, None] * per
    lo = padded.argmin(axis=1)[:, None]
    hi = padded.argmax(axis=1)[:, None]
    index = np.hstack([np.minimum(lo, hi), np.maximum(lo, hi)]) + offsets
    index = np.unique(np.minimum(index.ravel(), n - 1))
    return x[index], y[index]


def zoom_window(marks: CombMarks) -> tuple[float, float, bool]:
    """The frequency range of the residual panel: the band, or its first teeth if too many."""
    teeth = marks.teeth()
    if teeth.size <= MAX_TEETH:
        return marks.band[0], marks.band[1], False
    half = marks.spacing_hz / 2
    return max(marks.band[0], teeth[0] - half), teeth[TEETH_SHOWN - 1] + half, True


def spectrum_svg(spectrum: TrackSpectrum, marks: CombMarks | None, *, salt: str) -> str:
    """The two-panel figure as an ``<svg>`` element, ready to inline in HTML.

    ``salt`` makes the SVG's internal ids (clip paths, markers) unique to this figure, so
    many figures can share one page without their ids colliding.
    """
    import matplotlib
    from matplotlib.figure import Figure

    khz = spectrum.freqs / 1000.0
    fig = Figure(figsize=(8.6, 4.6), dpi=72, layout="constrained")
    full, detail = fig.subplots(2, 1, height_ratios=(1.0, 1.3))

    x, y = decimate_peaks(khz, spectrum.power_db)
    full.plot(x, y, color=LINE_COLOUR, linewidth=0.8)
    top = float(np.max(spectrum.power_db))
    full.set_ylim(top - 100.0, top + 5.0)
    full.set_xlim(0.0, spectrum.sample_rate / 2000.0)
    full.axvline(
        spectrum.bandwidth_hz / 1000.0,
        color="#666666",
        linestyle=":",
        linewidth=1.0,
        label="content stops",
    )
    full.set_ylabel("spectrum (dB)")
    full.set_title("Average spectrum of the excerpts the detector read", fontsize=10, loc="left")

    if marks is None:
        lo, hi, zoomed = 2000.0, spectrum.sample_rate / 2.0, False
    else:
        full.axvspan(
            marks.band[0] / 1000.0,
            marks.band[1] / 1000.0,
            color=BAND_COLOUR,
            alpha=0.3,
            label="band of the comb",
        )
        lo, hi, zoomed = zoom_window(marks)
    full.legend(loc="upper right", fontsize=8, framealpha=0.85, edgecolor="none")

    inside = (spectrum.freqs >= lo) & (spectrum.freqs <= hi)
    x, y = decimate_peaks(khz[inside], spectrum.residual_db[inside])
    detail.plot(x, y, color=LINE_COLOUR, linewidth=0.8, zorder=3)
    if marks is not None:
        teeth = marks.teeth()
        teeth = teeth[(teeth >= lo) & (teeth <= hi)] / 1000.0
        for i, tooth in enumerate(teeth):
            detail.axvline(
                tooth,
                color=COMB_COLOUR,
                linestyle="--",
                linewidth=0.9,
                alpha=0.6,
                zorder=2,
                label=f"comb: every {marks.spacing_hz:.1f} Hz" if i == 0 else None,
            )
        detail.legend(loc="upper right", fontsize=8, framealpha=0.85, edgecolor="none")
    peak = float(np.max(y)) if y.size else 1.0
    detail.set_ylim(0.0, max(peak * 1.15, 1.0))
    detail.set_xlim(lo / 1000.0, hi / 1000.0)
    detail.set_xlabel("frequency (kHz)")
    detail.set_ylabel("above the floor (dB)")
    title = "Residual: narrow peaks above the spectrum's lower envelope"
    if zoomed and marks is not None:
        title += f" (first {TEETH_SHOWN} of {marks.teeth().size} teeth)"
    detail.set_title(title, fontsize=10, loc="left")

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return inline_svg(buffer.getvalue())


_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_GROUP_ID = re.compile(r'\sid="[\w.]+_\d+"')


def inline_svg(document: str) -> str:
    """An SVG document made fit to inline in HTML, many to a page.

    Drops the XML prolog, doctype and RDF metadata, and matplotlib's per-figure group ids
    (``figure_1``, ``patch_3``...), which nothing references and which would repeat on
    every figure of the page. The ids that are referenced (clip paths, markers) are
    hashes salted per figure, and stay.
    """
    start = document.find("<svg")
    svg = document[start:].strip() if start >= 0 else document
    return _GROUP_ID.sub("", _METADATA.sub("", svg, count=1))


__all__ = [
    "MAX_TEETH",
    "PLOT_COLUMNS",
    "TEETH_SHOWN",
    "CombMarks",
    "TrackSpectrum",
    "decimate_peaks",
    "inline_svg",
    "measure_spectrum",
    "spectrum_svg",
    "zoom_window",
]
