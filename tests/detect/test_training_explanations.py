"""The evaluation's explanation check: does an `ai` verdict name the decoder's own comb?"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from soundproof.detect.features import FEATURE_NAMES
from soundproof.detect.model import CombModel
from soundproof.detect.training import pipeline
from soundproof.detect.training.dataset import (
    PAIR_CACHE_FORMAT,
    BuildConfig,
    Dataset,
    Row,
    cached_fakes,
    pairs_dir,
)

from .signals import comb, pink_noise

pytestmark = pytest.mark.train

RATE = 24_000
CONFIG = BuildConfig(excerpt_s=5.0, pieces=2)


def _save_pair(cache: Path, name: str, fake: np.ndarray, fmt: str = PAIR_CACHE_FORMAT) -> None:
    folder = pairs_dir(cache)
    folder.mkdir(parents=True, exist_ok=True)
    real = pink_noise(fake.size / RATE, RATE, seed=3)
    np.save(folder / f"0000abcd-{name}.{fmt}.npy", np.stack([real, fake]).astype(np.float32))


def _comb_track(spacing_hz: float) -> np.ndarray:
    seconds = CONFIG.pieces * CONFIG.excerpt_s
    audio = pink_noise(seconds, RATE) + comb(seconds, RATE, spacing_hz, -50, band=(5200, 11500))
    return audio.astype(np.float32)


@pytest.mark.parametrize(
    ("spacing", "line", "expected"),
    [
        (375.0, 375.0, True),  # the decoder's lines
        (1500.0, 375.0, True),  # a coarser comb of a partial stride product
        (1502.0, 375.0, True),  # within 1% of the fourth multiple
        (1520.0, 375.0, False),
        (187.5, 375.0, False),  # half the spacing: not the decoder's
        (0.0, 375.0, False),  # no comb at all
    ],
)
def test_a_spacing_names_the_decoder_comb_only_at_whole_multiples(
    spacing: float, line: float, expected: bool
) -> None:
    assert pipeline.names_decoder_comb(spacing, line) is expected


def test_cached_fakes_yields_only_the_pairs_of_this_build(tmp_path: Path) -> None:
    fake = _comb_track(375.0)
    _save_pair(tmp_path, "tconv-24k-x64", fake)
    _save_pair(tmp_path, "subpixel-24k-x300", fake[: RATE * 3])  # a reading of other length
    _save_pair(tmp_path, "no-such-decoder-24k-x1", fake)
    _save_pair(tmp_path, "hifigan-24k-x256", fake, fmt="f16")  # an old float16 pair

    found = list(cached_fakes(tmp_path, CONFIG))

    assert [spec.name for spec, _ in found] == ["tconv-24k-x64"]
    np.testing.assert_array_equal(found[0][1], fake)


def test_explanation_check_scores_each_ai_verdict_against_its_decoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both renders carry a 375 Hz comb: the decoder's own lines for tconv-24k-x64
    # (24 kHz / 64), but not a multiple of subpixel-24k-x300's 80 Hz lines.
    _save_pair(tmp_path, "tconv-24k-x64", _comb_track(375.0))
    _save_pair(tmp_path, "subpixel-24k-x300", _comb_track(375.0))
    _save_pair(tmp_path, "griffinlim-24k-x256", _comb_track(375.0))  # no upsampler: skipped
    coef = [0.0] * len(FEATURE_NAMES)
    coef[FEATURE_NAMES.index("mid_contrast_db")] = 2.0
    n = len(FEATURE_NAMES)
    judge = CombModel("judge", FEATURE_NAMES, (0.0,) * n, (1.0,) * n, tuple(coef), 0.0)
    fits: list[int] = []

    def fit_without(features: np.ndarray, labels: np.ndarray, version: str) -> CombModel:
        fits.append(len(labels))
        return judge

    monkeypatch.setattr(pipeline, "fit_model", fit_without)
    families = ["real", "tconv", "subpixel"]
    rows = [
        Row(int(f != "real"), "supertux-data", "t.ogg", 1.0, f, f, "chain", "none", RATE, 1e4)
        for f in families
    ]
    data = Dataset(np.zeros((len(rows), n)), rows)

    result = pipeline.explanation_check(tmp_path, data, judge, CONFIG, log=lambda _: None)

    assert result["called_ai"] == 2
    assert result["names_decoder_comb"]["value"] == pytest.approx(0.5)
    assert fits == [2, 2]  # one model per upsampling family, fitted without that family
