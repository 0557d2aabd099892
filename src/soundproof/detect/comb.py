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

The search is most of the detector's arithmetic, so it is kept lean: all spacings of
a level are read in one compiled pass (:mod:`soundproof.detect.comb_readings`), and
per-chunk readings are taken for all chunks at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType

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
_REFINE_OFFSETS = np.linspace(-1.0, 1.0, REFINE_STEPS)
#: Width of the running median that whitens the periodicity spectrum (bins).
WHITENING_BINS = 63
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

    def rows(self, index: NDArray[np.intp]) -> CombScores:
        """The scores of the spacings at ``index``."""
        return CombScores(
            self.spacing[index],
            self.contrast[index],
            self.t_stat[index],
            self.consistency[index],
            self.teeth[index],
        )


@dataclass
class BandSearch:
    """Comb statistics of one residual spectrum within one band [lo, hi] Hz."""

    residual: FloatArray
    bin_hz: float
    lo: float
    hi: float
    _maxima: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Running maxima of every power-of-two width: the reading at any tolerance is
        # the max of two overlapping blocks.
        residual = np.ascontiguousarray(self.residual, dtype=np.float64)
        self._maxima = _kernels().window_max_table(residual, residual.size)

    def scores(
        self, spacings: FloatArray, tolerance_bins: int | NDArray[np.intp] = 1
    ) -> CombScores:
        """Contrast (dB), Welch's t, consistency (0-1) and tooth count per spacing.

        The residual is read at ``k * spacing`` (teeth) and ``(k + 1/2) * spacing``
        (gaps) for every k in the band, through a running max over ``tolerance_bins``
        (one for all spacings or one per spacing), so that a spacing slightly off still
        finds its teeth; teeth and gaps are read the same way so that the contrast is
        ~0 dB when there is no comb. Uneven teeth, as at a sub-multiple of the true
        spacing where only every m-th tooth is real, raise the peak variance, so the
        true spacing wins on t. All spacings are read in one compiled pass
        (:mod:`soundproof.detect.comb_readings`).
        """
        spacings = np.ascontiguousarray(spacings, dtype=np.float64)
        tolerances = np.broadcast_to(np.asarray(tolerance_bins, dtype=np.intp), spacings.shape)
        read = _kernels().comb_readings(
            self._maxima,
            spacings,
            np.ascontiguousarray(tolerances),
            self.lo,
            self.hi,
            self.bin_hz,
            TOOTH_MARGIN_DB,
        )
        return _scores(spacings, read)

    def refine(self, centres: FloatArray, teeth: float) -> CombScores:
        """Best spacing (by t) near each centre, within a drift of ``teeth`` teeth over the band.

        Tooth k sits at k * spacing, so a relative error e moves the top tooth by
        hi * e: a fine grid over a wide window would need thousands of steps. The
        search goes coarse to fine instead: each level reads teeth with a tolerance
        as wide as its grid step moves the top tooth, then narrows around the best.
        """
        spacings, read = _kernels().refine_spacings(
            self._maxima,
            np.ascontiguousarray(centres, dtype=np.float64),
            float(teeth),
            _REFINE_OFFSETS,
            self.lo,
            self.hi,
            self.bin_hz,
            TOOTH_MARGIN_DB,
        )
        return _scores(spacings, read)

    def octave_correct(self, spacing: float, min_spacing: float, max_spacing: float) -> float:
        """Fix a multiple or sub-multiple of the true spacing.

        A sub-multiple (every m-th tooth real) has 1/m of the contrast: if some
        m * s has nearly m times the contrast, that is the comb. A multiple (every
        tooth real, some skipped) keeps the contrast: if s / m keeps it, the finer
        comb is the true one.
        """
        m = np.array(SUBDIVISIONS, dtype=np.float64)
        coarser = m * spacing
        fits = coarser <= max_spacing
        # The spacing itself and its multiples are refined in one pass (each on its own).
        first = self.refine(np.concatenate([[spacing], coarser[fits]]), 0.25)
        base = max(float(first.contrast[0]), 1e-3)
        ok = first.contrast[1:] >= 0.6 * m[fits] * base
        if np.any(ok):
            k = 1 + int(np.argmax(np.where(ok, first.contrast[1:], -np.inf)))
            spacing, base = float(first.spacing[k]), float(first.contrast[k])
        finer = spacing / m
        fits = finer >= min_spacing
        if np.any(fits):
            down = self.refine(finer[fits], 0.25)
            ok = down.contrast >= 0.8 * base
            if np.any(ok):
                spacing = float(down.spacing[np.nonzero(ok)[0][-1]])
        return spacing


