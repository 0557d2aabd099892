"""Measuring the upsampling comb: how far spectral peaks at multiples of a spacing stand
above the spectrum half-way between them.

This is the zoo tests' scientific check (Afchar et al., ISMIR 2025): a decoder whose
latent runs at ``rate / hop`` and upsamples with strided transposed convolutions leaves
peaks at multiples of ``rate / hop`` (and of ``rate / partial stride products``). It is
deliberately independent of the detector's own spectrum and comb code, so the zoo is
checked by a separate, plainer measurement at a known spacing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def average_spectrum_db(audio: np.ndarray, n_fft: int = 16384) -> np.ndarray:
    """Mean magnitude spectrum of Hann frames (50 % overlap) in dB, ``n_fft // 2 + 1`` bins."""
    x = np.asarray(audio, dtype=np.float64).reshape(-1)
    if x.size < n_fft:
        x = np.pad(x, (0, n_fft - x.size))
    hop = n_fft // 2
    starts = range(0, x.size - n_fft + 1, hop)
    window = np.hanning(n_fft)
    mean = np.zeros(n_fft // 2 + 1)
    for count, start in enumerate(starts, 1):
        mean += (np.abs(np.fft.rfft(x[start : start + n_fft] * window)) - mean) / count
    return 20 * np.log10(mean + 1e-12)


@dataclass(frozen=True)
class CombMeasure:
    """Result of :func:`comb_contrast`. ``contrast_db`` = ``comb_db - between_db``."""

    spacing_hz: float
    teeth: int
    comb_db: float
    between_db: float
    contrast_db: float


def comb_contrast(
    audio: np.ndarray,
    rate: int,
    spacing_hz: float,
    band: tuple[float, float] = (5000.0, 16000.0),
    n_fft: int = 16384,
) -> CombMeasure:
    """Mean dB at the comb teeth ``k * spacing_hz`` inside ``band`` minus the median dB at the
    half-way frequencies ``(k + 1/2) * spacing_hz``.

    Each tooth and each half-way point is read as the maximum of the three bins nearest
    to it (teeth rarely fall on a bin centre); using the same statistic on both sides keeps
    plain noise near 0 dB. The band's top is capped at 95 % of Nyquist.
    """
    db = average_spectrum_db(audio, n_fft)
    bin_hz = rate / n_fft
    if spacing_hz < 4 * bin_hz:
        raise ValueError(f"spacing {spacing_hz:.1f} Hz is not resolvable with {n_fft} points")
    lo, hi = band[0], min(band[1], 0.95 * rate / 2)
    k = np.arange(np.ceil(lo / spacing_hz), np.floor(hi / spacing_hz) + 1)
    mids = (k[:-1] + 0.5) * spacing_hz
    if k.size < 2:
        raise ValueError(f"fewer than two teeth of {spacing_hz:.1f} Hz inside {lo:.0f}-{hi:.0f} Hz")

    def read(freqs: np.ndarray) -> np.ndarray:
        centre = np.rint(freqs / bin_hz).astype(int)
        idx = np.clip(centre[:, None] + np.arange(-1, 2)[None, :], 0, db.size - 1)
        return db[idx].max(axis=1)

    comb_db = float(np.mean(read(k * spacing_hz)))
    between_db = float(np.median(read(mids)))
    return CombMeasure(spacing_hz, int(k.size), comb_db, between_db, comb_db - between_db)
