"""Hand-made verdict rows and spectra for the report tests.

Rows are built directly (not by the detector), so a test can ask for any mix of verdicts,
hostile titles and missing files without depending on what the shipped model decides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from soundproof.detect.result import CombExplanation, TrackResult
from soundproof.report.spectrum_plot import TrackSpectrum

HOSTILE_TITLE = '<script>alert("pwned")</script> & "quotes"'


def row(
    path: str | Path,
    verdict: str = "human",
    p_ai: float | None = 0.1,
    *,
    spacing_hz: float | None = 1000.0,
    band: str | None = "2-20.0 kHz",
    reason: str | None = None,
    **fields: Any,
) -> TrackResult:
    """A verdict row with an explanation (none for errors)."""
    explanation = None
    if verdict != "error":
        explanation = CombExplanation(
            summary=f"spectral peaks every {spacing_hz} Hz in {band}",
            spacing_hz=spacing_hz,
            upsampling_factor=44 if spacing_hz else None,
            strength_db=-0.5 if verdict == "human" else 6.0,
            band=band,
            harmonics=19,
            sample_rate=44_100,
            bandwidth_hz=22_050.0,
            reason=reason,
        )
    return TrackResult(
        path=str(path),
        duration_s=None if verdict == "error" else 8.0,
        verdict=verdict,  # type: ignore[arg-type]
        p_ai=None if verdict == "error" else p_ai,
        explanation=explanation,
        error="cannot decode" if verdict == "error" else None,
        model_version="test-model-1",
        **fields,
    )


def fake_spectrum(spacing_hz: float = 1000.0, sample_rate: int = 44_100) -> TrackSpectrum:
    """A flat noisy spectrum with narrow peaks every ``spacing_hz``: what plots are about."""
    n_fft = 16_384
    freqs = np.arange(n_fft // 2 + 1, dtype=np.float64) * sample_rate / n_fft
    rng = np.random.default_rng(0)
    residual = np.abs(rng.normal(0.0, 0.7, freqs.size))
    teeth = np.round(np.arange(spacing_hz, sample_rate / 2, spacing_hz) * n_fft / sample_rate)
    residual[teeth.astype(int)] += 8.0
    power = -40.0 - freqs / 1000.0 + residual
    return TrackSpectrum(
        sample_rate=sample_rate,
        freqs=freqs,
        power_db=power,
        residual_db=residual,
        bandwidth_hz=sample_rate / 2 - 100.0,
        strongest_band=(2000.0, 20_000.0),
        strongest_spacing_hz=spacing_hz,
    )
