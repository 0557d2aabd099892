"""Synthetic test signals: coloured noise, tones, simple music and added combs."""

from __future__ import annotations

import numpy as np
from scipy import signal


def pink_noise(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """Noise falling 3 dB per octave, peak-normalised to 0.5."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / rate)
    spectrum[1:] /= np.sqrt(freqs[1:] / 100.0)
    x = np.fft.irfft(spectrum, n)
    return (0.5 * x / np.max(np.abs(x))).astype(np.float32)


def simple_music(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """Notes with decaying harmonics over hi-hat noise bursts: moving, broadband content."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    out = np.zeros(n)
    note_len = int(0.25 * rate)
    for start in range(0, n, note_len):
        f0 = 110.0 * 2 ** (rng.integers(0, 24) / 12)
        seg = slice(start, min(n, start + note_len))
        tt = t[seg] - t[start]
        env = np.exp(-tt * 6.0)
        for h in range(1, 30):
            if h * f0 < rate / 2 - 500:
                out[seg] += env * np.sin(2 * np.pi * h * f0 * tt) / h
        burst = rng.standard_normal(tt.size) * np.exp(-tt * 40.0) * 0.3
        out[seg] += signal.lfilter([1, -1], [1], burst)
    return (0.5 * out / np.max(np.abs(out))).astype(np.float32)


def comb(
    seconds: float,
    rate: int,
    spacing_hz: float,
    level_db: float,
    seed: int = 1,
    band: tuple[float, float] | None = None,
) -> np.ndarray:
    """Stationary sinusoids at every multiple of spacing_hz below Nyquist, each at level_db.

    With ``band`` (Hz), only the multiples inside it.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    out = np.zeros(n)
    low, high = band if band is not None else (spacing_hz, rate / 2 - 100)
    for k in range(int(np.ceil(low / spacing_hz)), int(high / spacing_hz) + 1):
        out += np.cos(2 * np.pi * k * spacing_hz * t + rng.uniform(0, 2 * np.pi))
    return (out * 10 ** (level_db / 20)).astype(np.float32)


def resample_ratio(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """Resample by up/down and play back at the original rate: pitch and speed change together."""
    return signal.resample_poly(x, up, down).astype(np.float32)


def tone_with_hiss(seconds: float, rate: int, freq: float, seed: int = 0) -> np.ndarray:
    """A steady sine at -10 dBFS with faint pink noise (no decoder involved)."""
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32) + pink_noise(
        seconds, rate, seed=seed
    ) * 0.01


def decoder_free_cases(seconds: float, rate: int, seed: int) -> dict[str, np.ndarray]:
    """Noise, synthetic music and a tone: audio no neural decoder has touched."""
    return {
        "noise": pink_noise(seconds, rate, seed=seed),
        "music": simple_music(seconds, rate, seed=seed + 1),
        "tone": tone_with_hiss(seconds, rate, 997.0, seed=seed + 2),
    }
