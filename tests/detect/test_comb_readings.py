"""The compiled comb readings agree with plain, obviously correct readings of the residual,
and the compiled refinement with the level-by-level search it replaces."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import ndimage

from soundproof.detect.comb import REFINE_STEPS, BandSearch, CombScores
from soundproof.detect.comb_readings import (
    GAPS_COUNT,
    GAPS_MEAN,
    GAPS_VAR,
    TEETH_COUNT,
    TEETH_HOLDING,
    TEETH_MEAN,
    TEETH_VAR,
    comb_readings,
    window_max_table,
)

BIN_HZ = 2.69
MARGIN_DB = 1.5


def reference(residual, spacing, tolerance, lo, hi):
    """Tooth and gap statistics by the definition: every reading spelled out."""
    padded = ndimage.maximum_filter1d(residual, 2 * tolerance + 1, mode="nearest")
    stats = {}
    for name, offset in (("teeth", 0.0), ("gaps", 0.5)):
        k = np.arange(np.ceil(lo / spacing - offset), np.floor(hi / spacing - offset) + 1)
        values = padded[np.rint((k + offset) * (spacing / BIN_HZ)).astype(int)]
        stats[name] = values
    return stats


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_readings_match_the_definition_for_any_spacing_and_tolerance(seed: int) -> None:
    rng = np.random.default_rng(seed)
    residual = np.abs(rng.normal(size=8193)) * 3.0
    lo, hi = 2000.0, 21800.0
    spacings = rng.uniform(30.0, 5000.0, size=40)
    tolerances = rng.integers(0, 60, size=40).astype(np.intp)
    read = comb_readings(
        window_max_table(residual, residual.size), spacings, tolerances, lo, hi, BIN_HZ, MARGIN_DB
    )
    for r, (spacing, tolerance) in enumerate(zip(spacings, tolerances, strict=True)):
        expected = reference(residual, spacing, int(tolerance), lo, hi)
        teeth, gaps = expected["teeth"], expected["gaps"]
        assert read[r, TEETH_COUNT] == teeth.size
        assert read[r, GAPS_COUNT] == gaps.size
        assert read[r, TEETH_MEAN] == pytest.approx(teeth.mean())
        assert read[r, GAPS_MEAN] == pytest.approx(gaps.mean())
        assert read[r, TEETH_VAR] == pytest.approx(teeth.var(), abs=1e-9)
        assert read[r, GAPS_VAR] == pytest.approx(gaps.var(), abs=1e-9)
        assert read[r, TEETH_HOLDING] == np.sum(teeth > gaps.mean() + MARGIN_DB)


def test_window_max_is_clipped_at_the_ends_of_the_spectrum() -> None:
    residual = np.arange(100, dtype=np.float64)[::-1].copy()  # largest at bin 0
    table = window_max_table(residual, residual.size)
    # A tooth at bin 3 read with a tolerance of 10 sees bins 0..13: the max is bin 0's.
    read = comb_readings(
        table, np.array([3 * BIN_HZ]), np.array([10]), 0.0, 9.5 * BIN_HZ, BIN_HZ, 0.0
    )
    assert read[0, TEETH_COUNT] == 4  # k = 0..3: bins 0, 3, 6, 9
    assert read[0, TEETH_MEAN] == pytest.approx(99.0)


def test_a_band_with_no_teeth_reads_as_empty() -> None:
    residual = np.ones(500)
    read = comb_readings(
        window_max_table(residual, residual.size),
        np.array([400.0]),
        np.array([1]),
        10.0,
        300.0,
        BIN_HZ,
        MARGIN_DB,
    )
    assert read[0, TEETH_COUNT] == 0
    assert read[0, TEETH_MEAN] == 0.0


def level_by_level(search: BandSearch, centres: np.ndarray, teeth: float) -> CombScores:
    """The coarse-to-fine refinement written out with `BandSearch.scores`, one level a call."""
    width = teeth / np.maximum((search.hi - search.lo) / centres, 1.0)
    best = centres.astype(np.float64)
    offsets = np.linspace(-1.0, 1.0, REFINE_STEPS)
    while True:
        step = 2.0 * width / (REFINE_STEPS - 1)
        tolerance = np.ceil(search.hi * step / search.bin_hz / 2.0)
        tolerance = np.maximum(1, np.minimum(tolerance, np.floor(best / search.bin_hz / 4.0)))
        grid = (best[:, None] * (1.0 + width[:, None] * offsets[None, :])).ravel()
        level = search.scores(grid, np.repeat(tolerance, REFINE_STEPS).astype(np.intp))
        pick = np.argmax(level.t_stat.reshape(best.size, REFINE_STEPS), axis=1)
        chosen = pick + np.arange(best.size) * REFINE_STEPS
        if np.all(tolerance <= 1):
            return level.rows(chosen)
        best, width = grid[chosen], step


@pytest.mark.parametrize("teeth", [0.25, 1.5, 6.0])
def test_compiled_refinement_equals_the_level_by_level_search(teeth: float) -> None:
    rng = np.random.default_rng(7)
    residual = np.abs(rng.normal(size=8193))
    true_spacing = 344.53125
    k = np.arange(1, int(21000 / true_spacing))
    residual[np.rint(k * true_spacing / BIN_HZ).astype(int)] += 6.0
    search = BandSearch(residual, BIN_HZ, 2000.0, 21000.0)
    centres = np.array([true_spacing * 1.003, 101.0, 1500.0, 3 * true_spacing * 0.998])
    compiled = search.refine(centres, teeth)
    expected = level_by_level(search, centres, teeth)
    np.testing.assert_array_equal(compiled.spacing, expected.spacing)
    np.testing.assert_array_equal(compiled.t_stat, expected.t_stat)
    np.testing.assert_array_equal(compiled.contrast, expected.contrast)
    np.testing.assert_array_equal(compiled.consistency, expected.consistency)
    np.testing.assert_array_equal(compiled.teeth, expected.teeth)
    if teeth >= 1.5:
        assert compiled.spacing[0] == pytest.approx(true_spacing, rel=1e-3)


def test_numba_loads_on_the_first_search_not_on_import() -> None:
    # A scan's parent, and a worker answering from the results store, never search.
    code = (
        "import sys\n"
        "import soundproof.scan, soundproof.cli.main\n"
        "from soundproof.detect import Detector\n"
        "Detector.load()\n"
        "assert 'numba' not in sys.modules, 'numba imported too early'\n"
        "import numpy as np\n"
        "from soundproof.detect.features import extract_features\n"
        "extract_features([np.random.default_rng(0).normal(size=44100).astype('float32')], 44100)\n"
        "assert 'numba' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
