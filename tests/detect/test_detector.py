"""Detector behaviour: verdict contract, abstention, error rows, explanation, model files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from soundproof.audio import write
from soundproof.detect import Detector
from soundproof.detect.features import FEATURE_NAMES
from soundproof.detect.model import AnalysisSettings, CombModel
from soundproof.errors import ModelError

from ..contract import CONTRACT_KEYS
from .signals import comb, decoder_free_cases, pink_noise, simple_music

RATE = 44100


def comb_only_model(**overrides: object) -> CombModel:
    """A model that votes only on the strongest band's log t statistic (threshold t ~ 10)."""
    coef = [0.0] * len(FEATURE_NAMES)
    coef[FEATURE_NAMES.index("max_log_t")] = 6.0
    fields: dict[str, object] = dict(
        version="test-1",
        feature_names=FEATURE_NAMES,
        mean=tuple([0.0] * len(FEATURE_NAMES)),
        scale=tuple([1.0] * len(FEATURE_NAMES)),
        coef=tuple(coef),
        intercept=-6.0 * np.log1p(10.0),
    )
    fields.update(overrides)
    return CombModel(**fields)  # type: ignore[arg-type]


@pytest.fixture
def detector() -> Detector:
    return Detector(comb_only_model())


def test_comb_track_is_flagged_with_an_explanation(detector: Detector, tmp_path: Path) -> None:
    audio = pink_noise(20, RATE) + comb(20, RATE, 1102.5, -50)
    path = write(tmp_path / "fake.flac", audio, RATE)
    result = detector.analyze_path(path)
    assert result.verdict == "ai"
    assert result.p_ai is not None and result.p_ai > 0.75
    exp = result.explanation
    assert exp is not None
    assert exp.spacing_hz == pytest.approx(1102.5, rel=2e-3)
    assert exp.upsampling_factor == 40
    assert exp.strength_db is not None and exp.strength_db > 1
    assert "1102" in exp.summary and "x40" in exp.summary
    assert result.model_version == "test-1"
    assert result.duration_s == pytest.approx(20, abs=0.1)


def test_clean_music_is_called_human(detector: Detector) -> None:
    result = detector.analyze_samples([simple_music(20, RATE)], RATE)
    assert result.verdict == "human"
    assert result.explanation is not None and result.explanation.summary.startswith("no ")


def test_too_short_abstains_with_reason(detector: Detector) -> None:
    result = detector.analyze_samples([pink_noise(2, RATE)], RATE)
    assert result.verdict == "uncertain"
    assert result.p_ai is None
    assert result.explanation is not None and "too short" in (result.explanation.reason or "")


def test_low_bandwidth_abstains_with_reason(detector: Detector) -> None:
    narrow = pink_noise(20, 16000)  # Nyquist 8 kHz: nothing above 5 kHz worth searching
    result = detector.analyze_samples([narrow], 16000)
    assert result.verdict == "uncertain"
    assert "bandwidth" in (result.explanation.reason or "")  # type: ignore[union-attr]


def test_middle_probability_abstains() -> None:
    # Intercept only: every track gets p = 0.5, between the thresholds.
    detector = Detector(comb_only_model(coef=tuple([0.0] * len(FEATURE_NAMES)), intercept=0.0))
    result = detector.analyze_samples([pink_noise(20, RATE)], RATE)
    assert result.verdict == "uncertain"
    assert result.p_ai == pytest.approx(0.5)
    assert "thresholds" in (result.explanation.reason or "")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.mp3", b""),
        ("notes.wav", b"hello, this is text\n" * 50),
        ("junk.ogg", bytes(range(256)) * 40),
    ],
)
def test_bad_file_becomes_an_error_row(
    detector: Detector, tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = detector.analyze_path(path)
    assert result.verdict == "error"
    assert result.error and name in result.error
    assert result.p_ai is None


def test_silent_file_is_an_error_row(detector: Detector, tmp_path: Path) -> None:
    path = write(tmp_path / "silence.wav", np.zeros(RATE * 10, dtype=np.float32), RATE)
    result = detector.analyze_path(path)
    assert result.verdict == "error"
    assert "silen" in (result.error or "").lower()


@pytest.mark.parametrize(("weighted", "spacing"), [("mid", 1102.5), ("high", 300.0)])
def test_explanation_names_the_comb_the_model_weighed(weighted: str, spacing: float) -> None:
    # Two different combs, one per band; a model that weighs only one band's contrast must
    # explain its verdict with that band's comb, whichever comb is statistically stronger.
    audio = (
        pink_noise(20, RATE)
        + comb(20, RATE, 1102.5, -50, band=(5500.0, 15000.0))
        + comb(20, RATE, 300.0, -50, band=(16500.0, 21500.0))
    )
    coef = [0.0] * len(FEATURE_NAMES)
    coef[FEATURE_NAMES.index(f"{weighted}_contrast_db")] = 1.0
    model = comb_only_model(coef=tuple(coef), intercept=0.0)

    result = Detector(model).analyze_samples([audio], RATE)

    exp = result.explanation
    assert exp is not None and exp.spacing_hz is not None
    assert exp.spacing_hz == pytest.approx(spacing, rel=2e-3)
    assert exp.band is not None and exp.band.startswith("5-" if weighted == "mid" else "16-")


def test_result_row_has_every_contract_field(detector: Detector) -> None:
    row = detector.analyze_samples([pink_noise(10, RATE)], RATE, path="x.wav").to_json_dict()
    assert row.keys() >= CONTRACT_KEYS
    json.dumps(row)


def test_model_round_trips_through_json(tmp_path: Path) -> None:
    model = comb_only_model(analysis=AnalysisSettings(excerpt_s=8.0, excerpts=4))
    model.save(tmp_path / "m.json")
    loaded = CombModel.load(tmp_path / "m.json")
    assert loaded == model


@pytest.mark.parametrize(
    "text", ["not json", "{}", json.dumps({"format": "soundproof-comb-logistic/1", "version": "x"})]
)
def test_bad_model_file_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ModelError):
        CombModel.load(path)


def test_model_with_other_features_is_refused(tmp_path: Path) -> None:
    payload = json.loads(comb_only_model().to_json())
    payload["feature_names"] = [*payload["feature_names"][:-1], "something_else"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(ModelError, match="retrain"):
        CombModel.load(path)


@pytest.mark.parametrize("case", ["noise", "music", "tone"])
def test_shipped_model_does_not_flag_decoder_free_audio(case: str) -> None:
    audio = decoder_free_cases(30, RATE, seed=11)[case]
    result = Detector.load().analyze_samples([audio], RATE)
    assert result.verdict != "ai", result.explanation


def test_shipped_model_flags_a_strong_comb() -> None:
    audio = simple_music(30, RATE, seed=14) + comb(30, RATE, 689.0625, -45)
    result = Detector.load().analyze_samples([audio], RATE)
    assert result.verdict == "ai"
    assert result.explanation is not None and result.explanation.upsampling_factor == 64
