"""Read a residual spectrum at the teeth and gaps of many combs: the comb search's inner loop.

For every spacing s, the residual is read at ``k * s`` (teeth) and ``(k + 1/2) * s``
(gaps) for every k whose position falls inside the band, through a running-max table
so that a spacing slightly off still finds its teeth. The search asks for hundreds of
thousands of such readings per track, which makes this loop most of the detector's
arithmetic. Written as a compiled loop (Numba) it runs about ten times faster than the
equivalent array expression, which has to materialise every reading, its owner and its
bin before it can reduce them.

The arithmetic is the array expression's, step for step (bin of tooth k is
``rint((k_min + offset + j) * (s / bin_hz))``; sums run in tooth order), so the
statistics are the same to the last bit.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from soundproof.detect.compiled import compiled, inlined

#: Columns of the array `comb_readings` returns, one row per spacing.
TEETH_COUNT, TEETH_MEAN, TEETH_VAR, GAPS_COUNT, GAPS_MEAN, GAPS_VAR, TEETH_HOLDING = range(7)


@compiled
def window_max_table(values: NDArray[np.float64], widest: int) -> NDArray[np.float64]:
    """A sparse table for range-maximum queries: row l holds the max of ``values[i:i + 2**l]``.

    Any window, however wide, is then the max of two overlapping power-of-two blocks,
    so every tolerance of the search reads from one table built once per band.
    """
    levels = 1
    while (1 << levels) <= widest:
        levels += 1
    table = np.empty((levels, values.size))
    table[0] = values
    for level in range(1, levels):
        half = 1 << (level - 1)
        for i in range(values.size):
            j = min(i + half, values.size - 1)
            table[level, i] = max(table[level - 1, i], table[level - 1, j])
    return table


@inlined
def _block_level(length: int) -> int:
    """The largest l with 2**l <= length: two such blocks cover a window of ``length``."""
    level = 0
    while (2 << level) <= length:
        level += 1
    return level


@inlined
def _window_max(table: NDArray[np.float64], centre: int, radius: int, level: int) -> float:
    """Max of ``values[centre - radius : centre + radius + 1]``, clipped to the array.

    ``level`` is ``_block_level(2 * radius + 1)``, worked out once per spacing; a window
    clipped at either end of the spectrum is shorter and gets its own.
    """
    lo = centre - radius
    hi = centre + radius
    if lo < 0 or hi >= table.shape[1]:
        lo = max(lo, 0)
        hi = min(hi, table.shape[1] - 1)
        level = _block_level(hi - lo + 1)
    return max(table[level, lo], table[level, hi - (1 << level) + 1])


@inlined
def _read_spacing(
    table: NDArray[np.float64],
    s: float,
    radius: int,
    lo: float,
    hi: float,
    bin_hz: float,
    margin_db: float,
    out: NDArray[np.float64],
) -> None:
    """One row of :func:`comb_readings`: the statistics of spacing ``s`` into ``out``."""
    ratio = s / bin_hz
    level = _block_level(2 * radius + 1)
    for offset in (0.5, 0.0):  # gaps first: the teeth's count needs their mean
        k_min = np.ceil(lo / s - offset)
        count = int(max(np.floor(hi / s - offset) - k_min + 1.0, 0.0))
        total = 0.0
        total_sq = 0.0
        for j in range(count):
            value = _window_max(table, int(np.rint((k_min + offset + j) * ratio)), radius, level)
            total += value
            total_sq += value * value
        n = max(count, 1)
        mean = total / n
        column = GAPS_COUNT if offset else TEETH_COUNT
        out[column] = count
        out[column + 1] = mean
        out[column + 2] = max(total_sq / n - mean * mean, 0.0)
    threshold = out[GAPS_MEAN] + margin_db
    holding = 0
    k_min = np.ceil(lo / s)
    for j in range(int(out[TEETH_COUNT])):
        if _window_max(table, int(np.rint((k_min + j) * ratio)), radius, level) > threshold:
            holding += 1
    out[TEETH_HOLDING] = holding


@inlined
def _t_stat(row: NDArray[np.float64]) -> float:
    """Welch's t of teeth against gaps, from one row of readings."""
    spread = (row[TEETH_VAR] + 0.01) / max(row[TEETH_COUNT], 1.0) + (row[GAPS_VAR] + 0.01) / max(
        row[GAPS_COUNT], 1.0
    )
    return float((row[TEETH_MEAN] - row[GAPS_MEAN]) / np.sqrt(spread))


@compiled
def comb_readings(
    table: NDArray[np.float64],
    spacings: NDArray[np.float64],
    tolerances: NDArray[np.intp],
    lo: float,
    hi: float,
    bin_hz: float,
    margin_db: float,
) -> NDArray[np.float64]:
    """Teeth and gap statistics of every spacing, as a (spacings, 7) array.

    Each reading is the residual's max within ``tolerances[r]`` bins of the tooth or
    gap, taken from ``table`` (:func:`window_max_table` of the residual). Columns:
    tooth count, mean and variance; gap count, mean and variance; and how many teeth
    rise more than ``margin_db`` above the mean gap level.
    """
    out = np.zeros((spacings.size, 7))
    for r in range(spacings.size):
        _read_spacing(table, spacings[r], tolerances[r], lo, hi, bin_hz, margin_db, out[r])
    return out


@compiled
def refine_spacings(
    table: NDArray[np.float64],
    centres: NDArray[np.float64],
    teeth: float,
    offsets: NDArray[np.float64],
    lo: float,
    hi: float,
    bin_hz: float,
    margin_db: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Coarse-to-fine search for the best spacing (by t) near each centre.

    Each centre may drift by ``teeth`` teeth over the band. Every level reads a grid of
    ``centre * (1 + width * offsets)`` with a tolerance as wide as one grid step moves
    the top tooth (never over a quarter of the spacing, or teeth and gaps overlap),
    then narrows to one step around the best, until the tolerance is one bin for every
    centre. Returns the chosen spacings and their readings (as :func:`comb_readings`).
    """
    size, steps = centres.size, offsets.size
    width = np.empty(size)
    for c in range(size):
        width[c] = teeth / max((hi - lo) / centres[c], 1.0)
    best = centres.copy()
    tolerance = np.empty(size, dtype=np.intp)
    chosen = np.zeros((size, 7))
    row = np.zeros(7)
    while True:
        step = 2.0 * width / (steps - 1)
        finest = True
        for c in range(size):
            wide = np.ceil(hi * step[c] / bin_hz / 2.0)
            tolerance[c] = int(max(1.0, min(wide, np.floor(best[c] / bin_hz / 4.0))))
            finest = finest and tolerance[c] <= 1
        for c in range(size):
            centre, top = best[c], -np.inf
            for j in range(steps):
                spacing = centre * (1.0 + width[c] * offsets[j])
                _read_spacing(table, spacing, tolerance[c], lo, hi, bin_hz, margin_db, row)
                t = _t_stat(row)
                if t > top:
                    top, best[c] = t, spacing
                    chosen[c] = row
        if finest:
            return best, chosen
        width = step
