"""The training post-processing chain and the named robustness conditions."""

from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("soxr")

from soundproof.detect.training.chain import (
    CODECS,
    RESAMPLE_RATES,
    ROBUSTNESS_CONDITIONS,
    TARGET_RMS_DBFS,
    add_noise,
    adds_noise,
    apply_condition,
    codec_roundtrip,
    parse_chain,
    random_post_chain,
    set_loudness,
    soft_limit,
    time_stretch,
)
from soundproof.errors import UsageError

pytestmark = pytest.mark.train

RATE = 44100


def tone(seconds: float = 2.0, freq: float = 1000.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def music_like(seconds: float = 1.5, rate: int = RATE, seed: int = 0) -> np.ndarray:
    """Three tones and some noise: broadband enough for every codec."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    x = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (220.0, 1375.0, 5100.0))
    return (x + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


def peak_hz(x: np.ndarray, rate: int) -> float:
    """Frequency of the strongest spectral peak, refined by parabolic interpolation."""
    n = 8 * x.size
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size), n))
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1 : k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * rate / n


EXPECTED = {
    "clean": (RATE, 1.0),
    "mp3_64k": (RATE, 1.0),
    "mp3_128k": (RATE, 1.0),
    "aac_96k": (RATE, 1.0),
    "pitch_+1st": (RATE, 1.0),
    "pitch_-1st": (RATE, 1.0),
    "speed_+5pct": (RATE, 1 / 1.05),
    "speed_-5pct": (RATE, 1 / 0.95),
    "resample_32k": (32000, 32000 / RATE),
    "noise_20db": (RATE, 1.0),
}


def test_every_condition_is_listed_and_covered() -> None:
    assert set(ROBUSTNESS_CONDITIONS) == set(EXPECTED)


@pytest.mark.parametrize("name", ROBUSTNESS_CONDITIONS)
def test_condition_gives_finite_audio_of_expected_rate_and_length(name: str) -> None:
    x = music_like()
    y, rate = apply_condition(x, RATE, name, np.random.default_rng(0))
    expected_rate, length_ratio = EXPECTED[name]
    assert rate == expected_rate
    assert y.dtype == np.float32
    assert y.ndim == 1
    assert abs(y.shape[0] - round(x.shape[0] * length_ratio)) <= 1
    assert np.all(np.isfinite(y))
    assert 0.001 < np.sqrt(np.mean(y**2)) < 1.0


def test_noise_condition_has_20_db_snr() -> None:
    x = music_like(2.0)
    y, _ = apply_condition(x, RATE, "noise_20db", np.random.default_rng(1))
    snr = 10 * np.log10(
        np.mean(x.astype(np.float64) ** 2) / np.mean((y - x).astype(np.float64) ** 2)
    )
    assert snr == pytest.approx(20.0, abs=0.2)


@pytest.mark.parametrize(("name", "expected_hz"), [("pitch_+1st", 1059.46), ("pitch_-1st", 943.87)])
def test_pitch_shift_moves_a_tone_a_semitone_keeping_duration(
    name: str, expected_hz: float
) -> None:
    x = tone(2.0)
    y, rate = apply_condition(x, RATE, name, np.random.default_rng(0))
    assert y.shape == x.shape
    middle = y[RATE // 4 : -RATE // 4]
    assert peak_hz(middle, rate) == pytest.approx(expected_hz, abs=0.5)
    # the level stays steady over time: no gaps or bursts from the overlap-add
    frames = middle[: (middle.size // 2205) * 2205].reshape(-1, 2205)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    assert rms.min() > 0.8 * rms.max()


@pytest.mark.parametrize(("name", "expected_hz"), [("speed_+5pct", 1050.0), ("speed_-5pct", 950.0)])
def test_speed_change_moves_pitch_and_length_together(name: str, expected_hz: float) -> None:
    y, rate = apply_condition(tone(2.0), RATE, name, np.random.default_rng(0))
    assert peak_hz(y[RATE // 4 : -RATE // 4], rate) == pytest.approx(expected_hz, abs=0.5)


def test_time_stretch_changes_length_not_pitch() -> None:
    x = tone(1.0, 500.0)
    y = time_stretch(x, 0.8, RATE)
    assert y.shape == (round(RATE / 0.8),)
    assert peak_hz(y[RATE // 8 : -RATE // 8], RATE) == pytest.approx(500.0, abs=0.5)


def test_unknown_condition_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown robustness condition"):
        apply_condition(tone(), RATE, "reverb", np.random.default_rng(0))


_DESCRIPTION = re.compile(
    r"^(resample(22050|32000|44100|48000),)?gain[+-]\d+\.\d dB,((white|pink)\d+dB,)?"
    r"(lossless|mp3@\d+k|aac@\d+k|opus@\d+k|vorbis@fixedq)$".replace(" ", "")
)


def test_random_chain_outputs_and_descriptions() -> None:
    x = music_like(1.0)
    seen_codecs: set[str] = set()
    resampled = 0
    for seed in range(24):
        y, rate, description = random_post_chain(x, RATE, np.random.default_rng(seed))
        assert _DESCRIPTION.match(description), description
        assert y.dtype == np.float32 and y.ndim == 1
        assert np.all(np.isfinite(y))
        assert np.max(np.abs(y)) <= 1.0
        assert rate in set(RESAMPLE_RATES) | {RATE, 48000}
        assert abs(y.shape[0] - x.shape[0] * rate / RATE) <= 2
        if "opus" in description:
            assert rate == 48000
        seen_codecs.add(description.rsplit(",", 1)[1].split("@")[0])
        resampled += description.startswith("resample")
        again = random_post_chain(x, RATE, np.random.default_rng(seed))
        assert again[2] == description and again[1] == rate
        np.testing.assert_array_equal(again[0], y)
    assert seen_codecs == {*CODECS, "lossless"}
    assert 4 <= resampled <= 20


def test_random_chain_noise_is_optional() -> None:
    x = music_like(1.0)
    noisy = [random_post_chain(x, RATE, np.random.default_rng(seed))[2] for seed in range(40)]
    assert 3 <= sum(adds_noise(d) for d in noisy) <= 20
    assert all(adds_noise(d) == ("white" in d or "pink" in d) for d in noisy)
    for seed in range(40):
        quiet = random_post_chain(x, RATE, np.random.default_rng(seed), noise_probability=0.0)
        assert not adds_noise(quiet[2])


def test_chain_descriptions_read_back_as_the_steps_taken() -> None:
    x = music_like(1.0)
    for seed in range(24):
        _, rate, description = random_post_chain(x, RATE, np.random.default_rng(seed))
        steps = parse_chain(description)
        assert (steps.resampled_to is not None) == description.startswith("resample")
        if steps.resampled_to is not None and steps.codec != "opus":
            assert steps.resampled_to == rate  # Opus always decodes at 48 kHz
        assert steps.gain_db is not None
        assert (steps.noise is not None) == adds_noise(description)
        assert steps.codec in {*CODECS, "lossless"}
    blended = parse_chain("blend0.42,resample32000,gain-3.2dB,pink24dB,mp3@128k")
    assert blended.resampled_to == 32000 and blended.gain_db == pytest.approx(-3.2)
    assert blended.noise == "pink" and blended.codec == "mp3"
    assert parse_chain("none") == parse_chain("") == parse_chain("resample_32k")
    assert parse_chain("none").codec == "lossless" and parse_chain("none").gain_db is None


@pytest.mark.parametrize("colour", ["white", "pink"])
def test_add_noise_hits_the_snr_with_its_colour(colour: str) -> None:
    x = music_like(2.0)
    y = add_noise(x, 20.0, np.random.default_rng(1), colour=colour)
    noise = (y - x).astype(np.float64)
    snr = 10 * np.log10(np.mean(x.astype(np.float64) ** 2) / np.mean(noise**2))
    assert snr == pytest.approx(20.0, abs=0.1)
    power = np.abs(np.fft.rfft(noise)) ** 2
    n = power.size
    low, high = power[n // 100 : n // 50].mean(), power[n // 2 : n].mean()
    if colour == "white":
        assert 0.7 < low / high < 1.4
    else:
        assert low / high > 10  # 1/f: an octave-spaced band far below has far more power
    with pytest.raises(UsageError):
        add_noise(x, 20.0, np.random.default_rng(1), colour="brown")


def test_random_chain_level_lands_in_range() -> None:
    x = music_like(1.0)
    for seed in range(8):
        y, _, description = random_post_chain(x, RATE, np.random.default_rng(seed))
        if description.endswith("lossless"):
            level = 20 * np.log10(np.sqrt(np.mean(y.astype(np.float64) ** 2)))
            assert TARGET_RMS_DBFS[0] - 0.5 <= level <= TARGET_RMS_DBFS[1] + 0.5


def test_codec_roundtrip_caps_and_labels() -> None:
    x = music_like(1.0, 22050)
    y, rate, label = codec_roundtrip(x, 22050, "mp3", 320)
    assert (rate, label, y.shape) == (22050, "mp3@160k", x.shape)
    y, rate, label = codec_roundtrip(x, 22050, "opus", 320)
    assert (rate, label, y.shape[0]) == (48000, "opus@256k", round(x.size * 48000 / 22050))
    y, rate, label = codec_roundtrip(x, 22050, "vorbis", 96)
    assert (rate, label, y.shape) == (22050, "vorbis@fixedq", x.shape)
    with pytest.raises(UsageError):
        codec_roundtrip(x, 22050, "wma", 128)


def test_loudness_and_soft_limiter() -> None:
    x = music_like(1.0)
    quiet, gain = set_loudness(x, -25.0)
    assert 20 * np.log10(np.sqrt(np.mean(quiet.astype(np.float64) ** 2))) == pytest.approx(
        -25.0, abs=0.01
    )
    assert gain < 0
    loud, _ = set_loudness(x, -3.0)  # far too loud: peaks are bent, never clipped
    assert np.max(np.abs(loud)) < 0.999
    ramp = np.linspace(-1.5, 1.5, 1001, dtype=np.float32)
    limited = soft_limit(ramp)
    assert np.all(np.diff(limited) > 0)
    assert np.max(np.abs(soft_limit(ramp * 100))) < 1.0
    small = np.abs(ramp) < 0.89
    np.testing.assert_array_equal(limited[small], ramp[small])
    assert set_loudness(np.zeros(100, np.float32), -20.0)[1] == 0.0
