"""Turn comb evidence into words a person can check against a spectrum plot."""

from __future__ import annotations

from soundproof.detect.comb import CombEvidence
from soundproof.detect.result import CombExplanation

#: A spacing this close to rate / integer counts as an exact fraction of the rate.
EXACT_TOLERANCE = 0.002


def implied_upsampling(spacing_hz: float, sample_rate: int) -> tuple[int, float]:
    """The stride product a comb spacing implies at this rate, and how exactly.

    An upsampler of total stride S at rate R puts lines every R / S Hz. Returns
    ``(round(R / spacing), spacing * S / R)``; a ratio away from 1 means the track
    was resampled, sped up or pitch-shifted after generation (which the comb
    search tolerates), so S is then only the nearest equivalent factor.
    """
    factor = max(1, round(sample_rate / spacing_hz))
    return factor, spacing_hz * factor / sample_rate


def _band_label(band: tuple[float, float]) -> str:
    return f"{band[0] / 1000:.0f}-{band[1] / 1000:.1f} kHz"


def describe(
    evidence: CombEvidence, sample_rate: int, bandwidth_hz: float, verdict: str
) -> CombExplanation:
    """The explanation object of a verdict."""
    if evidence.empty:
        return CombExplanation(
            summary="no band above 5 kHz was wide enough to search for a comb",
            sample_rate=sample_rate,
            bandwidth_hz=round(bandwidth_hz, 1),
        )
    factor, ratio = implied_upsampling(evidence.spacing_hz, sample_rate)
    band = _band_label(evidence.band)
    where = f"spectral peaks every {evidence.spacing_hz:.1f} Hz in {band}"
    strength = f"{evidence.contrast_db:.1f} dB above the floor over {evidence.teeth} teeth"
    shift = (
        ""
        if abs(ratio - 1) <= EXACT_TOLERANCE
        else " (not an exact fraction of the rate: resampled or pitch-shifted since)"
    )
    rate = f"{sample_rate / 1000:g} kHz"
    if verdict == "ai":
        summary = (
            f"{where}, {strength}: the signature of a x{factor} neural upsampler at {rate}{shift}"
        )
    elif verdict == "human":
        summary = f"no neural-upsampler comb: the strongest candidate ({where}) is only {strength}"
    else:
        summary = f"weak comb evidence: {where}, {strength} (x{factor} at {rate}{shift})"
    return CombExplanation(
        summary=summary,
        spacing_hz=round(evidence.spacing_hz, 3),
        upsampling_factor=factor,
        pitch_ratio=round(ratio, 5),
        strength_db=round(evidence.contrast_db, 2),
        band=band,
        harmonics=evidence.teeth,
        sample_rate=sample_rate,
        bandwidth_hz=round(bandwidth_hz, 1),
    )
