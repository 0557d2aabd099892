"""The comb search finds the right spacing, survives pitch shifts and stays quiet on clean audio."""

from __future__ import annotations

import numpy as np
import pytest

from soundproof.detect.comb import BandSearch, contrast_per_row
from soundproof.detect.explain import implied_upsampling
from soundproof.detect.features import extract_features
from soundproof.detect.spectrum import average_spectrum, effective_bandwidth, fft_size_for

from .signals import comb, decoder_free_cases, pink_noise, resample_ratio, simple_music

RATE = 44100


def strongest(x: np.ndarray, rate: int = RATE):
    return extract_features([x], rate).strongest()


@pytest.mark.parametrize(
    ("base", "spacing"),
    [("noise", 1102.5), ("noise", 86.1328125), ("music", 344.53125), ("music", 1102.5)],
)
def test_added_comb_is_found_at_its_spacing(base: str, spacing: float) -> None:
    content = pink_noise(20, RATE) if base == "noise" else simple_music(20, RATE)
    evidence = strongest(content + comb(20, RATE, spacing, -55))
    assert evidence.spacing_hz == pytest.approx(spacing, rel=2e-3)
    assert evidence.contrast_db > 1.0
    assert evidence.contrast_z > 10


@pytest.mark.parametrize("semitones", [-2, -1, 1, 2])
def test_comb_is_still_found_after_a_pitch_shift(semitones: int) -> None:
    # Resampling by 2**(s/12) and playing at the same rate moves every line by that factor.
    up, down = {-2: (449, 400), -1: (1059, 1000), 1: (1000, 1059), 2: (400, 449)}[semitones]
    fake = pink_noise(20, RATE) + comb(20, RATE, 1102.5, -55)
    shifted = resample_ratio(fake, up, down)
    evidence = strongest(shifted)
    expected = 1102.5 * down / up
    assert evidence.spacing_hz == pytest.approx(expected, rel=3e-3)
    assert evidence.contrast_db > 1.5
    assert evidence.consistency > 0.6
    factor, _ = implied_upsampling(evidence.spacing_hz, RATE)
    assert factor == round(RATE / expected)


@pytest.mark.parametrize("case", ["noise", "music", "tone"])
def test_clean_audio_shows_no_strong_comb(case: str) -> None:
    # Harmonic notes do put peaks at f0 multiples (the classifier learns to discount
    # those); what must stay low is the statistical evidence of an even comb.
    evidence = strongest(decoder_free_cases(20, RATE, seed=3)[case])
    assert evidence.contrast_z < 8


def test_implied_upsampling_of_known_decoders() -> None:
    assert implied_upsampling(1102.5, 44100) == (40, pytest.approx(1.0))
    assert implied_upsampling(1102.5 * 2 ** (1 / 12), 44100)[0] == 38
    assert implied_upsampling(75.0, 24000) == (320, pytest.approx(1.0))
    assert implied_upsampling(86.1328125, 44100) == (512, pytest.approx(1.0))


def test_fft_size_gives_fine_bins_at_every_rate() -> None:
    for rate in (8000, 22050, 24000, 32000, 44100, 48000, 96000):
        assert rate / fft_size_for(rate) < 3.0


@pytest.mark.parametrize("cutoff", [11000.0, 16000.0, 19000.0])
def test_bandwidth_follows_a_codec_lowpass(cutoff: float) -> None:
    noise = pink_noise(10, RATE)
    spectrum = np.fft.rfft(noise)
    spectrum[np.fft.rfftfreq(noise.size, 1 / RATE) > cutoff] = 0
    lowpassed = np.fft.irfft(spectrum, noise.size).astype(np.float32)
    assert effective_bandwidth(average_spectrum([noise], RATE)) > 21000
    assert effective_bandwidth(average_spectrum([lowpassed], RATE)) == pytest.approx(
        cutoff, abs=300
    )


@pytest.mark.parametrize("spacing", [37.3, 345.2, 1102.5, 2999.0])
def test_per_chunk_contrast_reads_as_the_band_search_does(spacing: float) -> None:
    # Persistence reads every chunk at once; it must agree with the search's own reading.
    residuals = np.random.default_rng(1).normal(size=(5, 8193))
    band = (5000.0, 16000.0)
    together = contrast_per_row(residuals, 2.69, band, spacing)
    one_by_one = [
        BandSearch(row, 2.69, *band).scores(np.array([spacing])).contrast[0] for row in residuals
    ]
    np.testing.assert_allclose(together, one_by_one)


def test_search_of_many_spacings_matches_each_alone() -> None:
    # Spacings are read together, flattened tooth by tooth; none may leak into another.
    residual = pink_noise(5, RATE)[:8193].astype(np.float64)
    search = BandSearch(residual, 2.69, 5000.0, 16000.0)
    spacings = np.array([31.0, 100.0, 1102.5, 2500.0])
    together = search.scores(spacings, 2)
    for i, spacing in enumerate(spacings):
        alone = search.scores(np.array([spacing]), 2)
        assert together.t_stat[i] == pytest.approx(alone.t_stat[0])
        assert together.consistency[i] == pytest.approx(alone.consistency[0])
        assert together.teeth[i] == alone.teeth[0] == int(16000.0 // spacing - 4999.0 // spacing)
