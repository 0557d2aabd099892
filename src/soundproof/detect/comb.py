"""Search a residual spectrum for a comb: narrow peaks at every multiple of a spacing.

The search is continuous in spacing, so a comb moved by a pitch or speed change
(which scales every frequency by the same factor) is found as well as one at the
decoder's native spacing. Three steps keep it cheap and right:

1. *Coarse*: the Fourier transform of the residual over the band (a cepstrum of
   sorts) peaks at the quefrency 1/spacing; its locally whitened maxima, and
   their small integer multiples, are the candidates.
2. *Fine*: each candidate is refined coarse-to-fine by Welch's t statistic of
   the comb contrast, the residual on the teeth against the residual half-way
   between them.
3. *Octave check*: the classic errors of a periodicity search, a multiple or a
   sub-multiple of the true spacing, are tested for and corrected.

Contrast is what the explanation reports ("peaks 3.1 dB above the floor").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.fft
from numpy.typing import NDArray
from scipy import ndimage

FloatArray = NDArray[np.float64]

#: Narrowest comb spacing searched (Hz). 44.1 kHz / 1024 is 43 Hz.
MIN_SPACING_HZ = 30.0
#: A band must hold at least this many teeth of a comb for it to be searched.
MIN_TEETH = 4
#: Candidates kept from the coarse step.
CANDIDATES = 5
#: The coarse step may lock onto a harmonic of the true period (spacing / m), so
#: these multiples of every candidate are refined too.
MULTIPLES = (1, 2, 3, 4, 6)
#: Integer ratios checked when correcting octave errors of the spacing.
SUBDIVISIONS = (2, 3, 4, 5, 6, 7, 8)
#: Grid points per candidate at each level of the coarse-to-fine refinement.
REFINE_STEPS = 41
#: A tooth "holds" when it rises this far above the mean gap level (dB).
TOOTH_MARGIN_DB = 1.5


@dataclass(frozen=True)
class CombEvidence:
    """The strongest comb in one band, with the statistics the classifier learns from."""

    band: tuple[float, float]
    spacing_hz: float
    contrast_db: float
    prominence: float
    consistency: float
    contrast_z: float
    roughness_db: float
    teeth: int

    @property
    def empty(self) -> bool:
        """True when the band was too narrow to search."""
        return self.teeth == 0

    @classmethod
    def none(cls, band: tuple[float, float]) -> CombEvidence:
        """Evidence for a band that could not be searched (too narrow, above the cut-off)."""
        return cls(band, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0)


@dataclass(frozen=True)
class CombScores:
    """Comb statistics for a vector of spacings."""

    spacing: FloatArray
    contrast: FloatArray
    t_stat: FloatArray
    consistency: FloatArray
    teeth: NDArray[np.int64]


@dataclass
class BandSearch:
    """Comb statistics of one residual spectrum within one band [lo, hi] Hz."""

    residual: FloatArray
    bin_hz: float
    lo: float
    hi: float
    _peaky: dict[int, FloatArray] = field(default_factory=dict, repr=False)

    def _running_max(self, tolerance_bins: int) -> FloatArray:
        """Residual after a running max over +-tolerance bins (memoised per tolerance)."""
        if tolerance_bins not in self._peaky:
            self._peaky[tolerance_bins] = ndimage.maximum_filter1d(
                self.residual, 2 * tolerance_bins + 1, mode="nearest"
            )
        return self._peaky[tolerance_bins]

    def _values(
        self, spacings: FloatArray, offset: float, tolerance_bins: int
    ) -> tuple[FloatArray, NDArray[np.bool_]]:
        """Residual at ``(k + offset) * spacing`` inside the band, per spacing and k.

        Reading the running max lets a spacing slightly off still find its teeth;
        teeth (offset 0) and gaps (offset 0.5) are read the same way so that the
        contrast is ~0 dB when there is no comb.
        """
        k_min = np.ceil(self.lo / spacings - offset)
        k_max = np.floor(self.hi / spacings - offset)
        count = int(np.max(k_max - k_min + 1)) if spacings.size else 0
        k = k_min[:, None] + np.arange(max(count, 1))[None, :]
        valid = k <= k_max[:, None]
        bins = np.rint((k + offset) * spacings[:, None] / self.bin_hz).astype(np.int64)
        peaky = self._running_max(tolerance_bins)
        return peaky[np.clip(bins, 0, peaky.size - 1)], valid

    def scores(self, spacings: FloatArray, tolerance_bins: int = 1) -> CombScores:
        """Contrast (dB), Welch's t, consistency (0-1) and tooth count per spacing.

        Uneven teeth, as at a sub-multiple of the true spacing where only every
        m-th tooth is real, raise the peak variance, so the true spacing wins on t.
        """
        peaks, peak_ok = self._values(spacings, 0.0, tolerance_bins)
        gaps, gap_ok = self._values(spacings, 0.5, tolerance_bins)
        n_peaks = np.maximum(peak_ok.sum(axis=1), 1)
        n_gaps = np.maximum(gap_ok.sum(axis=1), 1)
        peak_mean = np.where(peak_ok, peaks, 0.0).sum(axis=1) / n_peaks
        gap_mean = np.where(gap_ok, gaps, 0.0).sum(axis=1) / n_gaps
        peak_var = np.where(peak_ok, (peaks - peak_mean[:, None]) ** 2, 0.0).sum(axis=1) / n_peaks
        gap_var = np.where(gap_ok, (gaps - gap_mean[:, None]) ** 2, 0.0).sum(axis=1) / n_gaps
        contrast = peak_mean - gap_mean
        t_stat = contrast / np.sqrt((peak_var + 0.01) / n_peaks + (gap_var + 0.01) / n_gaps)
        holds = np.where(peak_ok, peaks > (gap_mean + TOOTH_MARGIN_DB)[:, None], False)
        return CombScores(
            spacings, contrast, t_stat, holds.sum(axis=1) / n_peaks, peak_ok.sum(axis=1)
        )

    def refine(self, centres: FloatArray, teeth: float) -> CombScores:
        """Best spacing (by t) near each centre, within a drift of ``teeth`` teeth over the band.

        Tooth k sits at k * spacing, so a relative error e moves the top tooth by
        hi * e: a fine grid over a wide window would need thousands of steps. The
        search goes coarse to fine instead: each level reads teeth with a tolerance
        as wide as its grid step moves the top tooth, then narrows around the best.
        """
        width = teeth / np.maximum((self.hi - self.lo) / centres, 1.0)
        best = centres.astype(np.float64)
        offsets = np.linspace(-1.0, 1.0, REFINE_STEPS)
        while True:
            step = 2.0 * width / (REFINE_STEPS - 1)
            tolerance = np.ceil(self.hi * step / self.bin_hz / 2.0)
            # Never wider than a quarter of the spacing, or teeth and gaps overlap.
            tolerance = np.maximum(1, np.minimum(tolerance, np.floor(best / self.bin_hz / 4.0)))
            grid = (best[:, None] * (1.0 + width[:, None] * offsets[None, :])).ravel()
            t_stat = np.empty(grid.size)
            for tol in np.unique(tolerance):
                rows = np.repeat(tolerance == tol, REFINE_STEPS)
                t_stat[rows] = self.scores(grid[rows], int(tol)).t_stat
            pick = np.argmax(t_stat.reshape(centres.size, REFINE_STEPS), axis=1)
            best = grid[pick + np.arange(centres.size) * REFINE_STEPS]
            if np.all(tolerance <= 1):
                return self.scores(best, 1)
            width = step

    def octave_correct(self, spacing: float, min_spacing: float, max_spacing: float) -> float:
        """Fix a multiple or sub-multiple of the true spacing.

        A sub-multiple (every m-th tooth real) has 1/m of the contrast: if some
        m * s has nearly m times the contrast, that is the comb. A multiple (every
        tooth real, some skipped) keeps the contrast: if s / m keeps it, the finer
        comb is the true one.
        """
        m = np.array(SUBDIVISIONS, dtype=np.float64)
        base = max(float(self.refine(np.array([spacing]), 0.25).contrast[0]), 1e-3)
        coarser = m * spacing
        fits = coarser <= max_spacing
        if np.any(fits):
            up = self.refine(coarser[fits], 0.25)
            ok = up.contrast >= 0.6 * m[fits] * base
            if np.any(ok):
                k = int(np.argmax(np.where(ok, up.contrast, -np.inf)))
                spacing, base = float(up.spacing[k]), float(up.contrast[k])
        finer = spacing / m
        fits = finer >= min_spacing
        if np.any(fits):
            down = self.refine(finer[fits], 0.25)
            ok = down.contrast >= 0.8 * base
            if np.any(ok):
                spacing = float(down.spacing[np.nonzero(ok)[0][-1]])
        return spacing


def coarse_candidates(
    band_residual: FloatArray, bin_hz: float, min_spacing_hz: float, max_spacing_hz: float
) -> tuple[FloatArray, FloatArray]:
    """Spacings (Hz) at the strongest whitened peaks of the band's periodicity spectrum."""
    n = band_residual.size
    n_pad = int(2 ** np.ceil(np.log2(n * 8)))
    centred = band_residual - np.mean(band_residual)
    magnitude = np.abs(scipy.fft.rfft(centred * np.hanning(n), n=n_pad))
    # Quefrency index j <-> period n_pad / j bins <-> spacing (n_pad / j) * bin_hz.
    j_lo = max(2, int(np.floor(n_pad * bin_hz / max_spacing_hz)))
    j_hi = min(magnitude.size - 2, int(np.ceil(n_pad * bin_hz / min_spacing_hz)))
    if j_hi <= j_lo + 2:
        return np.empty(0), np.empty(0)
    floor = ndimage.median_filter(magnitude, size=63, mode="nearest") + 1e-12
    segment = (magnitude / floor)[j_lo : j_hi + 1]
    is_peak = (segment[1:-1] >= segment[:-2]) & (segment[1:-1] > segment[2:])
    idx = np.nonzero(is_peak)[0] + 1
    if idx.size == 0:
        return np.empty(0), np.empty(0)
    best = idx[np.argsort(segment[idx])[::-1][:CANDIDATES]]
    return n_pad * bin_hz / (best + j_lo).astype(np.float64), segment[best]