def _kernels() -> ModuleType:
    """The compiled readings, imported on first use.

    Numba takes about a second to import; a process that never searches (a scan worker
    answering every track from its results store) should not pay for it.
    """
    from soundproof.detect import comb_readings

    return comb_readings


def _scores(spacings: FloatArray, read: FloatArray) -> CombScores:
    """Contrast, Welch's t and consistency from the readings of `comb_readings`."""
    k = _kernels()
    count = read[:, k.TEETH_COUNT]
    n_teeth = np.maximum(count, 1.0)
    n_gaps = np.maximum(read[:, k.GAPS_COUNT], 1.0)
    contrast = read[:, k.TEETH_MEAN] - read[:, k.GAPS_MEAN]
    spread = (read[:, k.TEETH_VAR] + 0.01) / n_teeth + (read[:, k.GAPS_VAR] + 0.01) / n_gaps
    return CombScores(
        spacings,
        contrast,
        contrast / np.sqrt(spread),
        read[:, k.TEETH_HOLDING] / n_teeth,
        count.astype(np.int64),
    )


def contrast_per_row(
    residuals: FloatArray, bin_hz: float, band: tuple[float, float], spacing: float
) -> FloatArray:
    """Comb contrast (dB) at one spacing in every row of a (rows, bins) residual.

    The same reading as `BandSearch.scores` at a tolerance of one bin: each tooth and
    each gap is the largest of the three bins nearest to it.
    """
    lo, hi = band

    def read(offset: float) -> FloatArray:
        k = np.arange(np.ceil(lo / spacing - offset), np.floor(hi / spacing - offset) + 1)
        if k.size == 0:
            return np.zeros(residuals.shape[0])
        centre = np.rint((k + offset) * spacing / bin_hz).astype(np.intp)
        around = np.clip(centre[:, None] + np.arange(-1, 2), 0, residuals.shape[1] - 1)
        return np.asarray(residuals[:, around].max(axis=2).mean(axis=1), dtype=np.float64)

    return read(0.0) - read(0.5)


@lru_cache(maxsize=16)
def _hann(n: int) -> FloatArray:
    """The symmetric Hann taper of the periodicity step (few band widths occur)."""
    window: FloatArray = np.hanning(n)
    window.flags.writeable = False
    return window


def coarse_candidates(
    band_residual: FloatArray, bin_hz: float, min_spacing_hz: float, max_spacing_hz: float
) -> tuple[FloatArray, FloatArray]:
    """Spacings (Hz) at the strongest whitened peaks of the band's periodicity spectrum."""
    n = band_residual.size
    n_pad = int(2 ** np.ceil(np.log2(n * 8)))
    centred = band_residual - np.mean(band_residual)
    magnitude = np.abs(scipy.fft.rfft(centred * _hann(n), n=n_pad))
    # Quefrency index j <-> period n_pad / j bins <-> spacing (n_pad / j) * bin_hz.
    j_lo = max(2, int(np.floor(n_pad * bin_hz / max_spacing_hz)))
    j_hi = min(magnitude.size - 2, int(np.ceil(n_pad * bin_hz / min_spacing_hz)))
    if j_hi <= j_lo + 2:
        return np.empty(0), np.empty(0)
    # The whitening median only needs to cover the searched quefrencies.
    reach = WHITENING_BINS // 2
    first = max(0, j_lo - reach)
    around = magnitude[first : j_hi + reach + 1]
    floor = ndimage.median_filter(around, size=WHITENING_BINS, mode="nearest") + 1e-12
    segment = (around / floor)[j_lo - first : j_hi - first + 1]
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
