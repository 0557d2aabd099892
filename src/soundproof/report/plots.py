"""Which tracks of a report get a spectrum plot, and the plot (or a note) for each.

Only tracks called ``ai`` or ``uncertain`` with a probability (the detector measured a
comb and weighed it) are plotted: those are the verdicts a person wants to check. They
are taken most likely first, up to a cap (:data:`DEFAULT_MAX_PLOTS`), because each plot
means reading the file again (about a tenth of a second) and some 50 kB of SVG.

A plot is best effort. A row whose path is a URL gets a note (the report never
downloads); a file that has been moved, changed or broken since the scan gets a note
with the reason; so does any unexpected failure while plotting one track. The report
is still written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from soundproof.detect.model import AnalysisSettings
from soundproof.detect.result import TrackResult
from soundproof.errors import SoundproofError
from soundproof.report.band import band_hz
from soundproof.report.spectrum_plot import (
    CombMarks,
    TrackSpectrum,
    measure_spectrum,
    spectrum_svg,
)

DEFAULT_MAX_PLOTS = 200
"""Tracks plotted at most per report, the most likely ones first."""

PLOTTED_VERDICTS = frozenset({"ai", "uncertain"})

REMOTE_NOTE = "no spectrum: this row is a URL, not a local file, and reports never download"


@dataclass(frozen=True)
class PlotEntry:
    """One flagged track's figure (an inline ``<svg>``) or the note that replaces it."""

    index: int
    """Position of the track in the report's rows (links the table to the plot)."""
    result: TrackResult
    svg: str | None
    note: str | None


@dataclass(frozen=True)
class PlotSection:
    """The plots of a report and how many candidates the cap left out."""

    entries: tuple[PlotEntry, ...]
    candidates: int
    """Tracks that qualified for a plot (``len(entries)`` of them were taken)."""
    max_plots: int


def is_remote(path: str) -> bool:
    """True when a row's path is an http(s) URL rather than a local file."""
    return urlsplit(path).scheme.lower() in {"http", "https"}


def plot_candidates(rows: Sequence[TrackResult]) -> list[int]:
    """Indices of the rows that deserve a plot, most likely first (ties in scan order)."""
    wanted = [
        i for i, row in enumerate(rows) if row.verdict in PLOTTED_VERDICTS and row.p_ai is not None
    ]
    return sorted(wanted, key=lambda i: -(rows[i].p_ai or 0.0))


def comb_marks(result: TrackResult, spectrum: TrackSpectrum) -> CombMarks | None:
    """The comb the verdict describes: its spacing and band from the row's explanation.

    The band label is rounded for people, so when the re-analysis finds the same spacing
    its exact band is used instead. Without a spacing in the row the strongest comb found
    again is drawn, and with neither there is nothing to mark.
    """
    explanation = result.explanation
    spacing = explanation.spacing_hz if explanation else None
    band = band_hz(explanation.band) if explanation else None
    found_spacing, found_band = spectrum.strongest_spacing_hz, spectrum.strongest_band
    if spacing is None:
        spacing, band = found_spacing, found_band
    elif found_band is not None and (band is None or _same_spacing(spacing, found_spacing)):
        band = found_band
    if spacing is None or band is None or spacing <= 0:
        return None
    return CombMarks(spacing_hz=spacing, band=band)


def _same_spacing(a: float, b: float | None) -> bool:
    return b is not None and abs(a - b) <= 1e-3 * a


Measure = Callable[[str], TrackSpectrum]
"""Reads one file and returns its spectrum (the detector's reading, or a test's stand-in)."""


def build_plots(
    rows: Sequence[TrackResult],
    *,
    detector_path: Path | None = None,
    max_plots: int = DEFAULT_MAX_PLOTS,
    measure: Measure | None = None,
) -> PlotSection:
    """Plot the ``max_plots`` most likely flagged tracks of ``rows``.

    ``detector_path`` names the model the scan used (its excerpt settings decide what is
    read again); ``measure`` replaces the file reading, for tests.
    """
    candidates = plot_candidates(rows)
    chosen = candidates[: max(0, max_plots)]
    entries: list[PlotEntry] = []
    if chosen:
        read = measure if measure is not None else detector_reader(detector_path)
        entries = [_plot_one(index, rows[index], read) for index in chosen]
    return PlotSection(entries=tuple(entries), candidates=len(candidates), max_plots=max_plots)


def detector_reader(detector_path: Path | None) -> Measure:
    """A :data:`Measure` that reads files with the excerpt settings of the given model."""
    from soundproof.detect import Detector

    settings = Detector.load(detector_path).model.analysis
    return functools.partial(_measure_with, settings)


def _measure_with(settings: AnalysisSettings, path: str) -> TrackSpectrum:
    return measure_spectrum(path, settings)


def _plot_one(index: int, result: TrackResult, measure: Measure) -> PlotEntry:
    """One entry; every failure becomes a note so that the report is still written."""
    if is_remote(result.path):
        return PlotEntry(index, result, None, REMOTE_NOTE)
    try:
        spectrum = measure(result.path)
    except (SoundproofError, OSError) as exc:
        note = f"no spectrum: the file could not be read again ({exc})"
        return PlotEntry(index, result, None, note)
    try:
        svg = spectrum_svg(spectrum, comb_marks(result, spectrum), salt=f"track{index}")
    except Exception as exc:  # one bad plot must not lose the whole report
        note = f"no spectrum: plotting failed ({type(exc).__name__}: {exc})"
        return PlotEntry(index, result, None, note)
    return PlotEntry(index, result, svg, None)


__all__ = [
    "DEFAULT_MAX_PLOTS",
    "PlotEntry",
    "PlotSection",
    "build_plots",
    "comb_marks",
    "detector_reader",
    "is_remote",
    "plot_candidates",
]