def find_comb(
    residual: FloatArray,
    bin_hz: float,
    band: tuple[float, float],
    *,
    min_spacing: float = MIN_SPACING_HZ,
    min_teeth: int = MIN_TEETH,
) -> CombEvidence:
    """The strongest comb in ``band`` (Hz) of a residual spectrum, or empty evidence."""
    lo, hi = band
    max_spacing = (hi - lo) / min_teeth
    if max_spacing < min_spacing * 1.5:
        return CombEvidence.none(band)
    lo_bin, hi_bin = int(np.ceil(lo / bin_hz)), int(np.floor(hi / bin_hz))
    band_residual = residual[lo_bin : hi_bin + 1]
    candidates, prominences = coarse_candidates(band_residual, bin_hz, min_spacing, max_spacing)
    if candidates.size == 0:
        return CombEvidence.none(band)
    multiples = [
        (c * m, p)
        for c, p in zip(candidates, prominences, strict=True)
        for m in MULTIPLES
        if c * m <= max_spacing
    ]
    search = BandSearch(residual, bin_hz, lo, hi)
    refined = search.refine(np.array([c for c, _ in multiples]), 1.5)
    i = int(np.argmax(refined.t_stat))
    spacing = search.octave_correct(float(refined.spacing[i]), min_spacing, max_spacing)
    final = search.refine(np.array([spacing]), 0.25)
    return CombEvidence(
        band=band,
        spacing_hz=float(final.spacing[0]),
        contrast_db=float(final.contrast[0]),
        prominence=float(multiples[i][1]),
        consistency=float(final.consistency[0]),
        contrast_z=float(final.t_stat[0]),
        roughness_db=float(np.std(band_residual)),
        teeth=int(final.teeth[0]),
    )
