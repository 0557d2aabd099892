"""From audio excerpts to the fixed feature vector the classifier learns from.

Two bands are searched separately, as in the published analysis: 5-16 kHz, where
most music still has energy after lossy coding, and 16 kHz-Nyquist, where a comb
is least masked by the music itself. A third, wide search (2 kHz-Nyquist, spacings
of 1 kHz and up) catches the coarse combs of the last upsampling stages, which
survive training best. Features describe the strongest comb of each
band (contrast, its t statistic, consistency across teeth, coarse prominence) and
how peaky the band is anyway (roughness), so the classifier can learn to discount
material that is comb-like by nature (codec filterbanks, tracker music). Contrast
relative to roughness is kept too: added noise flattens both the comb and the rest
of the residual, so their ratio holds where the contrast in dB collapses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from soundproof.detect.comb import CombEvidence, contrast_per_row, find_comb
from soundproof.detect.spectrum import (
    AverageSpectrum,
    average_spectrum,
    chunk_residuals_db,
    effective_bandwidth,
    residual_db,
)

MID_BAND = (5000.0, 16000.0)
HIGH_BAND_START = 16000.0
#: Trained decoders keep their coarsest combs longest: lines every rate / (product of
#: the last strides), kHz apart. Those need a wide band to show three or more teeth.
WIDE_BAND_START = 2000.0
WIDE_MIN_SPACING_HZ = 1000.0
WIDE_MIN_TEETH = 3
#: Keep this far below the cut-off or Nyquist, where filters roll off.
EDGE_MARGIN_HZ = 250.0
BAND_NAMES = ("mid", "high", "wide")

PER_BAND = (
    "present",
    "contrast_db",
    "log_t",
    "prominence",
    "consistency",
    "roughness_db",
    "chunk_min_db",
    "chunk_spread",
    "contrast_to_roughness",
    "chunk_min_to_roughness",
)
#: Added to the roughness before dividing by it, so a flat band gives no huge ratio.
ROUGHNESS_FLOOR_DB = 0.3
FEATURE_NAMES: tuple[str, ...] = (
    *(f"{band}_{name}" for band in BAND_NAMES for name in PER_BAND),
    "max_log_t",
    "max_contrast_db",
)


@dataclass(frozen=True)
class TrackFeatures:
    """Everything the detector measured on one track."""

    spectrum: AverageSpectrum
    residual: NDArray[np.float64]
    bandwidth_hz: float
    evidence: dict[str, CombEvidence]
    persistence: dict[str, tuple[float, float]]
    """Per band: the weakest chunk's contrast at the comb's spacing, and the chunks' spread."""
    analysed_s: float

    @property
    def vector(self) -> NDArray[np.float64]:
        """The features in FEATURE_NAMES order."""
        values: list[float] = []
        for band in BAND_NAMES:
            e = self.evidence[band]
            values += [
                0.0 if e.empty else 1.0,
                e.contrast_db,
                _log_t(e.contrast_z),
                np.log1p(e.prominence),
                e.consistency,
                e.roughness_db,
                *self.persistence[band],
                e.contrast_db / (e.roughness_db + ROUGHNESS_FLOOR_DB),
                self.persistence[band][0] / (e.roughness_db + ROUGHNESS_FLOOR_DB),
            ]
        t_values = [_log_t(e.contrast_z) for e in self.evidence.values()]
        values += [
            max(t_values),
            max(e.contrast_db for e in self.evidence.values()),
        ]
        return np.asarray(values, dtype=np.float64)

    def strongest(self) -> CombEvidence:
        """The band whose comb is statistically strongest."""
        return max(self.evidence.values(), key=lambda e: (not e.empty, e.contrast_z))

    def decisive(self, contributions: NDArray[np.float64]) -> CombEvidence:
        """The comb the explanation should name: the band that pushed p_ai up the most.

        ``contributions`` is each feature's share of the logit (in FEATURE_NAMES order).
        The statistically strongest comb is not always the one the model weighs: a
        two-tooth "comb" of two loud partials can have the largest t while a steady comb
        in another band decides the verdict. A band's push is the sum of its own
        features' shares (the cross-band maxima belong to no band). When no band with a
        comb pushes towards ai, the statistically strongest comb is named.
        """
        push = {
            band: float(
                sum(
                    share
                    for name, share in zip(FEATURE_NAMES, contributions, strict=True)
                    if name.startswith(f"{band}_")
                )
            )
            for band, e in self.evidence.items()
            if not e.empty
        }
        if not push or max(push.values()) <= 0:
            return self.strongest()
        return self.evidence[max(push, key=lambda band: push[band])]


def _log_t(t: float) -> float:
    """Compress the t statistic: evidence grows by orders of magnitude."""
    return float(np.log1p(max(t, 0.0)))


def band_limits(sample_rate: int, bandwidth_hz: float) -> dict[str, tuple[float, float]]:
    """The searchable part of each band, below both the cut-off and Nyquist."""
    top = min(bandwidth_hz, sample_rate / 2.0) - EDGE_MARGIN_HZ
    return {
        "mid": (MID_BAND[0], min(MID_BAND[1], top)),
        "high": (HIGH_BAND_START, top),
        "wide": (WIDE_BAND_START, top),
    }


def extract_features(segments: Sequence[NDArray[np.floating]], sample_rate: int) -> TrackFeatures:
    """Average spectrum, residual, bandwidth and comb evidence for one track's excerpts."""
    spectrum = average_spectrum(segments, sample_rate)
    residual = residual_db(spectrum)
    bandwidth = effective_bandwidth(spectrum)
    evidence = {
        name: _search(residual, spectrum.bin_hz, name, band)
        for name, band in band_limits(sample_rate, bandwidth).items()
    }
    chunks = chunk_residuals_db(spectrum)
    persistence = {name: _persistence(chunks, spectrum.bin_hz, e) for name, e in evidence.items()}
    analysed = float(sum(len(s) for s in segments)) / sample_rate
    return TrackFeatures(spectrum, residual, bandwidth, evidence, persistence, analysed)


def _search(
    residual: NDArray[np.float64], bin_hz: float, name: str, band: tuple[float, float]
) -> CombEvidence:
    if band[1] <= band[0]:
        return CombEvidence.none(band)
    if name == "wide":
        return find_comb(
            residual, bin_hz, band, min_spacing=WIDE_MIN_SPACING_HZ, min_teeth=WIDE_MIN_TEETH
        )
    return find_comb(residual, bin_hz, band)


def _persistence(
    chunks: NDArray[np.float64], bin_hz: float, evidence: CombEvidence
) -> tuple[float, float]:
    """How steadily the comb holds over time: min chunk contrast and relative spread.

    A decoder's comb comes from its weights and biases, so it is there in every
    chunk; the partials of a held note or a riff come and go.
    """
    if evidence.empty or chunks.shape[0] < 2:
        return (evidence.contrast_db, 0.0)
    contrasts = contrast_per_row(chunks, bin_hz, evidence.band, evidence.spacing_hz)
    spread = float(np.std(contrasts) / (abs(float(np.mean(contrasts))) + 0.5))
    return (float(np.min(contrasts)), spread)
