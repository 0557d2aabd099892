"""Sum the power of many FFT frames, bin by bin: the average spectrum's reduction.

Squaring a (frames, bins) complex64 array and summing it over frames in float64 takes
numpy three passes and a temporary as large as the spectra; one compiled pass does it
in a quarter of the time, and can go on adding batch after batch into the same sums.
Each square is taken in float32 and summed in float64, frame after frame.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from soundproof.detect.compiled import compiled


@compiled
def accumulate_power(
    spectra: NDArray[np.complex64], real: NDArray[np.float64], imag: NDArray[np.float64]
) -> None:
    """Add ``|X|^2`` of every frame of a (frames, bins) complex64 array into ``real + imag``.

    The two parts are kept apart, and added only when the sum is complete, as numpy
    sums a (re, im) float32 view; frames are added in order.
    """
    for frame in range(spectra.shape[0]):
        for b in range(spectra.shape[1]):
            value = spectra[frame, b]
            real[b] += np.float32(value.real * value.real)
            imag[b] += np.float32(value.imag * value.imag)
