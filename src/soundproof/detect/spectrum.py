"""Long-window average spectrum and its lower envelope.

Neural upsamplers leave exact, stationary sinusoids at multiples of
``rate / stride_product``. Averaging many long FFT frames keeps those lines
razor-thin while music, which moves, smears into a smooth floor. Removing the
floor's *lower envelope* (a morphological opening) leaves a residual in dB where
the comb stands out as narrow positive peaks (Afchar et al., ISMIR 2025).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft
from numpy.typing import NDArray
from scipy import ndimage

FloatArray = NDArray[np.float64]

#: Target frame length in seconds; the FFT size is the next power of two, giving
#: bins of ~1.5-3 Hz, fine enough for combs spaced 30 Hz and up.
FRAME_SECONDS = 1.0 / 3.0
#: Floor added to the power so digital silence maps to -150 dB, not -inf.
POWER_FLOOR = 1e-15
#: Width of the opening (min then max filter) that traces the lower envelope, in Hz.
#: Wider than a comb tooth (a Hann-windowed line spans ~4 bins), narrower than
#: the gaps of the finest comb searched for.
ENVELOPE_WIDTH_HZ = 24.0
#: Frame hop as a share of the frame. Frames without overlap would halve the FFT work
#: (most of the detector's arithmetic) at the cost of a noisier floor; that changes the
#: features, so it waits for a refit of the model.
HOP_FRACTION = 0.5
#: Length of the chunks whose spectra are also kept, to tell a comb that lasts the
#: whole track (a decoder's) from one that comes and goes (a held note).
CHUNK_SECONDS = 4.0
#: Frames windowed and transformed together: enough to amortise the per-call cost,
#: few enough that the batch stays in cache.
BATCH_FRAMES = 8

_buffers = threading.local()


@dataclass(frozen=True)
class AverageSpectrum:
    """Mean power spectrum of a track, in dB, on a uniform frequency grid."""

    sample_rate: int
    n_fft: int
    frames: int
    power_db: FloatArray
    chunk_power_db: FloatArray
    """(chunks, bins): the same average over consecutive ~CHUNK_SECONDS pieces."""

    @property
    def bin_hz(self) -> float:
        """Width of one frequency bin."""
        return self.sample_rate / self.n_fft

    @property
    def freqs(self) -> FloatArray:
        """Centre frequency of every bin."""
        return np.arange(self.power_db.size, dtype=np.float64) * self.bin_hz


def fft_size_for(sample_rate: int) -> int:
    """The power-of-two FFT size of about FRAME_SECONDS at this rate."""
    return int(2 ** np.ceil(np.log2(sample_rate * FRAME_SECONDS)))


@lru_cache(maxsize=8)
def periodic_hann(n: int) -> NDArray[np.float32]:
    """The periodic ("DFT-even") Hann window used for spectral averaging (read-only).

    Written out rather than taken from ``scipy.signal``, whose import alone costs about
    a second and would be paid by every scan worker at start-up.
    """
    window = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float32)
    window.flags.writeable = False
    return window


def average_spectrum(
    segments: Sequence[NDArray[np.floating]], sample_rate: int, n_fft: int | None = None
) -> AverageSpectrum:
    """Average Hann-windowed power spectrum over every (half-overlapping) frame of every segment.

    Segments are analysed separately (excerpts of one track need not be contiguous)
    and frames of all of them are pooled. A segment shorter than one frame is
    zero-padded so that short clips still give a (noisier) estimate.
    """
    n_fft = n_fft or fft_size_for(sample_rate)
    hop = int(n_fft * HOP_FRACTION)
    window = periodic_hann(n_fft)
    frames_per_chunk = max(1, round(CHUNK_SECONDS * sample_rate / hop))
    from soundproof.detect.frame_power import accumulate_power  # compiled: see comb._kernels

    windowed = _frame_buffer(n_fft)
    chunks: list[FloatArray] = []
    chunk_frames: list[int] = []
    for segment in segments:
        x = np.asarray(segment, dtype=np.float32)
        if x.size < n_fft:
            x = np.pad(x, (0, n_fft - x.size))
        view = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
        starts = list(range(0, view.shape[0], frames_per_chunk))
        if len(starts) > 1 and view.shape[0] - starts[-1] < frames_per_chunk // 2:
            starts.pop()  # fold a short tail into the previous chunk
        for i, start in enumerate(starts):
            stop = starts[i + 1] if i + 1 < len(starts) else view.shape[0]
            real, imag = np.zeros(n_fft // 2 + 1), np.zeros(n_fft // 2 + 1)
            for first in range(start, stop, BATCH_FRAMES):
                batch = windowed[: min(BATCH_FRAMES, stop - first)]
                np.multiply(view[first : first + batch.shape[0]], window, out=batch)
                accumulate_power(scipy.fft.rfft(batch, axis=1), real, imag)
            chunks.append(real + imag)
            chunk_frames.append(stop - start)
    norm = float(np.sum(window**2))
    frames = sum(chunk_frames)
    summed = np.vstack(chunks)
    chunk_power = summed / (np.asarray(chunk_frames)[:, None] * norm)
    mean_power = np.sum(summed, axis=0) / (max(frames, 1) * norm)
    return AverageSpectrum(
        sample_rate=sample_rate,
        n_fft=n_fft,
        frames=frames,
        power_db=10.0 * np.log10(mean_power + POWER_FLOOR),
        chunk_power_db=10.0 * np.log10(chunk_power + POWER_FLOOR),
    )


def _frame_buffer(n_fft: int) -> NDArray[np.float32]:
    """This thread's reusable buffer for BATCH_FRAMES windowed frames of ``n_fft`` samples.

    A fresh array per batch costs more in page faults than the windowing itself.
    """
    buffer: NDArray[np.float32] | None = getattr(_buffers, "frames", None)
    if buffer is None or buffer.shape[1] != n_fft:
        buffer = np.empty((BATCH_FRAMES, n_fft), dtype=np.float32)
        _buffers.frames = buffer
    return buffer


def lower_envelope(power_db: FloatArray, width_bins: int) -> FloatArray:
    """Lower envelope of a dB spectrum (or of each row of several): a grey opening,
    then light smoothing.

    The opening removes every peak narrower than ``width_bins`` and follows the
    valleys between them, so ``power_db - envelope`` is ~0 on broadband content
    and positive on narrow lines.
    """
    width = max(3, int(width_bins) | 1)
    size = (1,) * (power_db.ndim - 1) + (width,)
    opened = ndimage.grey_opening(power_db, size=size, mode="nearest")
    smoothed: FloatArray = ndimage.uniform_filter1d(opened, size=width, axis=-1, mode="nearest")
    return np.minimum(smoothed, power_db)


def residual_db(spectrum: AverageSpectrum) -> FloatArray:
    """The spectrum minus its lower envelope: narrow peaks in dB above the local floor."""
    return _residual(spectrum.power_db, spectrum.bin_hz)


def chunk_residuals_db(spectrum: AverageSpectrum) -> FloatArray:
    """The residual of every chunk's spectrum, one row per chunk."""
    return _residual(spectrum.chunk_power_db, spectrum.bin_hz)


def _residual(power_db: FloatArray, bin_hz: float) -> FloatArray:
    return power_db - lower_envelope(power_db, round(ENVELOPE_WIDTH_HZ / bin_hz))


def effective_bandwidth(spectrum: AverageSpectrum, drop_db: float = 65.0) -> float:
    """Highest frequency that still carries real content, in Hz.

    Lossy codecs and low-rate masters cut everything above a cut-off; above it the
    spectrum falls tens of dB. The reference is the loud part of the 200 Hz-5 kHz
    range; the bandwidth is the last frequency whose smoothed level stays within
    ``drop_db`` of it.
    """
    freqs = spectrum.freqs
    smooth_bins = max(3, round(200.0 / spectrum.bin_hz) | 1)
    smoothed = ndimage.median_filter(spectrum.power_db, size=smooth_bins, mode="nearest")
    core = (freqs >= 200.0) & (freqs <= 5000.0)
    if not np.any(core):
        return 0.0
    reference = float(np.percentile(smoothed[core], 90))
    alive = np.nonzero(smoothed > reference - drop_db)[0]
    return float(freqs[alive[-1]]) if alive.size else 0.0
