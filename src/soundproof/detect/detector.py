"""The AI-music detector: excerpts in, a calibrated and explained verdict out.

A pure function of the audio and the model (DESIGN.md): no network, no
database. `analyze_path` never raises for bad audio; it returns an `error` row
so a batch goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from soundproof.audio import read_excerpts
from soundproof.detect.explain import describe
from soundproof.detect.features import TrackFeatures, extract_features
from soundproof.detect.model import CombModel
from soundproof.detect.result import CombExplanation, TrackResult
from soundproof.errors import SoundproofError


class Detector:
    """A loaded model plus the analysis settings it was trained with."""

    def __init__(self, model: CombModel) -> None:
        self.model = model

    @classmethod
    def load(cls, model_path: Path | None = None) -> Detector:
        """The shipped detector, or one trained by `soundproof detect train`."""
        return cls(CombModel.load(model_path))

    @property
    def version(self) -> str:
        """Model version, recorded in every result row."""
        return self.model.version

    def features(self, segments: Sequence[NDArray[np.floating]], sample_rate: int) -> TrackFeatures:
        """Measure one track (exposed for training, evaluation and reports)."""
        return extract_features(segments, sample_rate)

    def analyze_samples(
        self,
        segments: Sequence[NDArray[np.floating]],
        sample_rate: int,
        *,
        path: str = "<memory>",
        duration_s: float | None = None,
    ) -> TrackResult:
        """Verdict for audio already in memory (mono float excerpts at their native rate)."""
        measured = self.features(segments, sample_rate)
        settings = self.model.analysis
        duration = duration_s if duration_s is not None else measured.analysed_s
        reason = None
        if measured.analysed_s < settings.min_seconds:
            reason = (
                f"too short to tell: {measured.analysed_s:.1f} s of audio, "
                f"at least {settings.min_seconds:g} s needed"
            )
        elif measured.bandwidth_hz < settings.min_bandwidth_hz:
            found = measured.bandwidth_hz / 1000
            needed = settings.min_bandwidth_hz / 1000
            reason = (
                f"bandwidth too low to tell: content stops at {found:.1f} kHz "
                f"and the comb search needs {needed:g} kHz"
            )
        if reason is not None:
            explanation = CombExplanation(
                summary=reason,
                reason=reason,
                sample_rate=sample_rate,
                bandwidth_hz=round(measured.bandwidth_hz, 1),
            )
            return TrackResult(
                path=path,
                duration_s=_round(duration),
                verdict="uncertain",
                p_ai=None,
                explanation=explanation,
                model_version=self.version,
                analysed_s=_round(measured.analysed_s),
            )
        vector = measured.vector
        p_ai = float(self.model.probability(vector)[0])
        verdict = self.model.label(p_ai)
        named = measured.decisive(self.model.contributions(vector))
        explanation = describe(named, sample_rate, measured.bandwidth_hz, verdict)
        if verdict == "uncertain":
            explanation.reason = (
                f"p_ai {p_ai:.2f} lies between the decision thresholds "
                f"{self.model.human_below:g} and {self.model.ai_above:g}"
            )
        return TrackResult(
            path=path,
            duration_s=_round(duration),
            verdict=verdict,
            p_ai=round(p_ai, 4),
            explanation=explanation,
            model_version=self.version,
            analysed_s=_round(measured.analysed_s),
        )

    def analyze_path(self, path: str | Path) -> TrackResult:
        """Verdict for one file; bad input becomes an `error` row, never an exception."""
        settings = self.model.analysis
        try:
            excerpts = read_excerpts(path, excerpt_s=settings.excerpt_s, count=settings.excerpts)
            return self.analyze_samples(
                excerpts.segments,
                excerpts.sample_rate,
                path=str(path),
                duration_s=excerpts.duration_s,
            )
        except SoundproofError as exc:
            return TrackResult(
                path=str(path), verdict="error", error=str(exc), model_version=self.version
            )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
